package request

import (
	"context"
	"errors"
	"steward/internal/activity"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/org"
	"steward/internal/record"
	"steward/internal/store"
)

// ApprovalState is where one approval stands.
type ApprovalState string

const (
	Pending  ApprovalState = "pending"
	Approved ApprovalState = "approved"
	Declined ApprovalState = "rejected"
	// Withdrawn approvals are no longer needed: the request was rejected by
	// another approver or cancelled.
	Withdrawn ApprovalState = "cancelled"
)

// ApprovalRecord is one decision owed on a request: by a named user, or by
// any one member of a group (ApproverID nil).
type ApprovalRecord struct {
	ID            int64         `json:"id"`
	RequestID     int64         `json:"request_id"`
	ApproverID    *int64        `json:"approver_id"`
	ApproverName  string        `json:"approver_name,omitempty"`
	GroupID       *int64        `json:"group_id"`
	GroupName     string        `json:"group_name,omitempty"`
	State         ApprovalState `json:"state"`
	Comment       string        `json:"comment"`
	DecidedBy     *int64        `json:"decided_by"`
	DecidedByName string        `json:"decided_by_name,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	DecidedAt     *time.Time    `json:"decided_at"`
}

// PendingApproval is an approval waiting for the caller, with the request
// it is about.
type PendingApproval struct {
	ApprovalRecord
	RequestNumber string   `json:"request_number"`
	RequestTitle  string   `json:"request_title"`
	RequesterName string   `json:"requester_name"`
	ItemName      string   `json:"item_name"`
	Priority      Priority `json:"priority"`
}

const approvalCols = `ap.id, ap.request_id, ap.approver_id, COALESCE(au.name, ''), ap.group_id, COALESCE(ag.name, ''),
	ap.state, ap.comment, ap.decided_by, COALESCE(ad.name, ''), ap.created_at, ap.decided_at`

const approvalFrom = ` FROM request_approvals ap
	LEFT JOIN users au ON au.id = ap.approver_id
	LEFT JOIN support_groups ag ON ag.id = ap.group_id
	LEFT JOIN users ad ON ad.id = ap.decided_by`

func scanApproval(row interface{ Scan(...any) error }, extra ...any) (ApprovalRecord, error) {
	var a ApprovalRecord
	var created, decided store.Time
	dest := append([]any{&a.ID, &a.RequestID, &a.ApproverID, &a.ApproverName, &a.GroupID, &a.GroupName, &a.State,
		&a.Comment, &a.DecidedBy, &a.DecidedByName, &created, &decided}, extra...)
	if err := row.Scan(dest...); err != nil {
		return a, store.ScanErr(err)
	}
	a.CreatedAt, a.DecidedAt = created.Time, timePtr(decided)
	return a, nil
}

func approvalsOf(ctx context.Context, q store.Querier, requestID int64) ([]ApprovalRecord, error) {
	rows, err := q.Query(ctx, "SELECT "+approvalCols+approvalFrom+" WHERE ap.request_id = ? ORDER BY ap.id LIMIT 1000", requestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ApprovalRecord{}
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Approvals lists a request's approvals, oldest first.
func (s *Service) Approvals(ctx context.Context, p *auth.Principal, requestID int64) ([]ApprovalRecord, error) {
	if _, err := s.Get(ctx, p, requestID); err != nil {
		return nil, err
	}
	return approvalsOf(ctx, s.DB, requestID)
}

// approverSlot is one approval to create on submission.
type approverSlot struct {
	UserID  *int64
	GroupID *int64
}

// approversFor works out who must approve a request of item for rq,
// submitted by submitterID, by the item's rule. Nobody approves what they
// asked for or submitted (record.SeparationOfDuties): both are left out of
// a group, and a rule that leaves nobody is refused.
func (s *Service) approversFor(ctx context.Context, item Item, rq requester, submitterID int64, v *domainerr.Invalid) ([]approverSlot, error) {
	a := item.Approval
	switch a.Rule {
	case UserApproval:
		if a.UserID == nil {
			return nil, nil
		}
		switch *a.UserID {
		case rq.ID:
			v.Add("item_id", "needs approval by the requester themselves, and nobody approves their own request; an administrator must name another approver")
			return nil, nil
		case submitterID:
			v.Add("item_id", "needs approval by you, and nobody approves a request they submit; ask someone else to submit it, or an administrator to name another approver")
			return nil, nil
		}
		sub := domainerr.NewInvalid()
		if err := org.CheckApprover(ctx, s.DB, "item_id", *a.UserID, sub); err != nil {
			return nil, err
		}
		if sub.Has("item_id") {
			v.Add("item_id", "cannot be approved now: its approver %s", strings.TrimPrefix(sub.Fields["item_id"], "user "))
		}
		return []approverSlot{{UserID: a.UserID}}, nil
	case ManagerApproval:
		if rq.ID == 0 {
			return nil, nil
		}
		m, err := org.ManagerOf(ctx, s.DB, rq.ID)
		if err != nil {
			return nil, err
		}
		if m == nil {
			v.Add("requester_id", "%s has no manager to approve %q; an administrator sets managers (PUT /api/v1/users/{id}/manager)", rq.Name, item.Name)
			return nil, nil
		}
		if record.SeparationOfDuties(*m, submitterID, rq.ID) != nil {
			v.Add("requester_id", "%s's manager approves %q, and nobody approves a request they submit; ask someone else to submit it", rq.Name, item.Name)
			return nil, nil
		}
		sub := domainerr.NewInvalid()
		if err := org.CheckApprover(ctx, s.DB, "manager", *m, sub); err != nil {
			return nil, err
		}
		if sub.Has("manager") {
			v.Add("requester_id", "%s's manager cannot approve: %s", rq.Name, sub.Fields["manager"])
		}
		return []approverSlot{{UserID: m}}, nil
	case GroupApproval:
		if a.GroupID == nil {
			return nil, nil
		}
		members, err := deciders(ctx, s.DB, *a.GroupID, submitterID, rq.ID)
		if err != nil {
			return nil, err
		}
		if len(members) == 0 {
			v.Add("item_id", "its approving group has no active member who could decide (nobody approves a request they asked for or submitted)")
			return nil, nil
		}
		if a.Mode == AnyMember {
			return []approverSlot{{GroupID: a.GroupID}}, nil
		}
		out := make([]approverSlot, len(members))
		for i := range members {
			out[i] = approverSlot{UserID: &members[i], GroupID: a.GroupID}
		}
		return out, nil
	}
	return nil, nil
}

// deciders lists the active members of a group who may decide approvals
// of a request submitted by submitterID for requesterID.
func deciders(ctx context.Context, q store.Querier, groupID, submitterID, requesterID int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT u.id FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = ? AND u.active = ? AND u.role IN ('admin', 'agent', 'requester')
		ORDER BY u.id LIMIT 500`, groupID, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if record.SeparationOfDuties(id, submitterID, requesterID) == nil {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// requestApprovals writes the approvals a new request needs and tells the
// approvers.
func (s *Service) requestApprovals(ctx context.Context, tx *store.Tx, r Request, slots []approverSlot, now time.Time) error {
	var notified []int64
	for _, a := range slots {
		if _, err := tx.Exec(ctx, `INSERT INTO request_approvals (request_id, approver_id, group_id, state, created_at)
			VALUES (?, ?, ?, 'pending', ?)`, r.ID, a.UserID, a.GroupID, store.TS(now)); err != nil {
			return err
		}
		if a.UserID != nil {
			notified = append(notified, *a.UserID)
		} else if a.GroupID != nil {
			members, err := deciders(ctx, tx, *a.GroupID, r.SubmitterID, r.RequesterID)
			if err != nil {
				return err
			}
			notified = append(notified, members...)
		}
	}
	return notify.Add(ctx, tx, notified, "approval_requested", "Approval needed: "+r.Number+" "+r.Title,
		"A request waits for your decision.", link(r))
}

func link(r Request) string { return "/requests/" + r.Number }

// mayDecide reports whether p is the one to decide approval a of r; the
// separation of duties is checked before.
func mayDecide(ctx context.Context, q store.Querier, p *auth.Principal, r Request, a ApprovalRecord) (bool, error) {
	if a.ApproverID != nil {
		return *a.ApproverID == p.UserID, nil
	}
	if a.GroupID == nil {
		return false, nil
	}
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?", *a.GroupID, p.UserID).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Decide records p's decision on one approval of a request. Only the
// designated approver decides (administrators too: there is no override),
// and nobody decides on a request they asked for or submitted. A rejection rejects the request
// for good; the last approval needed sends it into fulfilment.
func (s *Service) Decide(ctx context.Context, p *auth.Principal, requestID, approvalID int64, approve bool, comment string) (ApprovalRecord, error) {
	if !p.Can(auth.RequestApprove) {
		return ApprovalRecord{}, domainerr.ErrForbidden
	}
	comment = strings.TrimSpace(comment)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "comment", comment, !approve, domainerr.MaxText)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := getLocked(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if ok, err := visible(ctx, tx, p, r); err != nil || !ok {
			return cmpErr(err, store.ErrNotFound)
		}
		a, err := scanApproval(tx.QueryRow(ctx, "SELECT "+approvalCols+approvalFrom+" WHERE ap.id = ? AND ap.request_id = ?", approvalID, requestID))
		if err != nil {
			return err
		}
		if err := record.SeparationOfDuties(p.UserID, r.SubmitterID, r.RequesterID); err != nil {
			return err
		}
		if ok, err := mayDecide(ctx, tx, p, r, a); err != nil || !ok {
			return cmpErr(err, domainerr.ErrForbidden)
		}
		if a.State != Pending || r.State != AwaitingApproval {
			return domainerr.Conflictf("this approval of %s was already settled (%s); the request is %s", r.Number, a.State, strings.ReplaceAll(string(r.State), "_", " "))
		}
		if err := v.Err(); err != nil {
			return err
		}
		return s.settle(ctx, tx, p, r, a, approve, comment)
	})
	if err != nil {
		return ApprovalRecord{}, err
	}
	return scanApproval(s.DB.QueryRow(ctx, "SELECT "+approvalCols+approvalFrom+" WHERE ap.id = ?", approvalID))
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// settle writes a decision and what follows from it.
func (s *Service) settle(ctx context.Context, tx *store.Tx, p *auth.Principal, r Request, a ApprovalRecord, approve bool, comment string) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	state := Approved
	if !approve {
		state = Declined
	}
	if _, err := tx.Exec(ctx, `UPDATE request_approvals SET state = ?, comment = ?, decided_by = ?, decided_at = ?
		WHERE id = ? AND state = 'pending'`, string(state), comment, p.UserID, store.TS(now), a.ID); err != nil {
		return err
	}
	who := a.ApproverName
	if who == "" {
		who = a.GroupName
	}
	change := []Change{{Field: "approval", Old: "pending (" + who + ")", New: string(state)}}
	if err := appendJournal(ctx, tx, r.ID, p, "approval", comment, change, now); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, p.Actor(), "update", "request_approval", a.ID,
		map[string]any{"request_id": r.ID, "decision": state, "comment": comment}); err != nil {
		return err
	}
	if err := activity.Decided(ctx, tx, now, "request", r.ID, r.Number, p.Name, string(state), comment); err != nil {
		return err
	}
	next := r
	if !approve {
		next.State = Rejected
	} else {
		var waiting int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM request_approvals WHERE request_id = ? AND state = 'pending'", r.ID).Scan(&waiting); err != nil {
			return err
		}
		if waiting == 0 {
			next.State = InFulfilment
		}
	}
	if next.State == r.State {
		// Nothing moves yet, but service levels may watch decisions too.
		return s.observe(ctx, tx, now, &r, r)
	}
	if err := s.commit(ctx, tx, nil, r, &next, "", now); err != nil {
		return err
	}
	title, body := "Approved: "+r.Number+" "+r.Title, "Your request was approved and is being fulfilled."
	if !approve {
		title, body = "Rejected: "+r.Number+" "+r.Title, "Your request was rejected: "+comment
	}
	params := map[string]string{"number": r.Number, "title": r.Title, "comment": comment}
	if err := notify.AddWith(ctx, tx, []int64{r.RequesterID}, "request_"+string(state), title, body, link(r), params); err != nil {
		return err
	}
	if next.State == InFulfilment {
		return s.startFulfilment(ctx, tx, next, now)
	}
	return nil
}

