package request

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/approval"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/ticket"
)

// AutoCloseJob is the job kind that closes a fulfilled request.
const AutoCloseJob = "request.autoclose"

// Service is request management over one database.
type Service struct {
	DB *store.DB
	// AutoCloseAfter closes fulfilled requests after this long; 0 disables it.
	AutoCloseAfter time.Duration
	// Observer is told about every request write, in its transaction; nil is none.
	Observer ticket.Observer
}

// NewService builds a Service.
func NewService(db *store.DB, autoCloseAfter time.Duration) *Service {
	return &Service{DB: db, AutoCloseAfter: autoCloseAfter}
}

// InTxHook runs inside the submitting transaction after the request is
// written; the API uses it to store an idempotency key atomically.
type InTxHook = func(ctx context.Context, tx *store.Tx, r Request) error

// Get loads a request p may see; others get ErrNotFound.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Request, error) {
	if !p.Can(PermRead) {
		return Request{}, domainerr.ErrForbidden
	}
	r, err := get(ctx, s.DB, id)
	if err != nil {
		return r, err
	}
	ok, err := visible(ctx, s.DB, p, r)
	if err != nil {
		return Request{}, err
	}
	if !ok {
		return Request{}, store.ErrNotFound
	}
	return r, nil
}

// Visible reports whether p may see r by the rule incidents follow: staff
// see all, requesters the requests of their organisation (or their own
// when they have none).
func Visible(p *auth.Principal, r Request) bool {
	if p.IsStaff() {
		return true
	}
	if p.CustomerID != 0 {
		return r.CustomerID != nil && *r.CustomerID == p.CustomerID
	}
	return r.RequesterID == p.UserID
}

// visible adds to Visible the approvers of a request, who must see what
// they decide.
func visible(ctx context.Context, q store.Querier, p *auth.Principal, r Request) (bool, error) {
	if Visible(p, r) {
		return true, nil
	}
	return approvals.Asks(ctx, q, r.ID, p.UserID)
}

// Snapshot is a request as service level definitions see it.
func Snapshot(r Request) ticket.Snapshot {
	return ticket.Snapshot{
		Kind: ticket.Request, ID: r.ID, Number: r.Number, Title: r.Title, State: string(r.State),
		Priority: r.Priority.String(), CustomerID: deref(r.CustomerID), ServiceID: r.ServiceID,
		GroupID: deref(r.GroupID), AssigneeID: deref(r.AssigneeID), ItemID: r.ItemID,
		Responded: r.FirstResponseAt != nil, Reopens: r.ReopenCount,
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// observe tells the Observer, if any, about a write; before is nil on creation.
func (s *Service) observe(ctx context.Context, tx *store.Tx, at time.Time, before *Request, after Request) error {
	if s.Observer == nil {
		return nil
	}
	var b *ticket.Snapshot
	if before != nil {
		snap := Snapshot(*before)
		b = &snap
	}
	a := Snapshot(after)
	return s.Observer.TicketChanged(ctx, tx, at, b, &a)
}

func actorOf(p *auth.Principal) audit.Actor {
	if p == nil {
		return audit.System
	}
	return p.Actor()
}

// requester is what submitting needs to know about the person asking.
type requester struct {
	ID         int64
	Name       string
	Role       auth.Role
	CustomerID *int64
}

func (s *Service) loadRequester(ctx context.Context, id int64, v *domainerr.Invalid) (requester, error) {
	var rq requester
	var active bool
	err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT id, name, role, customer_id, active FROM users WHERE id = ?", id).
		Scan(&rq.ID, &rq.Name, &rq.Role, &rq.CustomerID, &active))
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Add("requester_id", "user %d does not exist", id)
	case err != nil:
		return rq, err
	case !active:
		v.Add("requester_id", "user %d is disabled", id)
	}
	return rq, nil
}

// nameableBy answers whether a user answer names an active account that
// rq may see, by the rule of the choices the pages offer: staff anyone,
// requesters the people of their organisation (only themselves when they
// have none). Any other id reads exactly as one that does not exist, so
// the answers neither show rq a stranger's name nor let them probe ids.
func (s *Service) nameableBy(rq requester) UserExists {
	return func(ctx context.Context, id int64) (bool, error) {
		var active bool
		var customer *int64
		err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT active, customer_id FROM users WHERE id = ?", id).Scan(&active, &customer))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil || !active:
			return false, err
		case rq.Role != auth.Requester:
			return true, nil
		case rq.CustomerID != nil:
			return customer != nil && *customer == *rq.CustomerID, nil
		}
		return id == rq.ID, nil
	}
}

