package change

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/schedule"
	"steward/internal/store"
)

// ConflictFinder lists what a window clashes with, read through q.
type ConflictFinder func(ctx context.Context, q store.Querier, w schedule.Window) ([]schedule.Conflict, error)

// Service is change management over one database.
type Service struct {
	DB *store.DB
	// CMDB computes the impact analysis of a change's CIs; nil leaves it out.
	CMDB *cmdb.Service
	// Conflicts finds the conflicts of a change's window (the schedule
	// service's detection); nil finds none.
	Conflicts ConflictFinder
}

// ConflictsError refuses to schedule a change whose window has conflicts
// nobody acknowledged. It is a 409 that lists them.
type ConflictsError struct {
	Number string
	Items  []schedule.Conflict
}

func (e *ConflictsError) Error() string {
	reasons := make([]string, len(e.Items))
	for i, c := range e.Items {
		reasons[i] = c.Reason
	}
	return fmt.Sprintf("%s has %d conflict(s) in its window (%s); to schedule it anyway, acknowledge them with a comment",
		e.Number, len(e.Items), strings.Join(reasons, "; "))
}

func (e *ConflictsError) Unwrap() error { return &domainerr.Conflict{Message: e.Error()} }

// InTxHook runs inside the create transaction after the change is written;
// the API stores an idempotency key with it.
type InTxHook = func(ctx context.Context, tx *store.Tx, c Change) error

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Create raises a change for p. A draft needs only a title and a type; a
// template makes it a pre-approved standard change with the template's
// plans and risk.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewChange, hook InTxHook) (Change, error) {
	if !p.Can(PermCreate) {
		return Change{}, domainerr.ErrForbidden
	}
	at := now()
	uid := p.UserID
	c := Change{Title: strings.TrimSpace(in.Title), Type: in.Type, State: Draft, Description: in.Description,
		Justification: in.Justification, RequesterID: &uid, CreatedBy: &uid, GroupID: in.GroupID, AssigneeID: in.AssigneeID,
		CIIDs: uniq(in.CIIDs), ServiceIDs: uniq(in.ServiceIDs), RiskAnswers: map[string]string{},
		PlannedStart: in.PlannedStart, PlannedEnd: in.PlannedEnd, CreatedAt: at, UpdatedAt: at, Version: 1}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", c.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", c.Description, false, domainerr.MaxText)
	domainerr.Text(v, "justification", c.Justification, false, domainerr.MaxText)
	if in.TemplateID != nil {
		if c.Type == "" {
			c.Type = Standard
		}
		if err := s.applyTemplate(ctx, *in.TemplateID, &c, v, at); err != nil {
			return Change{}, err
		}
	} else if c.Type == Standard {
		v.Add("template_id", "a standard change comes from an approved template of the standard change catalogue: name one")
	}
	if !slices.Contains(Types, c.Type) {
		v.Add("type", "must be standard, normal or emergency")
	}
	checkWindow(c.PlannedStart, c.PlannedEnd, "planned_end", v)
	if err := s.checkRefs(ctx, s.DB, c, v); err != nil {
		return Change{}, err
	}
	if err := v.Err(); err != nil {
		return Change{}, err
	}
	if err := s.assess(ctx, &c, at); err != nil {
		return Change{}, err
	}
	var out Change
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := insert(ctx, tx, &c); err != nil {
			return err
		}
		body := ""
		if c.TemplateID != nil {
			body = "From the standard change template " + c.ApprovalBoard + ", which pre-approves it."
		}
		if _, err := journal.Append(ctx, tx, c.ID, p, "created", body, nil, at); err != nil {
			return err
		}
		conflicts, err := s.conflicts(ctx, tx, c)
		if err != nil {
			return err
		}
		if len(conflicts) > 0 {
			if _, err := journal.Append(ctx, tx, c.ID, nil, "conflicts", conflictText("Its window has conflicts", conflicts), nil, at); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", KindName, c.ID, in); err != nil {
			return err
		}
		if out, err = get(ctx, tx, c.ID); err != nil {
			return err
		}
		if err := activity.Created(ctx, tx, at, written(out)); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkWindow refuses an end that is not after its start.
func checkWindow(start, end *time.Time, field string, v *domainerr.Invalid) {
	if start != nil && end != nil && !end.After(*start) {
		v.Add(field, "must be after the start: a window is [start, end) and cannot be empty")
	}
}