// PendingFor lists the approvals p must decide, oldest first.
func (s *Service) PendingFor(ctx context.Context, p *auth.Principal, limit int) ([]PendingApproval, error) {
	if !p.Can(auth.RequestApprove) {
		return nil, domainerr.ErrForbidden
	}
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	rows, err := s.DB.Query(ctx, "SELECT "+approvalCols+`, r.id, r.title, COALESCE(ru.name, ''), COALESCE(it.name, ''), r.priority`+
		approvalFrom+` JOIN requests r ON r.id = ap.request_id
		LEFT JOIN users ru ON ru.id = r.requester_id
		LEFT JOIN catalog_items it ON it.id = r.item_id
		WHERE ap.state = 'pending' AND r.state = 'awaiting_approval' AND r.requester_id <> ?
		AND (r.created_by IS NULL OR r.created_by <> ?)
		AND (ap.approver_id = ? OR (ap.approver_id IS NULL AND ap.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)))
		ORDER BY ap.id LIMIT ?`, p.UserID, p.UserID, p.UserID, p.UserID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PendingApproval{}
	for rows.Next() {
		var pa PendingApproval
		var id int64
		a, err := scanApproval(rows, &id, &pa.RequestTitle, &pa.RequesterName, &pa.ItemName, &pa.Priority)
		if err != nil {
			return nil, err
		}
		pa.ApprovalRecord, pa.RequestNumber = a, FormatNumber(id)
		out = append(out, pa)
	}
	return out, rows.Err()
}
