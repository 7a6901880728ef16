package change

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"steward/internal/activity"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/record"
	"steward/internal/store"
)

// The rules a board decides by.
const (
	Any      = "any"      // one approval approves
	All      = "all"      // every approver must approve
	Majority = "majority" // more than half must approve
)

// Rules lists the rules, for validation and forms.
var Rules = []string{Any, All, Majority}

// Policy is one row of the approval policy: the board that approves
// changes of a type and risk ("" for any risk), by a rule.
type Policy struct {
	ID        int64   `json:"id"`
	Position  int     `json:"position"`
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Risk      string  `json:"risk"`
	GroupID   *int64  `json:"group_id"`
	Approvers []int64 `json:"approvers"`
	Rule      string  `json:"rule"`
}

// Decision is one approver's decision on a change.
type Decision struct {
	UserID    int64     `json:"user_id"`
	UserName  string    `json:"user_name"`
	Decision  string    `json:"decision"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
}

// Approvals is where a change stands with its board.
type Approvals struct {
	Board     string     `json:"board"`
	Rule      string     `json:"rule"`
	Approvers []Approver `json:"approvers"`
	Decisions []Decision `json:"decisions"`
	// Needed is how many approvals approve the change.
	Needed int `json:"needed"`
}

// Approver is one person who may decide.
type Approver struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
}

// Policies lists the approval policy in the order it is read.
func (s *Service) Policies(ctx context.Context) ([]Policy, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, position, name, type, risk, group_id, approvers, rule
		FROM change_approval_policies ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Policy
	for rows.Next() {
		var p Policy
		var raw string
		if err := rows.Scan(&p.ID, &p.Position, &p.Name, &p.Type, &p.Risk, &p.GroupID, &raw, &p.Rule); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &p.Approvers); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetPolicy points policy row id at a group or named approvers with rule.
func (s *Service) SetPolicy(ctx context.Context, p *auth.Principal, id int64, groupID *int64, approvers []int64, rule string) error {
	if !p.Can(PermTemplateWrite) {
		return domainerr.ErrForbidden
	}
	if !slices.Contains(Rules, rule) {
		return domainerr.Field("rule", "must be any, all or majority")
	}
	if approvers == nil {
		approvers = []int64{}
	}
	if groupID != nil && len(approvers) > 0 {
		return domainerr.Field("approvers", "name a group or approvers, not both")
	}
	if groupID != nil {
		var one int
		if err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT 1 FROM support_groups WHERE id = ?", *groupID).Scan(&one)); errors.Is(err, store.ErrNotFound) {
			return domainerr.Field("group_id", "group %d does not exist", *groupID)
		} else if err != nil {
			return err
		}
	}
	if len(approvers) > 0 {
		found, err := store.IDs(ctx, s.DB, "SELECT id FROM users WHERE active = TRUE AND id IN ("+placeholders(len(approvers))+")", int64Args(approvers)...)
		if err != nil {
			return err
		}
		if len(found) != len(uniq(approvers)) {
			return domainerr.Field("approvers", "every approver must be an active user")
		}
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE change_approval_policies SET group_id = ?, approvers = ?, rule = ?, updated_at = ?
			WHERE id = ?`, groupID, mustJSON(approvers), rule, store.TS(now()), id)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "change_approval_policy", id,
			map[string]any{"group_id": groupID, "approvers": approvers, "rule": rule})
	})
}

// board chooses who approves c: the first policy row for its type and
// risk, else the administrators. Nobody decides on a change they raised.
func board(ctx context.Context, q store.Querier, c Change) (name, rule string, approvers []int64, err error) {
	var groupID *int64
	var raw string
	err = store.ScanErr(q.QueryRow(ctx, `SELECT name, group_id, approvers, rule FROM change_approval_policies
		WHERE type = ? AND (risk = '' OR risk = ?) ORDER BY position, id LIMIT 1`, c.Type, c.Risk).Scan(&name, &groupID, &raw, &rule))
	var users []int64
	switch {
	case errors.Is(err, store.ErrNotFound):
		name, rule = "Administrators", Any
	case err != nil:
		return "", "", nil, err
	default:
		if err := json.Unmarshal([]byte(raw), &users); err != nil {
			return "", "", nil, err
		}
	}
	query := `SELECT id, role FROM users WHERE active = TRUE AND role = 'admin'`
	var args []any
	switch {
	case groupID != nil:
		query = `SELECT u.id, u.role FROM users u JOIN group_members m ON m.user_id = u.id WHERE m.group_id = ? AND u.active = TRUE`
		args = []any{*groupID}
	case len(users) > 0:
		query = `SELECT id, role FROM users WHERE active = TRUE AND id IN (` + placeholders(len(users)) + `)`
		args = int64Args(users)
	}
	rows, err := q.Query(ctx, query+" ORDER BY 1", args...)
	if err != nil {
		return "", "", nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return "", "", nil, err
		}
		if (&auth.Principal{UserID: id, Role: auth.Role(role)}).Can(PermApprove) &&
			record.SeparationOfDuties(id, deref(c.CreatedBy), deref(c.RequesterID)) == nil {
			approvers = append(approvers, id)
		}
	}
	return name, rule, approvers, rows.Err()
}

