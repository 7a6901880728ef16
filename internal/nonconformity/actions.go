package nonconformity

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/sms"
	"steward/internal/store"
)

// Action is one action of the management system with its owner and due
// date: a corrective action of a nonconformity, or an action decided in a
// management review or an audit.
type Action struct {
	ID         int64  `json:"id"`
	SourceKind string `json:"source_kind"`
	SourceID   int64  `json:"source_id"`
	// SourceLabel and SourceURL name and open the record that raised it.
	SourceLabel string     `json:"source_label"`
	SourceURL   string     `json:"source_url"`
	Title       string     `json:"title"`
	OwnerID     int64      `json:"owner_id"`
	OwnerName   string     `json:"owner_name"`
	DueOn       string     `json:"due_on"`
	Status      string     `json:"status"`
	DoneAt      *time.Time `json:"done_at"`
	Note        string     `json:"note"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int        `json:"version"`
	Overdue     bool       `json:"overdue"`
}

// The kinds of record an action may come from.
const (
	FromNonconformity = "nonconformity"
	FromReview        = "management_review"
	FromAudit         = "internal_audit"
)

// NewAction is what a caller gives to add an action. The owner is
// required: an action nobody owns is not done.
type NewAction struct {
	Title   string `json:"title"`
	OwnerID *int64 `json:"owner_id"`
	DueOn   string `json:"due_on"`
	Note    string `json:"note"`
}

// ActionPatch changes an action; status "done" marks it done.
type ActionPatch struct {
	Title   *string `json:"title"`
	OwnerID *int64  `json:"owner_id"`
	DueOn   *string `json:"due_on"`
	Status  *string `json:"status"`
	Note    *string `json:"note"`
}

// ActionFilter narrows the list of actions.
type ActionFilter struct {
	Open       bool   // not yet done or cancelled
	Overdue    bool   // open and past the due date
	OwnerID    int64  // owned by this person
	SourceKind string // raised by this kind of record
	SourceID   int64  // raised by this record (with SourceKind)
	// ExceptSourceID leaves out the actions of this record (with SourceKind).
	ExceptSourceID int64
	Uncancelled    bool // leave out cancelled actions
	Limit          int  // at most 200
	// After continues a list after the action with this due date and id.
	AfterDue string
	AfterID  int64
}

// MaxActions bounds one list of actions.
const MaxActions = 200

const actionCols = `a.id, a.source_kind, a.source_id, a.title, a.owner_id, COALESCE(u.name, ''), a.due_on, a.status, a.done_at,
	a.note, a.created_at, a.updated_at, a.version, COALESCE(mr.title, ''), COALESCE(ia.title, '')`

const actionFrom = ` FROM sms_actions a LEFT JOIN users u ON u.id = a.owner_id
	LEFT JOIN management_reviews mr ON a.source_kind = 'management_review' AND mr.id = a.source_id
	LEFT JOIN internal_audits ia ON a.source_kind = 'internal_audit' AND ia.id = a.source_id`

func scanAction(row interface{ Scan(...any) error }, today string) (Action, error) {
	var a Action
	var done, cr, up store.Time
	var review, aud string
	if err := row.Scan(&a.ID, &a.SourceKind, &a.SourceID, &a.Title, &a.OwnerID, &a.OwnerName, &a.DueOn, &a.Status, &done,
		&a.Note, &cr, &up, &a.Version, &review, &aud); err != nil {
		return a, store.ScanErr(err)
	}
	a.DoneAt, a.CreatedAt, a.UpdatedAt = done.Ptr(), cr.Time, up.Time
	a.Overdue = a.Status == "open" && a.DueOn < today
	id := strconv.FormatInt(a.SourceID, 10)
	switch a.SourceKind {
	case FromNonconformity:
		a.SourceLabel, a.SourceURL = FormatNumber(a.SourceID), "/nonconformities/"+FormatNumber(a.SourceID)
	case FromReview:
		a.SourceLabel, a.SourceURL = review, "/management-reviews/"+id
	case FromAudit:
		a.SourceLabel, a.SourceURL = aud, "/internal-audits/"+id
	}
	return a, nil
}

// GetAction loads one action.
func GetAction(ctx context.Context, q store.Querier, id int64, now time.Time) (Action, error) {
	return scanAction(q.QueryRow(ctx, "SELECT "+actionCols+actionFrom+" WHERE a.id = ?", id), Today(now))
}

// ListActions lists actions by due date, earliest first.
func ListActions(ctx context.Context, q store.Querier, f ActionFilter, now time.Time) ([]Action, error) {
	if f.Limit <= 0 || f.Limit > MaxActions {
		f.Limit = MaxActions
	}
	today := Today(now)
	var where []string
	var args []any
	if f.Open || f.Overdue {
		where = append(where, "a.status = 'open'")
	}
	if f.Overdue {
		where, args = append(where, "a.due_on < ?"), append(args, today)
	}
	if f.OwnerID > 0 {
		where, args = append(where, "a.owner_id = ?"), append(args, f.OwnerID)
	}
	if f.SourceKind != "" {
		where, args = append(where, "a.source_kind = ?"), append(args, f.SourceKind)
		if f.SourceID > 0 {
			where, args = append(where, "a.source_id = ?"), append(args, f.SourceID)
		}
		if f.ExceptSourceID > 0 {
			where, args = append(where, "a.source_id <> ?"), append(args, f.ExceptSourceID)
		}
	}
	if f.Uncancelled {
		where = append(where, "a.status <> 'cancelled'")
	}
	if f.AfterID > 0 {
		where, args = append(where, "(a.due_on > ? OR (a.due_on = ? AND a.id > ?))"), append(args, f.AfterDue, f.AfterDue, f.AfterID)
	}
	sql := "SELECT " + actionCols + actionFrom
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := q.Query(ctx, sql+" ORDER BY a.due_on, a.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Action{}
	for rows.Next() {
		a, err := scanAction(rows, today)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CheckNewAction validates an action's fields: a title, an owner who is
// staff, and a due date.
func CheckNewAction(ctx context.Context, q store.Querier, in NewAction) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", strings.TrimSpace(in.Title), true, domainerr.MaxTitle)
	domainerr.Text(v, "note", in.Note, false, domainerr.MaxText)
	if err := CheckUser(ctx, q, v, "owner_id", in.OwnerID, true); err != nil {
		return err
	}
	CheckDate(v, "due_on", in.DueOn, true)
	return v.Err()
}

// InsertAction writes an action raised by a record, inside tx, after
// CheckNewAction passed.
func InsertAction(ctx context.Context, tx *store.Tx, p *auth.Principal, kind string, sourceID int64, in NewAction, now time.Time) (int64, error) {
	if err := CheckNewAction(ctx, tx, in); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO sms_actions (source_kind, source_id, title, owner_id, due_on, status, note, created_by,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?) RETURNING id`, kind, sourceID, strings.TrimSpace(in.Title),
		*in.OwnerID, in.DueOn, in.Note, userOf(p), store.TS(now), store.TS(now)).Scan(&id)
	if err != nil {
		return 0, store.ScanErr(err)
	}
	return id, audit.Record(ctx, tx, p.Actor(), "create", "sms_action", id, map[string]any{
		"source_kind": kind, "source_id": sourceID, "title": in.Title, "owner_id": *in.OwnerID, "due_on": in.DueOn})
}

