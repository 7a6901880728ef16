package problem

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/record"
	"steward/internal/store"
)

// Limits on what one problem holds.
const (
	MaxCIs       = 100
	MaxServices  = 50
	MaxIncidents = 200
)

// Service is problem management over one database.
type Service struct {
	DB *store.DB
	// Incidents is the incident service: a problem checks that the
	// incidents it is given exist and may be seen, and writes to their
	// journal when it is linked to them or its workaround is applied.
	Incidents *incident.Service
}

// NewService builds a Service.
func NewService(db *store.DB, incidents *incident.Service) *Service {
	return &Service{DB: db, Incidents: incidents}
}

// InTxHook runs inside the create transaction after the problem is
// written; the API uses it to store an idempotency key atomically.
type InTxHook = func(ctx context.Context, tx *store.Tx, pr Problem) error

// Create opens a problem for p, linked to the incidents given.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewProblem, hook InTxHook) (Problem, error) {
	if !p.Can(PermCreate) {
		return Problem{}, domainerr.ErrForbidden
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Category = strings.TrimSpace(in.Category)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", in.Description, false, domainerr.MaxText)
	domainerr.Text(v, "category", in.Category, false, domainerr.MaxShort)
	if err := s.checkRefs(ctx, s.DB, p, v, in.AssigneeID, in.ServiceIDs, nil, in.CIIDs); err != nil {
		return Problem{}, err
	}
	incidents, err := s.incidentIDs(ctx, p, in.Incidents, v)
	if err != nil {
		return Problem{}, err
	}
	if err := v.Err(); err != nil {
		return Problem{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var out Problem
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO problems (title, description, state, category, assignee_id, created_by,
			created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
			in.Title, in.Description, string(New), in.Category, in.AssigneeID, p.UserID, store.TS(now), store.TS(now)).Scan(&id)
		if err := store.ScanErr(err); err != nil {
			return err
		}
		if err := writeServices(ctx, tx, id, in.ServiceIDs); err != nil {
			return err
		}
		if err := writeCIs(ctx, tx, id, in.CIIDs, now); err != nil {
			return err
		}
		if _, err := journal.Append(ctx, tx, id, p, "created", "", nil, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "problem", id, in); err != nil {
			return err
		}
		for _, iid := range incidents {
			if err := s.link(ctx, tx, p, id, iid, now); err != nil {
				return err
			}
		}
		if out, err = get(ctx, tx, id); err != nil {
			return err
		}
		if err := activity.Created(ctx, tx, now, written(out)); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// Get loads a problem; those who may not read problems are refused.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Problem, error) {
	if !p.Can(PermRead) {
		return Problem{}, domainerr.ErrForbidden
	}
	return get(ctx, s.DB, id)
}

// Update applies a patch for p. With ifVersion other than 0 the change is
// refused with ErrStale when the problem moved on meanwhile.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Problem, error) {
	if !p.Can(PermUpdate) {
		return Problem{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.update(ctx, tx, p, id, pt, ifVersion) })
	if err != nil {
		return Problem{}, err
	}
	return get(ctx, s.DB, id)
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int) error {
	cur, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return domainerr.ErrStale
	}
	if !cur.State.Open() && cur.State != Resolved {
		return domainerr.Conflictf("%s is %s and can no longer be changed", cur.Number, human(string(cur.State)))
	}
	next, err := s.apply(ctx, tx, p, cur, pt)
	if err != nil {
		return err
	}
	changes := diff(cur, next)
	if len(changes) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	stamp(cur, &next, now)
	res, err := tx.Exec(ctx, `UPDATE problems SET title = ?, description = ?, state = ?, category = ?, root_cause = ?,
		cause_category = ?, workaround = ?, fix_change_id = ?, assignee_id = ?, updated_at = ?, known_error_at = ?,
		resolved_at = ?, closed_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		next.Title, next.Description, string(next.State), next.Category, next.RootCause, next.CauseCategory,
		next.Workaround, next.FixChangeID, next.AssigneeID, store.TS(now), store.OptTS(next.KnownErrorAt),
		store.OptTS(next.ResolvedAt), store.OptTS(next.ClosedAt), cur.ID, cur.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domainerr.ErrStale
	}
	if pt.ServiceIDs.Set {
		if _, err := tx.Exec(ctx, "DELETE FROM problem_services WHERE problem_id = ?", id); err != nil {
			return err
		}
		if err := writeServices(ctx, tx, id, next.ServiceIDs); err != nil {
			return err
		}
	}
	if pt.CIIDs.Set {
		if _, err := tx.Exec(ctx, "DELETE FROM record_cis WHERE kind = 'problem' AND record_id = ?", id); err != nil {
			return err
		}
		if err := writeCIs(ctx, tx, id, next.CIIDs, now); err != nil {
			return err
		}
	}
	if _, err := journal.Append(ctx, tx, id, p, "change", "", changes, now); err != nil {
		return err
	}
	if err := activity.Changed(ctx, tx, now, written(next), moves(changes)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "problem", id, changes)
}

// written is pr as the activity feed describes it.
func written(pr Problem) activity.Written {
	return activity.Written{Entity: KindName, ID: pr.ID, Number: pr.Number, Title: pr.Title, State: string(pr.State)}
}

func moves(cs []Change) []activity.Moved {
	out := make([]activity.Moved, len(cs))
	for i, c := range cs {
		out[i] = activity.Moved{Field: c.Field, Old: c.Old, New: c.New}
	}
	return out
}

// apply computes the patched problem and validates it, with the move and
// what the move needs.
func (s *Service) apply(ctx context.Context, q store.Querier, p *auth.Principal, cur Problem, pt Patch) (Problem, error) {
	next := cur
	v := domainerr.NewInvalid()
	setText := func(field string, dst, src *string, required bool, max int) {
		if src == nil {
			return
		}
		*dst = *src
		if field == "title" || field == "category" || field == "cause_category" {
			*dst = strings.TrimSpace(*src)
		}
		domainerr.Text(v, field, *dst, required, max)
	}
	setText("title", &next.Title, pt.Title, true, domainerr.MaxTitle)
	setText("description", &next.Description, pt.Description, false, domainerr.MaxText)
	setText("category", &next.Category, pt.Category, false, domainerr.MaxShort)
	setText("root_cause", &next.RootCause, pt.RootCause, false, domainerr.MaxText)
	setText("workaround", &next.Workaround, pt.Workaround, false, domainerr.MaxText)
	setText("cause_category", &next.CauseCategory, pt.CauseCategory, false, domainerr.MaxShort)
	if next.CauseCategory != "" && next.CauseCategory != cur.CauseCategory && !slices.Contains(CauseCategories, next.CauseCategory) {
		v.Add("cause_category", "must be one of %s", strings.Join(CauseCategories, ", "))
	}
	if pt.AssigneeID.Set {
		next.AssigneeID = pt.AssigneeID.Ptr()
	}
	if pt.ServiceIDs.Set {
		next.ServiceIDs = uniq(pt.ServiceIDs.V)
	}
	if pt.CIIDs.Set {
		next.CIIDs = uniq(pt.CIIDs.V)
	}
	var assignee *int64
	var services, oldServices, cis []int64
	if pt.AssigneeID.Set {
		assignee = next.AssigneeID
	}
	if pt.ServiceIDs.Set {
		services, oldServices = next.ServiceIDs, cur.ServiceIDs
	}
	if pt.CIIDs.Set {
		cis = next.CIIDs
	}
	if err := s.checkRefs(ctx, q, p, v, assignee, services, oldServices, cis); err != nil {
		return next, err
	}
	if pt.FixChange.Set {
		id, err := fixChange(ctx, q, pt.FixChange, v)
		if err != nil {
			return next, err
		}
		next.FixChangeID = id
		next.FixChange = ""
		if id != nil {
			next.FixChange = changeNumber(*id)
		}
	}
	if pt.State != nil {
		next.State = *pt.State
	}
	if err := transition(cur, &next, pt, v); err != nil {
		return next, err
	}
	return next, v.Err()
}

// transition checks a move and what it needs. A move the table does not
// have is a conflict with the problem's state, not a bad field.
func transition(cur Problem, next *Problem, pt Patch, v *domainerr.Invalid) error {
	if next.State != cur.State {
		if !next.State.valid() {
			v.Add("state", "must be one of new, investigating, known_error, resolved, closed, cancelled")
			return nil
		}
		if !CanMove(cur.State, next.State) {
			return domainerr.Conflictf("%s cannot move from %s to %s (allowed: %s)", cur.Number,
				human(string(cur.State)), human(string(next.State)), Machine.Allowed(string(cur.State)))
		}
		if next.State == KnownError {
			if pt.RootCause == nil || strings.TrimSpace(*pt.RootCause) == "" {
				v.Add("root_cause", "is required with the move to known error")
			}
			if pt.Workaround == nil || strings.TrimSpace(*pt.Workaround) == "" {
				v.Add("workaround", "is required with the move to known error")
			}
		}
	}
	switch next.State {
	case KnownError:
		nonEmpty(v, "root_cause", next.RootCause, "a known error keeps its root cause")
		nonEmpty(v, "workaround", next.Workaround, "a known error keeps its workaround")
	case Resolved, Closed:
		nonEmpty(v, "root_cause", next.RootCause, "is required to resolve")
	}
	return nil
}

func nonEmpty(v *domainerr.Invalid, field, val, msg string) {
	if strings.TrimSpace(val) == "" {
		v.Add(field, "%s", msg)
	}
}

// stamp sets the instants a move implies.
func stamp(cur Problem, next *Problem, now time.Time) {
	next.UpdatedAt = now
	if next.State == cur.State {
		return
	}
	switch next.State {
	case KnownError:
		if next.KnownErrorAt == nil {
			next.KnownErrorAt = &now
		}
	case Resolved:
		next.ResolvedAt = &now
	case Investigating:
		next.ResolvedAt = nil
	case Closed, Cancelled:
		next.ClosedAt = &now
	}
}

// diff lists what changed.
func diff(a, b Problem) []Change {
	var out []Change
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	add("title", a.Title, b.Title)
	add("description", a.Description, b.Description)
	add("category", a.Category, b.Category)
	add("state", string(a.State), string(b.State))
	add("root_cause", a.RootCause, b.RootCause)
	add("cause_category", a.CauseCategory, b.CauseCategory)
	add("workaround", a.Workaround, b.Workaround)
	add("fix_change", a.FixChange, b.FixChange)
	add("assignee_id", idStr(a.AssigneeID), idStr(b.AssigneeID))
	add("service_ids", idList(a.ServiceIDs), idList(b.ServiceIDs))
	add("ci_ids", idList(a.CIIDs), idList(b.CIIDs))
	return out
}

func idStr(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func idList(ids []int64) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

// human turns a code such as known_error into "known error".
func human(s string) string { return strings.ReplaceAll(s, "_", " ") }

// checkRefs checks an assignee (an active agent or admin), services (that
// exist and, when new to the problem, are not retired) and CIs (that exist).
func (s *Service) checkRefs(ctx context.Context, q store.Querier, p *auth.Principal, v *domainerr.Invalid,
	assignee *int64, services, oldServices, cis []int64) error {
	if err := auth.CheckWorker(ctx, q, v, "assignee_id", assignee); err != nil {
		return err
	}
	if len(services) > MaxServices {
		v.Add("service_ids", "may name at most %d services", MaxServices)
	} else {
		for _, id := range services {
			if slices.Contains(oldServices, id) {
				continue
			}
			msg, err := catalog.CheckReference(ctx, q, p, id)
			if err != nil {
				return err
			}
			if msg != "" {
				v.Add("service_ids", "service %d: %s", id, msg)
			}
		}
	}
	if len(cis) > MaxCIs {
		v.Add("ci_ids", "may name at most %d CIs", MaxCIs)
		return nil
	}
	for _, id := range cis {
		var one int
		err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM cis WHERE id = ?", id).Scan(&one))
		if errors.Is(err, store.ErrNotFound) {
			v.Add("ci_ids", "CI %d does not exist", id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// fixChange reads the change that fixes a problem: a change number or id
// that exists, or null for none.
func fixChange(ctx context.Context, q store.Querier, f interface{ Ptr() *string }, v *domainerr.Invalid) (*int64, error) {
	ref := f.Ptr()
	if ref == nil || strings.TrimSpace(*ref) == "" {
		return nil, nil
	}
	id, ok := record.NumberID(ChangePrefix, *ref)
	if !ok {
		n, err := strconv.ParseInt(strings.TrimSpace(*ref), 10, 64)
		if err != nil || n <= 0 {
			v.Add("fix_change", "must be a change number such as CHG-000012")
			return nil, nil
		}
		id = n
	}
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM changes WHERE id = ?", id).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		v.Add("fix_change", "change %s does not exist", changeNumber(id))
		return nil, nil
	}
	return &id, err
}

func writeServices(ctx context.Context, tx *store.Tx, id int64, services []int64) error {
	seen := map[int64]bool{}
	for _, sid := range services {
		if seen[sid] {
			continue
		}
		seen[sid] = true
		if _, err := tx.Exec(ctx, "INSERT INTO problem_services (problem_id, service_id) VALUES (?, ?)", id, sid); err != nil {
			return err
		}
	}
	return nil
}

func writeCIs(ctx context.Context, tx *store.Tx, id int64, cis []int64, now time.Time) error {
	seen := map[int64]bool{}
	for _, cid := range cis {
		if seen[cid] {
			continue
		}
		seen[cid] = true
		if _, err := tx.Exec(ctx, "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('problem', ?, ?, ?)",
			id, cid, store.TS(now)); err != nil {
			return err
		}
	}
	return nil
}

// uniq sorts ids and drops repeats; never nil.
func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return append([]int64{}, slices.Compact(out)...)
}
