package nonconformity

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/sms"
	"steward/internal/store"
)

// Service keeps the nonconformity register over one database.
type Service struct {
	DB *store.DB
	// Now is the clock; tests set it.
	Now func() time.Time
}

// NewService builds a Service.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// InTxHook runs inside the create transaction after the record is
// written; the API uses it to keep an idempotency key with it.
type InTxHook = func(ctx context.Context, tx *store.Tx, n NC) error

const ncCols = `n.id, n.title, n.description, n.source, n.source_ref, n.audit_item_id, i.audit_id,
	COALESCE((SELECT a.title FROM internal_audits a WHERE a.id = i.audit_id), ''), n.clause, n.severity, n.state,
	n.owner_id, COALESCE(u.name, ''), n.reaction, n.root_cause, n.raised_on, n.due_on, n.effectiveness_due, n.effectiveness,
	n.effectiveness_checked_at, n.effectiveness_checked_by, n.closed_at, n.created_at, n.updated_at, n.version,
	(SELECT COUNT(*) FROM sms_actions a WHERE a.source_kind = 'nonconformity' AND a.source_id = n.id AND a.status = 'open'),
	(SELECT COUNT(*) FROM sms_actions a WHERE a.source_kind = 'nonconformity' AND a.source_id = n.id AND a.status = 'open' AND a.due_on < ?)`

const ncFrom = ` FROM nonconformities n LEFT JOIN users u ON u.id = n.owner_id LEFT JOIN internal_audit_items i ON i.id = n.audit_item_id`

func scanNC(row interface{ Scan(...any) error }, today string) (NC, error) {
	var n NC
	var checked, closed, cr, up store.Time
	var state string
	if err := row.Scan(&n.ID, &n.Title, &n.Description, &n.Source, &n.SourceRef, &n.AuditItemID, &n.AuditID, &n.AuditTitle, &n.Clause, &n.Severity, &state,
		&n.OwnerID, &n.OwnerName, &n.Reaction, &n.RootCause, &n.RaisedOn, &n.DueOn, &n.EffectivenessDue, &n.Effectiveness,
		&checked, &n.EffectivenessCheckedBy, &closed, &cr, &up, &n.Version, &n.OpenActions, &n.OverdueActions); err != nil {
		return n, store.ScanErr(err)
	}
	n.State = State(state)
	n.Number = FormatNumber(n.ID)
	n.EffectivenessCheckedAt, n.ClosedAt, n.CreatedAt, n.UpdatedAt = checked.Ptr(), closed.Ptr(), cr.Time, up.Time
	if n.ClosedAt != nil {
		d := max(0, DaysBetween(n.RaisedOn, Today(*n.ClosedAt)))
		n.DaysToClose = &d
	} else if n.State.IsOpen() {
		n.DaysOpen = max(0, DaysBetween(n.RaisedOn, today))
	}
	switch {
	case n.AuditID != nil:
		n.SourceURL = "/internal-audits/" + strconv.FormatInt(*n.AuditID, 10)
	case n.SourceRef != "":
		for _, k := range recordKinds {
			if strings.HasPrefix(strings.ToUpper(n.SourceRef), k.prefix) {
				n.SourceURL = k.path + strings.ToUpper(n.SourceRef)
			}
		}
	}
	n.Actions = []Action{}
	return n, nil
}

// ParseRef accepts an id ("12") or a number ("NC-000012", any case).
func ParseRef(ref string) (int64, bool) {
	s := strings.TrimSpace(ref)
	if len(s) > 3 && strings.EqualFold(s[:3], NumberPrefix) {
		s = s[3:]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && !strings.HasPrefix(s, "+")
}

func (s *Service) get(ctx context.Context, q store.Querier, id int64) (NC, error) {
	now := s.now()
	n, err := scanNC(q.QueryRow(ctx, "SELECT "+ncCols+ncFrom+" WHERE n.id = ?", Today(now), id), Today(now))
	if err != nil {
		return n, err
	}
	n.Actions, err = ListActions(ctx, q, ActionFilter{SourceKind: FromNonconformity, SourceID: id, Limit: MaxActions}, now)
	return n, err
}

// Get loads a nonconformity with its actions.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (NC, error) {
	if !p.Can(sms.PermRead) {
		return NC{}, domainerr.ErrForbidden
	}
	return s.get(ctx, s.DB, id)
}