// Submit validates and records a new request for principal p. Requesters
// submit for themselves; staff may submit for anyone (requester_id). The
// request waits for approval when its item asks for one and goes straight
// into fulfilment otherwise.
func (s *Service) Submit(ctx context.Context, p *auth.Principal, in NewRequest, hook InTxHook) (Request, error) {
	if !p.Can(PermCreate) {
		return Request{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	requesterID := p.UserID
	if !p.IsStaff() {
		if in.RequesterID != nil && *in.RequesterID != p.UserID {
			v.Add("requester_id", "requesters can only submit requests for themselves")
		}
		for field, set := range map[string]bool{"priority": in.Priority != nil, "group_id": in.GroupID != nil, "assignee_id": in.AssigneeID != nil} {
			if set {
				v.Add(field, "is set by the service desk")
			}
		}
	} else if in.RequesterID != nil {
		requesterID = *in.RequesterID
	}
	rq, err := s.loadRequester(ctx, requesterID, v)
	if err != nil {
		return Request{}, err
	}
	item, ok, err := s.submittable(ctx, p, in.ItemID, rq, v)
	if err != nil {
		return Request{}, err
	}
	r := Request{Title: strings.TrimSpace(in.Title), Description: in.Description, RequesterID: rq.ID,
		CustomerID: rq.CustomerID, Priority: DefaultPriority, GroupID: in.GroupID, AssigneeID: in.AssigneeID, Version: 1}
	if r.Title == "" && ok {
		r.Title = item.Name
	}
	domainerr.Text(v, "title", r.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", r.Description, false, domainerr.MaxText)
	if in.Priority != nil {
		r.Priority = *in.Priority
	}
	if r.Priority < 1 || r.Priority > 5 {
		v.Add("priority", "must be P1 to P5")
	}
	var approvers []approval.Slot
	if ok {
		r.ServiceID, r.ItemID, r.Form = item.ServiceID, item.ID, item.Form
		if r.Answers, err = item.Form.CheckAnswers(ctx, in.Answers, s.nameableBy(rq), v); err != nil {
			return Request{}, err
		}
		item.Form.CheckNeededBy(r.Answers, time.Now(), v)
		if r.GroupID == nil {
			if r.GroupID, err = s.defaultGroup(ctx, item); err != nil {
				return Request{}, err
			}
		}
		if approvers, err = s.approversFor(ctx, item, rq, p.UserID, v); err != nil {
			return Request{}, err
		}
	}
	if err := s.checkAssignment(ctx, r.GroupID, r.AssigneeID, v); err != nil {
		return Request{}, err
	}
	if err := v.Err(); err != nil {
		return Request{}, err
	}

	now := time.Now().UTC().Truncate(time.Microsecond)
	r.CreatedAt, r.UpdatedAt, r.State = now, now, InFulfilment
	if len(approvers) > 0 {
		r.State = AwaitingApproval
	}
	var full Request
	// Shares its commit with other writes (see store.InTxShared); the
	// function may run twice and keeps its state in the transaction.
	err = s.DB.InTxShared(ctx, func(tx *store.Tx) error {
		r.SubmitterID = p.UserID
		if err := insert(ctx, tx, &r, p.UserID); err != nil {
			return err
		}
		moved := []Change{{Field: "state", Old: string(Submitted), New: string(r.State)}}
		if err := appendJournal(ctx, tx, r.ID, p, "created", "", moved, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "request", r.ID, in); err != nil {
			return err
		}
		if len(approvers) > 0 {
			if err := s.requestApprovals(ctx, tx, r, approvers, now); err != nil {
				return err
			}
		} else if err := s.startFulfilment(ctx, tx, r, now); err != nil {
			return err
		}
		if err := s.observe(ctx, tx, now, nil, r); err != nil {
			return err
		}
		var err error
		if full, err = get(ctx, tx, r.ID); err != nil || hook == nil {
			return err
		}
		return hook(ctx, tx, full)
	})
	return full, err
}

// submittable loads the item a request is for and checks that it may be
// requested by rq: it exists and is active, and when rq is a requester,
// its service is offered to their organisation. A requester submitting
// for themselves reads the same message for an item they may not see as
// for one that does not exist.
func (s *Service) submittable(ctx context.Context, p *auth.Principal, id int64, rq requester, v *domainerr.Invalid) (Item, bool, error) {
	if id <= 0 {
		v.Add("item_id", "is required")
		return Item{}, false, nil
	}
	item, err := getItem(ctx, s.DB, id)
	if errors.Is(err, store.ErrNotFound) {
		v.Add("item_id", "item %d does not exist", id)
		return item, false, nil
	}
	if err != nil {
		return item, false, err
	}
	if rq.ID != 0 && rq.Role == auth.Requester {
		offered, err := itemOffered(ctx, s.DB, id, deref(rq.CustomerID))
		if err != nil {
			return item, false, err
		}
		if !offered && !p.IsStaff() {
			v.Add("item_id", "item %d does not exist", id)
			return item, false, nil
		}
		if !offered {
			v.Add("item_id", "item %d is not offered to the requester", id)
			return item, false, nil
		}
	}
	if !item.Active {
		v.Add("item_id", "item %d is no longer offered", id)
		return item, false, nil
	}
	return item, true, nil
}

// defaultGroup is the item's fulfilment group, else the service's support group.
func (s *Service) defaultGroup(ctx context.Context, item Item) (*int64, error) {
	if item.GroupID != nil {
		return item.GroupID, nil
	}
	var g *int64
	err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT support_group_id FROM services WHERE id = ?", item.ServiceID).Scan(&g))
	return g, err
}

// checkAssignment verifies that the group exists and that the assignee is an
// active agent or admin.
func (s *Service) checkAssignment(ctx context.Context, groupID, assigneeID *int64, v *domainerr.Invalid) error {
	if err := s.checkGroup(ctx, "group_id", groupID, v); err != nil {
		return err
	}
	return auth.CheckWorker(ctx, s.DB, v, "assignee_id", assigneeID)
}