func deref(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// enter does what entering a state brings: a change going to approval
// gets its board.
func (s *Service) enter(ctx context.Context, tx *store.Tx, p *auth.Principal, cur Change, next *Change, at time.Time) error {
	if next.State != Approval || cur.State == Approval {
		return nil
	}
	name, rule, approvers, err := board(ctx, tx, *next)
	if err != nil {
		return err
	}
	if len(approvers) == 0 {
		return conflictf("nobody can approve %s: its board (%s) has no active member who may approve changes other than its requester", cur.Number, name)
	}
	next.ApprovalBoard, next.ApprovalRule = name, rule
	if _, err := tx.Exec(ctx, "DELETE FROM change_approvers WHERE change_id = ?", cur.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM change_approvals WHERE change_id = ?", cur.ID); err != nil {
		return err
	}
	for _, id := range approvers {
		if _, err := tx.Exec(ctx, "INSERT INTO change_approvers (change_id, user_id) VALUES (?, ?)", cur.ID, id); err != nil {
			return err
		}
	}
	// Each member of the board learns that a decision waits for them, in
	// Steward and (unless they switched approvals off) by mail.
	return notify.AddWith(ctx, tx, approvers, KindApprovalRequested, "Approval needed: "+cur.Number+" "+next.Title,
		"A change waits for the decision of its board ("+name+", rule: "+rule+").", link(cur),
		map[string]string{"number": cur.Number, "title": next.Title, "board": name, "rule": rule})
}

// Notification kinds of changes.
const (
	KindApprovalRequested = "change_approval_requested"
	KindApproved          = "change_approved"
	KindRejected          = "change_rejected"
)

func link(c Change) string { return "/changes/" + c.Number }

// tellRequester tells the person who asked for c how its board decided.
func tellRequester(ctx context.Context, tx *store.Tx, c Change, rejected bool, rule string) error {
	if c.RequesterID == nil {
		return nil
	}
	kind, title, body := KindApproved, "Approved: "+c.Number+" "+c.Title, "The board approved the change: it may be scheduled."
	if rejected {
		kind, title, body = KindRejected, "Rejected: "+c.Number+" "+c.Title, "The board rejected the change (rule: "+rule+")."
	}
	return notify.AddWith(ctx, tx, []int64{*c.RequesterID}, kind, title, body, link(c),
		map[string]string{"number": c.Number, "title": c.Title, "rule": rule})
}

// needed is how many approvals approve a change under rule with n approvers.
func needed(rule string, n int) int {
	switch rule {
	case All:
		return n
	case Majority:
		return n/2 + 1
	}
	return 1
}

// ApprovalsOf is where change id stands with its board.
func (s *Service) ApprovalsOf(ctx context.Context, p *auth.Principal, id int64) (Approvals, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Approvals{}, err
	}
	return approvals(ctx, s.DB, c)
}

func approvals(ctx context.Context, q store.Querier, c Change) (Approvals, error) {
	a := Approvals{Board: c.ApprovalBoard, Rule: c.ApprovalRule, Approvers: []Approver{}, Decisions: []Decision{}}
	rows, err := q.Query(ctx, `SELECT u.id, u.name FROM change_approvers a JOIN users u ON u.id = a.user_id
		WHERE a.change_id = ? ORDER BY u.name, u.id`, c.ID)
	if err != nil {
		return a, err
	}
	for rows.Next() {
		var ap Approver
		if err := rows.Scan(&ap.UserID, &ap.Name); err != nil {
			rows.Close()
			return a, err
		}
		a.Approvers = append(a.Approvers, ap)
	}
	rows.Close()
	rows, err = q.Query(ctx, `SELECT user_id, user_name, decision, comment, created_at FROM change_approvals
		WHERE change_id = ? ORDER BY id`, c.ID)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var d Decision
		var at store.Time
		if err := rows.Scan(&d.UserID, &d.UserName, &d.Decision, &d.Comment, &at); err != nil {
			return a, err
		}
		d.CreatedAt = at.Time
		a.Decisions = append(a.Decisions, d)
	}
	a.Needed = needed(a.Rule, len(a.Approvers))
	return a, rows.Err()
}