// Filter narrows the register.
type Filter struct {
	// State is one state, "open" for every state in which work is owed
	// (the default), or "all".
	State   string
	AuditID int64
	// ClosedAfter and ClosedBefore select the nonconformities closed or
	// cancelled in [ClosedAfter, ClosedBefore). A zero time does not
	// narrow.
	ClosedAfter, ClosedBefore time.Time
	Limit                     int
	BeforeID                  int64 // continue after this id (newest first)
}

// MaxList bounds one page of the register.
const MaxList = 200

// List lists nonconformities, newest first.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]NC, error) {
	if !p.Can(sms.PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	today := Today(s.now())
	where, args := []string{"1 = 1"}, []any{today}
	switch f.State {
	case "", "open":
		where = append(where, "n.state IN ('open', 'action', 'verifying')")
	case "all":
	default:
		if !slices.Contains(States, State(f.State)) {
			return nil, domainerr.Field("state", "must be open, all, or one of open, action, verifying, closed, cancelled")
		}
		where, args = append(where, "n.state = ?"), append(args, f.State)
	}
	if f.AuditID > 0 {
		where, args = append(where, "i.audit_id = ?"), append(args, f.AuditID)
	}
	if !f.ClosedAfter.IsZero() {
		where, args = append(where, "n.closed_at >= ?"), append(args, store.TS(f.ClosedAfter))
	}
	if !f.ClosedBefore.IsZero() {
		where, args = append(where, "n.closed_at < ?"), append(args, store.TS(f.ClosedBefore))
	}
	if f.BeforeID > 0 {
		where, args = append(where, "n.id < ?"), append(args, f.BeforeID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+ncCols+ncFrom+" WHERE "+strings.Join(where, " AND ")+" ORDER BY n.id DESC LIMIT ?",
		append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []NC{}
	for rows.Next() {
		n, err := scanNC(rows, today)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Stats are the register's figures: open, overdue and mean days to close.
type Stats struct {
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	Closed  int `json:"closed"`
	// MeanDaysToClose is over the last 500 closed; nil with none closed.
	MeanDaysToClose *float64 `json:"mean_days_to_close"`
}

// Stats computes the register's figures.
func (s *Service) Stats(ctx context.Context, p *auth.Principal) (Stats, error) {
	if !p.Can(sms.PermRead) {
		return Stats{}, domainerr.ErrForbidden
	}
	var st Stats
	today := Today(s.now())
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM nonconformities WHERE state IN ('open', 'action', 'verifying')`).Scan(&st.Open); err != nil {
		return st, err
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM nonconformities n WHERE n.state IN ('open', 'action', 'verifying') AND
		((n.due_on IS NOT NULL AND n.due_on < ?) OR EXISTS (SELECT 1 FROM sms_actions a WHERE a.source_kind = 'nonconformity'
		AND a.source_id = n.id AND a.status = 'open' AND a.due_on < ?))`, today, today).Scan(&st.Overdue); err != nil {
		return st, err
	}
	rows, err := s.DB.Query(ctx, `SELECT raised_on, closed_at FROM nonconformities WHERE state = 'closed' AND closed_at IS NOT NULL
		ORDER BY closed_at DESC LIMIT 500`)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	sum := 0
	for rows.Next() {
		var raised string
		var closed store.Time
		if err := rows.Scan(&raised, &closed); err != nil {
			return st, err
		}
		sum += max(0, DaysBetween(raised, Today(closed.Time)))
		st.Closed++
	}
	if st.Closed > 0 {
		m := float64(sum) / float64(st.Closed)
		st.MeanDaysToClose = &m
	}
	return st, rows.Err()
}

// Create raises a nonconformity by hand, for those who keep the
// management system.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewNC, hook InTxHook) (NC, error) {
	if !p.Can(sms.PermWrite) {
		return NC{}, domainerr.ErrForbidden
	}
	var out NC
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		id, err := s.Raise(ctx, tx, p, in)
		if err != nil {
			return err
		}
		if out, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// Raise writes a nonconformity inside tx after checking it; the audit
// checklist raises one this way from a line. The caller checks who may.
func (s *Service) Raise(ctx context.Context, tx *store.Tx, p *auth.Principal, in NewNC) (int64, error) {
	now := s.now()
	in.Title, in.SourceRef, in.Clause = strings.TrimSpace(in.Title), strings.ToUpper(strings.TrimSpace(in.SourceRef)), strings.TrimSpace(in.Clause)
	if in.Source == "" {
		in.Source = "other"
	}
	if in.Severity == "" {
		in.Severity = "minor"
	}
	if in.RaisedOn == "" {
		in.RaisedOn = Today(now)
	}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", in.Description, false, domainerr.MaxText)
	domainerr.Text(v, "reaction", in.Reaction, false, domainerr.MaxText)
	domainerr.Text(v, "clause", in.Clause, false, 20)
	if !slices.Contains(Sources, in.Source) {
		v.Add("source", "must be one of audit, complaint, incident, review, other")
	}
	if !slices.Contains(Severities, in.Severity) {
		v.Add("severity", "must be minor or major")
	}
	CheckDate(v, "raised_on", in.RaisedOn, true)
	if in.DueOn != nil {
		CheckDate(v, "due_on", *in.DueOn, false)
		if *in.DueOn == "" {
			in.DueOn = nil
		} else if !v.Has("due_on") && !v.Has("raised_on") && *in.DueOn < in.RaisedOn {
			v.Add("due_on", "must not be before the day it was raised")
		}
	}
	if err := CheckUser(ctx, tx, v, "owner_id", in.OwnerID, false); err != nil {
		return 0, err
	}
	if err := checkSourceRef(ctx, tx, v, in.Source, in.SourceRef, in.AuditItemID != nil); err != nil {
		return 0, err
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if in.OwnerID != nil && *in.OwnerID == 0 {
		in.OwnerID = nil
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO nonconformities (title, description, source, source_ref, audit_item_id, clause, severity, state,
		owner_id, reaction, raised_on, due_on, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`, in.Title, in.Description, in.Source, in.SourceRef, in.AuditItemID, in.Clause, in.Severity, in.OwnerID, in.Reaction,
		in.RaisedOn, in.DueOn, userOf(p), store.TS(now), store.TS(now)).Scan(&id)
	if err != nil {
		return 0, store.ScanErr(err)
	}
	return id, audit.Record(ctx, tx, p.Actor(), "create", "nonconformity", id, in)
}

// checkSourceRef checks the reference: a record number must name a
// record that exists; an incident source needs its incident.
func checkSourceRef(ctx context.Context, q store.Querier, v *domainerr.Invalid, source, ref string, fromLine bool) error {
	domainerr.Text(v, "source_ref", ref, false, domainerr.MaxShort)
	if v.Has("source_ref") {
		return nil
	}
	if ref == "" {
		if source == "incident" {
			v.Add("source_ref", "is required for an incident: give its number, such as INC-000123")
		}
		return nil
	}
	_, ok, err := ResolveRecord(ctx, q, ref)
	var nr *errNoRecord
	switch {
	case errors.As(err, &nr):
		v.Add("source_ref", "%s", nr.msg)
	case err != nil:
		return err
	case source == "incident" && (!ok || !strings.HasPrefix(ref, "INC-")):
		v.Add("source_ref", "must be an incident number, such as INC-000123")
	}
	return nil
}

// Update changes a nonconformity and moves it on. ifVersion other than 0
// must be the version the caller saw.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (NC, error) {
	if !p.Can(sms.PermWrite) {
		return NC{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.update(ctx, tx, p, id, pt, ifVersion) })
	if err != nil {
		return NC{}, err
	}
	return s.get(ctx, s.DB, id)
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int) error {
	now := s.now()
	cur, err := s.get(ctx, tx, id)
	if err != nil {
		return err
	}
	if ifVersion != 0 && ifVersion != cur.Version {
		return domainerr.ErrStale
	}
	if !cur.State.IsOpen() {
		return domainerr.Conflictf("%s is %s and can no longer be changed", cur.Number, cur.State)
	}
	n := cur
	v := domainerr.NewInvalid()
	set := func(dst *string, src *string, field string, required bool, max int) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
			domainerr.Text(v, field, *dst, required, max)
		}
	}
	set(&n.Title, pt.Title, "title", true, domainerr.MaxTitle)
	set(&n.Description, pt.Description, "description", false, domainerr.MaxText)
	set(&n.Clause, pt.Clause, "clause", false, 20)
	set(&n.Reaction, pt.Reaction, "reaction", false, domainerr.MaxText)
	set(&n.RootCause, pt.RootCause, "root_cause", false, domainerr.MaxText)
	if pt.Severity != nil {
		if n.Severity = *pt.Severity; !slices.Contains(Severities, n.Severity) {
			v.Add("severity", "must be minor or major")
		}
	}
	if pt.OwnerID != nil {
		n.OwnerID = pt.OwnerID
		if *pt.OwnerID == 0 {
			n.OwnerID = nil
		}
		if err := CheckUser(ctx, tx, v, "owner_id", n.OwnerID, false); err != nil {
			return err
		}
	}
	optDate := func(dst **string, src *string, field string) {
		if src == nil {
			return
		}
		if *src == "" {
			*dst = nil
			return
		}
		CheckDate(v, field, *src, false)
		x := *src
		*dst = &x
		if !v.Has(field) && x < n.RaisedOn {
			v.Add(field, "must not be before the day it was raised (%s)", n.RaisedOn)
		}
	}
	optDate(&n.DueOn, pt.DueOn, "due_on")
	optDate(&n.EffectivenessDue, pt.EffectivenessDue, "effectiveness_due")
	if err := v.Err(); err != nil {
		return err
	}
	checked := false
	if pt.Effectiveness != nil {
		if err := s.checkEffectiveness(ctx, tx, &n, *pt.Effectiveness, pt.State); err != nil {
			return err
		}
		checked = true
	} else if pt.State != nil && *pt.State != cur.State {
		if err := s.checkMove(ctx, tx, &n, *pt.State, now); err != nil {
			return err
		}
	}
	var checkedAt, checkedBy, closedAt any = store.OptTS(n.EffectivenessCheckedAt), n.EffectivenessCheckedBy, nil
	if checked {
		checkedAt, checkedBy = store.TS(now), userOf(p)
	}
	if n.State == Closed || n.State == Cancelled {
		closedAt = store.TS(now)
	}
	res, err := tx.Exec(ctx, `UPDATE nonconformities SET title = ?, description = ?, clause = ?, severity = ?, owner_id = ?, reaction = ?,
		root_cause = ?, due_on = ?, effectiveness_due = ?, effectiveness = ?, effectiveness_checked_at = ?, effectiveness_checked_by = ?,
		state = ?, closed_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		n.Title, n.Description, n.Clause, n.Severity, n.OwnerID, n.Reaction, n.RootCause, n.DueOn, n.EffectivenessDue, n.Effectiveness,
		checkedAt, checkedBy, string(n.State), closedAt, store.TS(now), id, cur.Version)
	if err != nil {
		return store.Translate(err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return domainerr.ErrStale
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "nonconformity", id, pt)
}

// checkMove applies a move by hand, with its guards.
func (s *Service) checkMove(ctx context.Context, tx *store.Tx, n *NC, to State, now time.Time) error {
	if to == Closed {
		// Closing always goes through the effectiveness check.
		if err := openActionsErr(n); err != nil {
			return err
		}
		return domainerr.Field("effectiveness", "record the effectiveness check to close: effective closes it, not effective sends it back to action")
	}
	if !CanMove(n.State, to) {
		return domainerr.Field("state", "cannot move from %s to %s", n.State, to)
	}
	switch to {
	case InAction:
		if strings.TrimSpace(n.RootCause) == "" {
			return domainerr.Field("root_cause", "is required before corrective action: say why it happened")
		}
	case Verifying:
		if len(n.Actions) == 0 {
			return domainerr.Field("state", "add at least one corrective action first")
		}
		if err := openActionsErr(n); err != nil {
			return err
		}
		if n.EffectivenessDue == nil {
			due, err := effectivenessDefault(ctx, tx, n.ID, now)
			if err != nil {
				return err
			}
			n.EffectivenessDue = &due
		}
	}
	n.State = to
	return nil
}

// checkEffectiveness records the effectiveness check: effective closes
// the nonconformity, not effective sends it back to action.
func (s *Service) checkEffectiveness(ctx context.Context, tx *store.Tx, n *NC, result string, to *State) error {
	switch result {
	case Effective:
		if to != nil && *to != Closed {
			return domainerr.Field("state", "an effective check closes the nonconformity")
		}
		if err := openActionsErr(n); err != nil {
			return err
		}
		if len(n.Actions) == 0 {
			return domainerr.Field("effectiveness", "add and complete at least one corrective action before checking it worked")
		}
		if n.State != Verifying && n.State != InAction {
			return domainerr.Field("effectiveness", "can be checked once corrective action is under way")
		}
		n.State = Closed
	case NotEffective:
		if to != nil && *to != InAction {
			return domainerr.Field("state", "a check that found the actions not effective sends the nonconformity back to action")
		}
		if n.State != Verifying {
			return domainerr.Field("effectiveness", "can be recorded while verifying")
		}
		n.State = InAction
	default:
		return domainerr.Field("effectiveness", "must be effective or not_effective")
	}
	n.Effectiveness = &result
	return nil
}

// openActionsErr refuses while any corrective action is open, naming them.
func openActionsErr(n *NC) error {
	var open []Action
	for _, a := range n.Actions {
		if a.Status == "open" {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		return nil
	}
	v := domainerr.NewInvalid()
	v.Message = n.Number + " cannot be closed while actions are open: " + describeActions(open)
	v.Add("state", "cannot be closed while %d action(s) are open: %s", len(open), describeActions(open))
	return v
}

// AddAction adds a corrective action to an open nonconformity; an open
// one moves to action once its root cause is known.
func (s *Service) AddAction(ctx context.Context, p *auth.Principal, id int64, in NewAction) (Action, error) {
	if !p.Can(sms.PermWrite) {
		return Action{}, domainerr.ErrForbidden
	}
	now := s.now()
	var aid int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		n, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !n.State.IsOpen() {
			return domainerr.Conflictf("%s is %s: no more actions may be added", n.Number, n.State)
		}
		if aid, err = InsertAction(ctx, tx, p, FromNonconformity, id, in, now); err != nil {
			return err
		}
		if n.State == Verifying {
			// New work means the check waits for it.
			if _, err := tx.Exec(ctx, "UPDATE nonconformities SET state = 'action', updated_at = ?, version = version + 1 WHERE id = ?", store.TS(now), id); err != nil {
				return err
			}
			return audit.Record(ctx, tx, p.Actor(), "update", "nonconformity", id, map[string]any{"state": "action",
				"reason": "a corrective action was added while its effectiveness was being verified"})
		}
		return nil
	})
	if err != nil {
		return Action{}, err
	}
	return GetAction(ctx, s.DB, aid, now)
}
