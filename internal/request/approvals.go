package request

import (
	"context"
	"strings"
	"time"

	"steward/internal/approval"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/record"
	"steward/internal/store"
)

// ApprovalState is where one approval stands.
type ApprovalState = approval.State

const (
	Pending  = approval.Pending
	Approved = approval.Approved
	Declined = approval.Rejected
	// Withdrawn approvals are no longer needed: the request was rejected by
	// another approver or cancelled.
	Withdrawn = approval.Withdrawn
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

func recordOf(a approval.Approval) ApprovalRecord {
	return ApprovalRecord{ID: a.ID, RequestID: a.RecordID, ApproverID: a.ApproverID, ApproverName: a.ApproverName,
		GroupID: a.GroupID, GroupName: a.GroupName, State: a.State, Comment: a.Comment, DecidedBy: a.DecidedBy,
		DecidedByName: a.DecidedByName, CreatedAt: a.CreatedAt, DecidedAt: a.DecidedAt}
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

// approvals is the requests' use of the shared approvals: every approval
// of a request is needed, and one rejection rejects it.
var approvals = &approval.Kind{
	Name: KindName,
	Perm: PermApprove,
	Link: func(s approval.Subject) string { return "/requests/" + s.Number },
	Journal: func(ctx context.Context, tx *store.Tx, s approval.Subject, p *auth.Principal, a approval.Approval, at time.Time) error {
		change := []Change{{Field: "approval", Old: "pending (" + a.Who() + ")", New: string(a.State)}}
		return appendJournal(ctx, tx, s.ID, p, "approval", a.Comment, change, at)
	},
	ApprovalEntity: "request_approval",
	Asked: func(s approval.Subject) approval.Notice {
		return approval.Notice{Kind: "approval_requested", Title: "Approval needed: " + s.Number + " " + s.Title,
			Body: "A request waits for your decision."}
	},
	Told: func(s approval.Subject, outcome approval.State, comment string) approval.Notice {
		n := approval.Notice{Kind: "request_" + string(outcome), Title: "Approved: " + s.Number + " " + s.Title,
			Body:   "Your request was approved and is being fulfilled.",
			Params: map[string]string{"number": s.Number, "title": s.Title, "comment": comment}}
		if outcome == approval.Rejected {
			n.Title, n.Body = "Rejected: "+s.Number+" "+s.Title, "Your request was rejected: "+comment
		}
		return n
	},
}

// subject is r as its approvals see it.
func subject(r Request) approval.Subject {
	return approval.Subject{ID: r.ID, Number: r.Number, Title: r.Title, SubmitterID: r.SubmitterID, RequesterID: r.RequesterID,
		Awaiting: r.State == AwaitingApproval, Standing: "the request is " + strings.ReplaceAll(string(r.State), "_", " "),
		Rule: approval.All}
}

func approvalsOf(ctx context.Context, q store.Querier, requestID int64) ([]ApprovalRecord, error) {
	as, err := approvals.Of(ctx, q, requestID)
	if err != nil {
		return nil, err
	}
	out := make([]ApprovalRecord, len(as))
	for i, a := range as {
		out[i] = recordOf(a)
	}
	return out, nil
}

// Approvals lists a request's approvals, oldest first.
func (s *Service) Approvals(ctx context.Context, p *auth.Principal, requestID int64) ([]ApprovalRecord, error) {
	if _, err := s.Get(ctx, p, requestID); err != nil {
		return nil, err
	}
	return approvalsOf(ctx, s.DB, requestID)
}

// approversFor works out who must approve a request of item for rq,
// submitted by submitterID, by the item's rule. Nobody approves what they
// asked for or submitted (record.SeparationOfDuties): both are left out of
// a group, and a rule that leaves nobody is refused.
func (s *Service) approversFor(ctx context.Context, item Item, rq requester, submitterID int64, v *domainerr.Invalid) ([]approval.Slot, error) {
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
		if err := org.CheckApprover(ctx, s.DB, "item_id", *a.UserID, PermApprove, sub); err != nil {
			return nil, err
		}
		if sub.Has("item_id") {
			v.Add("item_id", "cannot be approved now: its approver %s", strings.TrimPrefix(sub.Fields["item_id"], "user "))
		}
		return []approval.Slot{{UserID: a.UserID}}, nil
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
		if err := org.CheckApprover(ctx, s.DB, "manager", *m, PermApprove, sub); err != nil {
			return nil, err
		}
		if sub.Has("manager") {
			v.Add("requester_id", "%s's manager cannot approve: %s", rq.Name, sub.Fields["manager"])
		}
		return []approval.Slot{{UserID: m}}, nil
	case GroupApproval:
		if a.GroupID == nil {
			return nil, nil
		}
		members, err := approvals.Deciders(ctx, s.DB, *a.GroupID, approval.Subject{SubmitterID: submitterID, RequesterID: rq.ID})
		if err != nil {
			return nil, err
		}
		if len(members) == 0 {
			v.Add("item_id", "its approving group has no active member who could decide (nobody approves a request they asked for or submitted)")
			return nil, nil
		}
		if a.Mode == AnyMember {
			return []approval.Slot{{GroupID: a.GroupID}}, nil
		}
		out := make([]approval.Slot, len(members))
		for i := range members {
			out[i] = approval.Slot{UserID: &members[i], GroupID: a.GroupID}
		}
		return out, nil
	}
	return nil, nil
}

// requestApprovals writes the approvals a new request needs and tells the
// approvers.
func (s *Service) requestApprovals(ctx context.Context, tx *store.Tx, r Request, slots []approval.Slot, now time.Time) error {
	return approvals.Open(ctx, tx, subject(r), slots, now)
}

func link(r Request) string { return "/requests/" + r.Number }

// Decide records p's decision on one approval of a request. Only the
// designated approver decides (administrators too: there is no override),
// and nobody decides on a request they asked for or submitted. A rejection rejects the request
// for good; the last approval needed sends it into fulfilment.
func (s *Service) Decide(ctx context.Context, p *auth.Principal, requestID, approvalID int64, approve bool, comment string) (ApprovalRecord, error) {
	if err := approvals.Allowed(p); err != nil {
		return ApprovalRecord{}, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := getLocked(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if ok, err := visible(ctx, tx, p, r); err != nil || !ok {
			return cmpErr(err, store.ErrNotFound)
		}
		a, outcome, err := approvals.Decide(ctx, tx, p, subject(r), approvalID, approve, comment)
		if err != nil {
			return err
		}
		return s.settle(ctx, tx, r, a, outcome)
	})
	if err != nil {
		return ApprovalRecord{}, err
	}
	a, err := approvals.Get(ctx, s.DB, requestID, approvalID)
	return recordOf(a), err
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// settle moves a request as its approvals now stand: rejected by one
// rejection, into fulfilment once every approval is given.
func (s *Service) settle(ctx context.Context, tx *store.Tx, r Request, a approval.Approval, outcome approval.State) error {
	now := *a.DecidedAt
	next := r
	switch outcome {
	case approval.Rejected:
		next.State = Rejected
	case approval.Approved:
		next.State = InFulfilment
	default:
		// Nothing moves yet, but service levels may watch decisions too.
		return s.observe(ctx, tx, now, &r, r)
	}
	if err := s.commit(ctx, tx, nil, r, &next, "", now); err != nil {
		return err
	}
	if err := approvals.Tell(ctx, tx, subject(r), outcome, a.Comment); err != nil {
		return err
	}
	if next.State == InFulfilment {
		return s.startFulfilment(ctx, tx, next, now)
	}
	return nil
}

// PendingFor lists the approvals p must decide, oldest first.
func (s *Service) PendingFor(ctx context.Context, p *auth.Principal, limit int) ([]PendingApproval, error) {
	if err := approvals.Allowed(p); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	waiting, args := approvals.WaitingClause(p.UserID)
	rows, err := s.DB.Query(ctx, "SELECT "+approval.Cols+`, r.title, COALESCE(ru.name, ''), COALESCE(it.name, ''), r.priority`+
		approval.From+` JOIN requests r ON r.id = ap.record_id
		LEFT JOIN users ru ON ru.id = r.requester_id
		LEFT JOIN catalog_items it ON it.id = r.item_id
		WHERE `+waiting+` AND r.state = 'awaiting_approval' AND r.requester_id <> ?
		AND (r.created_by IS NULL OR r.created_by <> ?)
		ORDER BY ap.id LIMIT ?`, append(args, p.UserID, p.UserID, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PendingApproval{}
	for rows.Next() {
		var pa PendingApproval
		a, err := approval.Scan(rows, &pa.RequestTitle, &pa.RequesterName, &pa.ItemName, &pa.Priority)
		if err != nil {
			return nil, err
		}
		pa.ApprovalRecord, pa.RequestNumber = recordOf(a), FormatNumber(a.RecordID)
		out = append(out, pa)
	}
	return out, rows.Err()
}

// importApprovals writes a request's approvals as given (Import's
// parameter shadows the package's declaration).
func importApprovals(ctx context.Context, tx *store.Tx, requestID int64, as []approval.Approval) error {
	return approvals.Import(ctx, tx, requestID, as)
}

// SetManager names a user's manager, who decides the user's requests when
// a catalogue item asks for the manager's approval; nil removes it. The
// manager must be an active user who may decide requests' approvals.
func SetManager(ctx context.Context, db *store.DB, p *auth.Principal, userID int64, managerID *int64) (org.Manager, error) {
	return org.SetManager(ctx, db, p, userID, managerID, PermApprove)
}
