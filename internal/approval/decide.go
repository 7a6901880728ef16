package approval

import (
	"context"
	"strings"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/record"
	"steward/internal/store"
)

// Deciders lists the active members of group groupID who may decide
// approvals of this kind on s: holding the permission, and neither its
// submitter nor its requester.
func (k *Kind) Deciders(ctx context.Context, q store.Querier, groupID int64, s Subject) ([]int64, error) {
	ms, err := auth.GroupMembers(ctx, q, groupID)
	if err != nil {
		return nil, err
	}
	out := []int64{}
	for _, m := range ms {
		if k.eligible(m.UserID, m.Role, s) {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

// eligible is whether a user of role may decide on s at all.
func (k *Kind) eligible(id int64, role auth.Role, s Subject) bool {
	return (&auth.Principal{UserID: id, Role: role}).Can(k.Perm) &&
		record.SeparationOfDuties(id, s.SubmitterID, s.RequesterID) == nil
}

// Open writes the approvals s needs, as a new round after any earlier
// (which the caller has superseded), and tells everyone who may decide
// them: the named approvers and the eligible members of groups.
func (k *Kind) Open(ctx context.Context, tx *store.Tx, s Subject, slots []Slot, at time.Time) error {
	round, err := k.nextRound(ctx, tx, s.ID)
	if err != nil {
		return err
	}
	var told []int64
	for _, sl := range slots {
		if err := k.insert(ctx, tx, s.ID, Approval{ApproverID: sl.UserID, GroupID: sl.GroupID, State: Pending, CreatedAt: at, Round: round}); err != nil {
			return err
		}
		switch {
		case sl.UserID != nil:
			told = append(told, *sl.UserID)
		case sl.GroupID != nil:
			members, err := k.Deciders(ctx, tx, *sl.GroupID, s)
			if err != nil {
				return err
			}
			told = append(told, members...)
		}
	}
	if k.Asked == nil {
		return nil
	}
	n := k.Asked(s)
	return notify.AddWith(ctx, tx, told, n.Kind, n.Title, n.Body, k.Link(s), n.Params)
}

// Tell sends the requester of s the notice of its outcome.
func (k *Kind) Tell(ctx context.Context, tx *store.Tx, s Subject, outcome State, comment string) error {
	if k.Told == nil || s.RequesterID == 0 || outcome == Pending {
		return nil
	}
	n := k.Told(s, outcome, comment)
	return notify.AddWith(ctx, tx, []int64{s.RequesterID}, n.Kind, n.Title, n.Body, k.Link(s), n.Params)
}

// Allowed refuses p outright when their role may not decide approvals of
// this kind.
func (k *Kind) Allowed(p *auth.Principal) error {
	if !p.Can(k.Perm) {
		return domainerr.ErrForbidden
	}
	return nil
}

// CheckComment adds to v what is wrong with a decision's comment: a
// rejection says why, and no comment is over the text limit.
func CheckComment(v *domainerr.Invalid, approve bool, comment string) {
	domainerr.Text(v, "comment", strings.TrimSpace(comment), !approve, domainerr.MaxText)
}

// Decide records p's decision on one approval of s, inside tx, whose
// caller has locked the record and checked that p may see it. approvalID
// names the approval; 0 picks p's own. Only a named approver (or a member
// of the group it is addressed to) decides, administrators too, only
// once, and never on a record they had a hand in raising. The decision
// goes into the record's journal, the audit trail and the activity feed.
// It returns the approval as decided and where the step stands now under
// s.Rule; what the outcome does to the record is the caller's.
func (k *Kind) Decide(ctx context.Context, tx *store.Tx, p *auth.Principal, s Subject, approvalID int64, approve bool, comment string) (Approval, State, error) {
	if err := k.Allowed(p); err != nil {
		return Approval{}, "", err
	}
	comment = strings.TrimSpace(comment)
	if err := k.lock(ctx, tx, s.ID); err != nil {
		return Approval{}, "", err
	}
	as, err := k.Of(ctx, tx, s.ID)
	if err != nil {
		return Approval{}, "", err
	}
	i := -1
	for j, a := range as {
		if a.ID == approvalID {
			i = j
		}
	}
	if approvalID != 0 && i < 0 {
		return Approval{}, "", store.ErrNotFound
	}
	if err := record.SeparationOfDuties(p.UserID, s.SubmitterID, s.RequesterID); err != nil {
		return Approval{}, "", err
	}
	if approvalID == 0 {
		if i, err = k.own(ctx, tx, p, as); err != nil {
			return Approval{}, "", err
		}
	}
	if i < 0 {
		return Approval{}, "", k.notYours(s)
	}
	if ok, err := k.mayDecide(ctx, tx, p, as[i]); err != nil || !ok {
		return Approval{}, "", cmpErr(err, k.notYours(s))
	}
	a := as[i]
	if a.State != Pending || !s.Awaiting {
		return Approval{}, "", settled(s, a, p)
	}
	v := domainerr.NewInvalid()
	CheckComment(v, approve, comment)
	if err := v.Err(); err != nil {
		return Approval{}, "", err
	}
	at := now()
	a.State, a.Comment, a.DecidedBy, a.DecidedByName, a.DecidedAt = Rejected, comment, &p.UserID, p.Name, &at
	if approve {
		a.State = Approved
	}
	res, err := tx.Exec(ctx, `UPDATE approvals SET state = ?, comment = ?, decided_by = ?, decided_by_name = ?, decided_at = ?
		WHERE id = ? AND state = 'pending'`, string(a.State), comment, p.UserID, p.Name, store.TS(at), a.ID)
	if err != nil {
		return Approval{}, "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Approval{}, "", settled(s, as[i], p)
	}
	as[i] = a
	if err := k.record(ctx, tx, p, s, a, at); err != nil {
		return Approval{}, "", err
	}
	return a, Tally(s.Rule, as), nil
}

// lock holds the approvals of record id on PostgreSQL until the
// transaction ends, so that decisions made at once on one step queue up
// and each tallies the others'. SQLite has a single writer.
func (k *Kind) lock(ctx context.Context, tx *store.Tx, id int64) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	rows, err := tx.Query(ctx, "SELECT id FROM approvals WHERE record_kind = ? AND record_id = ? AND superseded_at IS NULL ORDER BY id FOR UPDATE", k.Name, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// own picks the approval p decides when none is named: the one addressed
// to them (decided or not, so that a second decision is refused as such),
// else a pending one addressed to a group of theirs.
func (k *Kind) own(ctx context.Context, q store.Querier, p *auth.Principal, as []Approval) (int, error) {
	for i, a := range as {
		if a.ApproverID != nil && *a.ApproverID == p.UserID {
			return i, nil
		}
	}
	for i, a := range as {
		if a.ApproverID == nil && a.GroupID != nil && a.State == Pending {
			if ok, err := member(ctx, q, *a.GroupID, p.UserID); err != nil || ok {
				return i, err
			}
		}
	}
	return -1, nil
}

// mayDecide reports whether p is the one to decide a.
func (k *Kind) mayDecide(ctx context.Context, q store.Querier, p *auth.Principal, a Approval) (bool, error) {
	if a.ApproverID != nil {
		return *a.ApproverID == p.UserID, nil
	}
	if a.GroupID == nil {
		return false, nil
	}
	return member(ctx, q, *a.GroupID, p.UserID)
}

func (k *Kind) notYours(s Subject) error {
	if s.Board != "" {
		return domainerr.Refusedf("you are not on the board that decides on %s (%s)", s.Number, s.Board)
	}
	return domainerr.Refusedf("you are not the approver of %s this decision waits for", s.Number)
}

func settled(s Subject, a Approval, p *auth.Principal) error {
	if a.DecidedBy != nil && *a.DecidedBy == p.UserID {
		return domainerr.Conflictf("you have already decided on %s; each approver decides once", s.Number)
	}
	if !s.Awaiting {
		return domainerr.Conflictf("this approval of %s was already settled (%s); %s", s.Number, a.State, s.Standing)
	}
	return domainerr.Conflictf("this approval of %s was already settled (%s)", s.Number, a.State)
}

// record writes what a decision leaves behind: the record's journal line,
// the audit entry and the activity feed's entry (which webhooks read).
func (k *Kind) record(ctx context.Context, tx *store.Tx, p *auth.Principal, s Subject, a Approval, at time.Time) error {
	if err := k.Journal(ctx, tx, s, p, a, at); err != nil {
		return err
	}
	var err error
	if k.ApprovalEntity != "" {
		err = audit.Record(ctx, tx, p.Actor(), "update", k.ApprovalEntity, a.ID,
			map[string]any{k.Name + "_id": s.ID, "decision": a.State, "comment": a.Comment})
	} else {
		err = audit.Record(ctx, tx, p.Actor(), Verb(a.State), k.Name, s.ID, map[string]string{"comment": a.Comment})
	}
	if err != nil {
		return err
	}
	return activity.Decided(ctx, tx, at, k.Name, s.ID, s.Number, p.Name, string(a.State), a.Comment)
}

// Verb is the action a decision in state st is: approve or reject.
func Verb(st State) string {
	if st == Approved {
		return "approve"
	}
	return "reject"
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
