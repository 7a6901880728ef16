package change

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"time"

	"steward/internal/approval"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// The rules a board decides by (those of the shared approvals).
const (
	Any      = string(approval.Any)      // one approval approves
	All      = string(approval.All)      // every approver must approve
	Majority = string(approval.Majority) // more than half must approve
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

// Approvals is where a change stands with its board, and how its board
// decided the earlier times the change was put to it.
type Approvals struct {
	Board     string     `json:"board"`
	Rule      string     `json:"rule"`
	Approvers []Approver `json:"approvers"`
	Decisions []Decision `json:"decisions"`
	// Needed is how many approvals approve the change.
	Needed int `json:"needed"`
	// Round counts the times the change was put to its board (0: never);
	// Earlier are the rounds before it, oldest first, whose decisions no
	// longer count.
	Round   int     `json:"round"`
	Earlier []Round `json:"earlier"`
}

// Round is an earlier time a change was put to its board: who was on it
// and how they decided, until the change was put to its board again.
type Round struct {
	Round        int        `json:"round"`
	SupersededAt time.Time  `json:"superseded_at"`
	Approvers    []Approver `json:"approvers"`
	Decisions    []Decision `json:"decisions"`
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
	var members []auth.Member
	if groupID != nil {
		members, err = auth.GroupMembers(ctx, q, *groupID)
	} else {
		members, err = boardUsers(ctx, q, users)
	}
	if err != nil {
		return "", "", nil, err
	}
	for _, m := range members {
		if m.Principal().Can(PermApprove) &&
			record.SeparationOfDuties(m.UserID, deref(c.CreatedBy), deref(c.RequesterID)) == nil {
			approvers = append(approvers, m.UserID)
		}
	}
	return name, rule, approvers, nil
}

// boardUsers reads the active users a policy names, or the administrators
// when it names none.
func boardUsers(ctx context.Context, q store.Querier, users []int64) ([]auth.Member, error) {
	query := `SELECT id, role FROM users WHERE active = TRUE AND role = 'admin'`
	var args []any
	if len(users) > 0 {
		query = `SELECT id, role FROM users WHERE active = TRUE AND id IN (` + placeholders(len(users)) + `)`
		args = int64Args(users)
	}
	rows, err := q.Query(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.Member
	for rows.Next() {
		var m auth.Member
		var role string
		if err := rows.Scan(&m.UserID, &role); err != nil {
			return nil, err
		}
		m.Role = auth.Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

func deref(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// approvals is the changes' use of the shared approvals: each member of
// the board chosen when a change enters approval decides once, and the
// board's rule adds the decisions up.
var approvals = &approval.Kind{
	Name: KindName,
	Perm: PermApprove,
	Link: func(s approval.Subject) string { return "/changes/" + s.Number },
	Journal: func(ctx context.Context, tx *store.Tx, s approval.Subject, p *auth.Principal, a approval.Approval, at time.Time) error {
		body := map[approval.State]string{approval.Approved: "Approved", approval.Rejected: "Rejected"}[a.State]
		if a.Comment != "" {
			body += ": " + a.Comment
		}
		_, err := journal.Append(ctx, tx, s.ID, p, "approval", body, nil, at)
		return err
	},
	// Each member of the board learns that a decision waits for them, in
	// Steward and (unless they switched approvals off) by mail.
	Asked: func(s approval.Subject) approval.Notice {
		rule := string(s.Rule)
		return approval.Notice{Kind: KindApprovalRequested, Title: "Approval needed: " + s.Number + " " + s.Title,
			Body:   "A change waits for the decision of its board (" + s.Board + ", rule: " + rule + ").",
			Params: map[string]string{"number": s.Number, "title": s.Title, "board": s.Board, "rule": rule}}
	},
	// The person who asked for the change learns how its board decided.
	Told: func(s approval.Subject, outcome approval.State, _ string) approval.Notice {
		rule := string(s.Rule)
		n := approval.Notice{Kind: KindApproved, Title: "Approved: " + s.Number + " " + s.Title,
			Body:   "The board approved the change: it may be scheduled.",
			Params: map[string]string{"number": s.Number, "title": s.Title, "rule": rule}}
		if outcome == approval.Rejected {
			n.Kind, n.Title, n.Body = KindRejected, "Rejected: "+s.Number+" "+s.Title, "The board rejected the change (rule: "+rule+")."
		}
		return n
	},
}

// subject is c as its approvals see it.
func subject(c Change) approval.Subject {
	return approval.Subject{ID: c.ID, Number: c.Number, Title: c.Title, SubmitterID: deref(c.CreatedBy), RequesterID: deref(c.RequesterID),
		Awaiting: c.State == Approval, Standing: "it is " + string(c.State), Rule: approval.Rule(c.ApprovalRule), Board: c.ApprovalBoard}
}

// enter does what entering a state brings: a change going to approval
// gets its board, in a new round after any earlier, which stays as
// history. A change taken back from its board for rework (or cancelled)
// withdraws what its board has not decided, and rework drops an approval
// already given: the board decides again on the reworked change.
func (s *Service) enter(ctx context.Context, tx *store.Tx, p *auth.Principal, cur Change, next *Change, at time.Time) error {
	if cur.State == Approval && (next.State == Assessment || next.State == Cancelled) {
		if next.State == Assessment {
			next.ApprovedAt = nil
		}
		return approvals.Withdraw(ctx, tx, cur.ID)
	}
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
	if err := approvals.Supersede(ctx, tx, cur.ID, at); err != nil {
		return err
	}
	slots := make([]approval.Slot, len(approvers))
	for i := range approvers {
		slots[i] = approval.Slot{UserID: &approvers[i]}
	}
	sub := subject(*next)
	sub.Number = cur.Number
	return approvals.Open(ctx, tx, sub, slots, at)
}

// Notification kinds of changes.
const (
	KindApprovalRequested = "change_approval_requested"
	KindApproved          = "change_approved"
	KindRejected          = "change_rejected"
)

// ApprovalsOf is where change id stands with its board.
func (s *Service) ApprovalsOf(ctx context.Context, p *auth.Principal, id int64) (Approvals, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Approvals{}, err
	}
	return approvalsOf(ctx, s.DB, c)
}

// approvalsOf reads c's board: its members by name, and their decisions
// in the order they were made, for the current round and each earlier one.
func approvalsOf(ctx context.Context, q store.Querier, c Change) (Approvals, error) {
	a := Approvals{Board: c.ApprovalBoard, Rule: c.ApprovalRule, Approvers: []Approver{}, Decisions: []Decision{}, Earlier: []Round{}}
	as, err := approvals.History(ctx, q, c.ID)
	if err != nil {
		return a, err
	}
	var current []approval.Approval
	for i := 0; i < len(as); {
		j := i
		for j < len(as) && as[j].Round == as[i].Round {
			j++
		}
		if as[i].SupersededAt == nil {
			current, a.Round = append(current, as[i:j]...), as[i].Round
		} else {
			r := Round{Round: as[i].Round, SupersededAt: *as[i].SupersededAt}
			r.Approvers, r.Decisions = boardOf(as[i:j])
			a.Earlier = append(a.Earlier, r)
		}
		i = j
	}
	a.Approvers, a.Decisions = boardOf(current)
	a.Needed = approval.Rule(a.Rule).Needed(len(a.Approvers))
	return a, nil
}

// boardOf reads one round's approvals: the members by name, and their
// decisions in the order they were made.
func boardOf(as []approval.Approval) ([]Approver, []Decision) {
	approvers, decisions := []Approver{}, []Decision{}
	var decided []approval.Approval
	for _, x := range as {
		if x.ApproverID != nil {
			approvers = append(approvers, Approver{UserID: *x.ApproverID, Name: x.ApproverName})
		}
		if x.DecidedBy != nil && x.DecidedAt != nil {
			decided = append(decided, x)
		}
	}
	sort.SliceStable(approvers, func(i, j int) bool {
		if approvers[i].Name != approvers[j].Name {
			return approvers[i].Name < approvers[j].Name
		}
		return approvers[i].UserID < approvers[j].UserID
	})
	sort.SliceStable(decided, func(i, j int) bool { return decided[i].DecidedAt.Before(*decided[j].DecidedAt) })
	for _, x := range decided {
		decisions = append(decisions, Decision{UserID: *x.DecidedBy, UserName: x.DecidedByName,
			Decision: approval.Verb(x.State), Comment: x.Comment, CreatedAt: *x.DecidedAt})
	}
	return approvers, decisions
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
	if err := approvals.Allowed(p); err != nil {
		return Change{}, err
	}
	v := domainerr.NewInvalid()
	if decision != "approve" && decision != "reject" {
		v.Add("decision", "must be approve or reject")
	}
	approval.CheckComment(v, decision == "approve", comment)
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
		a, outcome, err := approvals.Decide(ctx, tx, p, subject(c), 0, decision == "approve", comment)
		if err != nil {
			return err
		}
		return settle(ctx, tx, c, outcome, *a.DecidedAt)
	})
	if err != nil {
		return Change{}, err
	}
	return get(ctx, s.DB, id)
}

// settle applies the board's rule after a decision.
func settle(ctx context.Context, tx *store.Tx, c Change, outcome approval.State, at time.Time) error {
	next := c
	switch outcome {
	case approval.Approved:
		next.ApprovedAt = &at
	case approval.Rejected:
		next.State = Rejected
		next.ClosedAt = &at
	default:
		return nil
	}
	if err := write(ctx, tx, c, next, at); err != nil {
		return err
	}
	body := "The board's rule (" + c.ApprovalRule + ") is met: the change is approved and may be scheduled."
	if next.State == Rejected {
		body = "The board's rule (" + c.ApprovalRule + ") can no longer be met: the change is rejected."
	}
	if _, err := journal.Append(ctx, tx, c.ID, nil, "change", body, diff(c, next), at); err != nil {
		return err
	}
	return approvals.Tell(ctx, tx, subject(c), outcome, "")
}