// checkRefs checks that the CIs, services, assignee and group exist.
func (s *Service) checkRefs(ctx context.Context, q store.Querier, c Change, v *domainerr.Invalid) error {
	for _, ref := range []struct {
		field, table string
		ids          []int64
	}{{"ci_ids", "cis", c.CIIDs}, {"service_ids", "services", c.ServiceIDs}} {
		if len(ref.ids) == 0 {
			continue
		}
		if len(ref.ids) > 500 {
			v.Add(ref.field, "at most 500")
			continue
		}
		found, err := store.IDs(ctx, q, "SELECT id FROM "+ref.table+" WHERE id IN ("+placeholders(len(ref.ids))+")", int64Args(ref.ids)...)
		if err != nil {
			return err
		}
		for _, id := range ref.ids {
			if !slices.Contains(found, id) {
				v.Add(ref.field, "%d does not exist", id)
				break
			}
		}
	}
	if err := auth.CheckWorker(ctx, q, v, "assignee_id", c.AssigneeID); err != nil {
		return err
	}
	if c.GroupID != nil {
		var one int
		err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM support_groups WHERE id = ?", *c.GroupID).Scan(&one))
		if errors.Is(err, store.ErrNotFound) {
			v.Add("group_id", "group %d does not exist", *c.GroupID)
		} else if err != nil {
			return err
		}
	}
	return nil
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// assess computes the impact analysis of c's CIs and the risk it gives.
func (s *Service) assess(ctx context.Context, c *Change, at time.Time) error {
	c.Impact = nil
	if s.CMDB != nil && len(c.CIIDs) > 0 {
		res, err := s.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: c.CIIDs, Direction: cmdb.Down, Limit: 50})
		if err != nil {
			return err
		}
		im := &Impact{ComputedAt: at, CIs: res.Total, Customers: len(res.Customers), Truncated: res.Truncated,
			Services: []ImpactedItem{}, Items: []ImpactedItem{}}
		for _, it := range res.Services {
			im.Services = append(im.Services, ImpactedItem{CIID: it.CIID, Name: it.Name, Type: it.Type, State: string(it.State)})
		}
		for _, it := range res.Items {
			im.Items = append(im.Items, ImpactedItem{CIID: it.CIID, Name: it.Name, Type: it.Type, State: string(it.State)})
		}
		c.Impact = im
	}
	if c.Type != Standard {
		c.Risk = RiskLevel(c.RiskAnswers, c.Impact)
	}
	return nil
}

// Get loads a change p may see.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Change, error) {
	if !p.Can(PermRead) {
		return Change{}, domainerr.ErrForbidden
	}
	return get(ctx, s.DB, id)
}

// ParseRef reads a change's number or id.
func ParseRef(ref string) (int64, bool) { return (&record.Kind{Prefix: NumberPrefix}).ParseRef(ref) }

// window is what conflict detection needs of c.
func window(c Change) (schedule.Window, bool) {
	if c.PlannedStart == nil || c.PlannedEnd == nil {
		return schedule.Window{}, false
	}
	w := schedule.Window{ChangeID: c.ID, Start: *c.PlannedStart, End: *c.PlannedEnd, CIs: c.CIIDs, Services: c.ServiceIDs}
	if c.AssigneeID != nil {
		w.AssigneeID = *c.AssigneeID
	}
	return w, true
}

// conflicts lists the conflicts of c's window, read through q.
func (s *Service) conflicts(ctx context.Context, q store.Querier, c Change) ([]schedule.Conflict, error) {
	w, ok := window(c)
	if !ok || s.Conflicts == nil {
		return []schedule.Conflict{}, nil
	}
	out, err := s.Conflicts(ctx, q, w)
	if out == nil {
		out = []schedule.Conflict{}
	}
	return out, err
}

// ConflictsOf lists the conflicts of change id's window now.
func (s *Service) ConflictsOf(ctx context.Context, p *auth.Principal, id int64) ([]schedule.Conflict, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.conflicts(ctx, s.DB, c)
}

func conflictText(head string, cs []schedule.Conflict) string {
	var b strings.Builder
	b.WriteString(head + ":")
	for _, c := range cs {
		b.WriteString("\n- " + c.Reason)
	}
	return b.String()
}

// ConflictsIn lists the conflicts of c's window read through q, for a
// caller inside the transaction that wrote c.
func (s *Service) ConflictsIn(ctx context.Context, q store.Querier, c Change) ([]schedule.Conflict, error) {
	return s.conflicts(ctx, q, c)
}