// CanDecide reports whether p may decide on c now, for pages.
func (a Approvals) CanDecide(p *auth.Principal, c Change) bool {
	if c.State != Approval || !p.Can(PermApprove) {
		return false
	}
	if !slices.ContainsFunc(a.Approvers, func(x Approver) bool { return x.UserID == p.UserID }) {
		return false
	}
	return !slices.ContainsFunc(a.Decisions, func(d Decision) bool { return d.UserID == p.UserID })
}

// Decide records p's decision on change id, with its comment in the
// journal. When the board's rule is met the change is approved (and may be
// scheduled); when it can no longer be met it is rejected.
func (s *Service) Decide(ctx context.Context, p *auth.Principal, id int64, decision, comment string) (Change, error) {
	if !p.Can(PermApprove) {
		return Change{}, domainerr.ErrForbidden
	}
	comment = strings.TrimSpace(comment)
	v := domainerr.NewInvalid()
	if decision != "approve" && decision != "reject" {
		v.Add("decision", "must be approve or reject")
	}
	domainerr.Text(v, "comment", comment, decision == "reject", domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Change{}, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.State != Approval {
			return conflictf("%s is not awaiting approval (it is %s)", c.Number, c.State)
		}
		if err := record.SeparationOfDuties(p.UserID, deref(c.CreatedBy), deref(c.RequesterID)); err != nil {
			return err
		}
		a, err := approvals(ctx, tx, c)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(a.Approvers, func(x Approver) bool { return x.UserID == p.UserID }) {
			return domainerr.Refusedf("you are not on the board that decides on %s (%s)", c.Number, a.Board)
		}
		if slices.ContainsFunc(a.Decisions, func(d Decision) bool { return d.UserID == p.UserID }) {
			return conflictf("you have already decided on %s; each approver decides once", c.Number)
		}
		at := now()
		if _, err := tx.Exec(ctx, `INSERT INTO change_approvals (change_id, user_id, user_name, decision, comment, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, p.UserID, p.Name, decision, comment, store.TS(at)); err != nil {
			return store.Translate(err)
		}
		word := map[string]string{"approve": "Approved", "reject": "Rejected"}[decision]
		body := word
		if comment != "" {
			body += ": " + comment
		}
		if _, err := journal.Append(ctx, tx, id, p, "approval", body, nil, at); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), decision, KindName, id, map[string]string{"comment": comment}); err != nil {
			return err
		}
		// The feed (and the webhooks reading it) learns of each decision,
		// as it does of a request's.
		if err := activity.Decided(ctx, tx, at, KindName, id, c.Number, p.Name, map[string]string{"approve": "approved", "reject": "rejected"}[decision], comment); err != nil {
			return err
		}
		return settle(ctx, tx, c, a, decision, at)
	})
	if err != nil {
		return Change{}, err
	}
	return get(ctx, s.DB, id)
}

// settle applies the board's rule after a decision.
func settle(ctx context.Context, tx *store.Tx, c Change, a Approvals, decision string, at time.Time) error {
	yes, no := 0, 0
	for _, d := range a.Decisions {
		if d.Decision == "approve" {
			yes++
		} else {
			no++
		}
	}
	if decision == "approve" {
		yes++
	} else {
		no++
	}
	need := needed(a.Rule, len(a.Approvers))
	next := c
	switch {
	case yes >= need:
		next.ApprovedAt = &at
	case len(a.Approvers)-no < need:
		next.State = Rejected
		next.ClosedAt = &at
	default:
		return nil
	}
	if err := write(ctx, tx, c, next, at); err != nil {
		return err
	}
	body := "The board's rule (" + a.Rule + ") is met: the change is approved and may be scheduled."
	if next.State == Rejected {
		body = "The board's rule (" + a.Rule + ") can no longer be met: the change is rejected."
	}
	if _, err := journal.Append(ctx, tx, c.ID, nil, "change", body, diff(c, next), at); err != nil {
		return err
	}
	return tellRequester(ctx, tx, c, next.State == Rejected, a.Rule)
}