// UpdateAction changes an action. Those who keep the management system
// may change any action; the owner of an action may mark it done or add
// a note. With ifVersion other than 0 a stale version is refused.
func (s *Service) UpdateAction(ctx context.Context, p *auth.Principal, id int64, pt ActionPatch, ifVersion int) (Action, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := GetAction(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if !p.Can(sms.PermWrite) {
			if !p.Can(sms.PermRead) || p.UserID != a.OwnerID {
				return domainerr.Refusedf("only the owner of an action, or whoever keeps the management system, may change it")
			}
			if pt.Title != nil || pt.OwnerID != nil || pt.DueOn != nil || (pt.Status != nil && *pt.Status != "done" && *pt.Status != a.Status) {
				return domainerr.Refusedf("the owner of an action may mark it done or add a note; ask whoever keeps the management system to change the rest")
			}
		}
		if ifVersion != 0 && ifVersion != a.Version {
			return domainerr.ErrStale
		}
		in := NewAction{Title: a.Title, OwnerID: &a.OwnerID, DueOn: a.DueOn, Note: a.Note}
		if pt.Title != nil {
			in.Title = strings.TrimSpace(*pt.Title)
		}
		if pt.OwnerID != nil {
			in.OwnerID = pt.OwnerID
		}
		if pt.DueOn != nil {
			in.DueOn = *pt.DueOn
		}
		if pt.Note != nil {
			in.Note = *pt.Note
		}
		if err := CheckNewAction(ctx, tx, in); err != nil {
			return err
		}
		status, done := a.Status, store.OptTS(a.DoneAt)
		if pt.Status != nil && *pt.Status != a.Status {
			switch *pt.Status {
			case "done":
				status, done = "done", store.TS(now)
			case "open":
				status, done = "open", nil
			case "cancelled":
				status, done = "cancelled", nil
			default:
				return domainerr.Field("status", "must be open, done or cancelled")
			}
		}
		res, err := tx.Exec(ctx, `UPDATE sms_actions SET title = ?, owner_id = ?, due_on = ?, note = ?, status = ?, done_at = ?,
			updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, in.Title, *in.OwnerID, in.DueOn, in.Note, status, done,
			store.TS(now), id, a.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "sms_action", id, pt); err != nil {
			return err
		}
		if a.SourceKind == FromNonconformity && status != "open" {
			return s.actionsSettled(ctx, tx, p, a.SourceID, now)
		}
		return nil
	})
	if err != nil {
		return Action{}, err
	}
	return GetAction(ctx, s.DB, id, now)
}

// actionsSettled moves a nonconformity whose last open action was just
// done on to verifying, its effectiveness check due EffectivenessAfter
// the last action was done (unless a date was set already).
func (s *Service) actionsSettled(ctx context.Context, tx *store.Tx, p *auth.Principal, ncID int64, now time.Time) error {
	var state string
	var open int
	if err := tx.QueryRow(ctx, "SELECT state FROM nonconformities WHERE id = ?", ncID).Scan(&state); err != nil {
		return store.ScanErr(err)
	}
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM sms_actions WHERE source_kind = 'nonconformity' AND source_id = ? AND status = 'open'",
		ncID).Scan(&open); err != nil {
		return err
	}
	if State(state) != InAction || open > 0 {
		return nil
	}
	// Every action cancelled is not a correction done: the nonconformity
	// waits in action for a new one.
	var done int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM sms_actions WHERE source_kind = 'nonconformity' AND source_id = ? AND status = 'done'",
		ncID).Scan(&done); err != nil {
		return err
	}
	if done == 0 {
		return nil
	}
	due, err := effectivenessDefault(ctx, tx, ncID, now)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE nonconformities SET state = 'verifying', effectiveness_due = COALESCE(effectiveness_due, ?),
		updated_at = ?, version = version + 1 WHERE id = ?`, due, store.TS(now), ncID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "nonconformity", ncID, map[string]any{"state": "verifying",
		"reason": "its last corrective action is done", "effectiveness_due": due})
}

// effectivenessDefault is EffectivenessAfter the last action of the
// nonconformity was done (or now, when none records a time).
func effectivenessDefault(ctx context.Context, q store.Querier, ncID int64, now time.Time) (string, error) {
	var last store.Time
	if err := q.QueryRow(ctx, `SELECT MAX(done_at) FROM sms_actions WHERE source_kind = 'nonconformity' AND source_id = ? AND status = 'done'`,
		ncID).Scan(&last); err != nil {
		return "", err
	}
	at := last.Time
	if at.IsZero() {
		at = now
	}
	return Today(at.Add(EffectivenessAfter)), nil
}

func userOf(p *auth.Principal) any {
	if p != nil && p.UserID > 0 {
		return p.UserID
	}
	return nil
}

// describeActions lists open actions for a message: "#3 Fix backups (Sam Patel, due 2026-03-01)".
func describeActions(list []Action) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = fmt.Sprintf("#%d %s (%s, due %s)", a.ID, a.Title, a.OwnerName, a.DueOn)
	}
	return strings.Join(parts, "; ")
}
