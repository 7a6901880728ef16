package incident

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/ticket"
)

// AutoCloseJob is the job kind that closes a resolved incident.
const AutoCloseJob = "incident.autoclose"

// Service is incident management over one database.
type Service struct {
	DB *store.DB
	// AutoCloseAfter closes resolved incidents after this long; 0 disables it.
	AutoCloseAfter time.Duration
	// Observer, when not nil, is told about every incident written, inside
	// the writing transaction: creation, each change, comments, automatic
	// closure and imports. Creations share transactions (see
	// store.InTxShared) and may run again after a rolled-back attempt, so
	// the Observer must keep its state in the transaction, not in memory.
	Observer ticket.Observer

	mu        sync.Mutex
	matrix    Matrix
	matrixAt  time.Time
	matrixTTL time.Duration
}

// NewService builds a Service.
func NewService(db *store.DB, autoCloseAfter time.Duration) *Service {
	return &Service{DB: db, AutoCloseAfter: autoCloseAfter, matrixTTL: 5 * time.Second}
}

// InTxHook runs inside the create transaction after the incident is
// written; the API uses it to store an idempotency key atomically.
type InTxHook = func(ctx context.Context, tx *store.Tx, inc Incident) error

// Create validates and records a new incident for principal p.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewIncident, hook InTxHook) (Incident, error) {
	if !p.Can(PermCreate) {
		return Incident{}, domainerr.ErrForbidden
	}
	matrix, err := s.Matrix(ctx)
	if err != nil {
		return Incident{}, err
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Category = strings.TrimSpace(in.Category)
	in.Subcategory = strings.TrimSpace(in.Subcategory)
	if in.Impact == "" {
		in.Impact = Medium
	}
	if in.Urgency == "" {
		in.Urgency = Medium
	}
	v := domainerr.NewInvalid()
	var names refNames
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", in.Description, false, domainerr.MaxText)
	domainerr.Text(v, "category", in.Category, false, domainerr.MaxShort)
	domainerr.Text(v, "subcategory", in.Subcategory, false, domainerr.MaxShort)
	if !in.Impact.valid() {
		v.Add("impact", "must be high, medium or low")
	}
	if !in.Urgency.valid() {
		v.Add("urgency", "must be high, medium or low")
	}
	if p.Role == auth.Requester {
		requesterDefaults(p, &in, v)
		names.requester = p.Name
		if err := checkCustomer(ctx, s.DB, in.CustomerID, v, &names.customer); err != nil {
			return Incident{}, err
		}
	} else if err := s.staffDefaults(ctx, &in, v, &names); err != nil {
		return Incident{}, err
	}
	if err := s.checkAssignment(ctx, s.DB, in.GroupID, in.AssigneeID, v, &names); err != nil {
		return Incident{}, err
	}
	if err := checkService(ctx, s.DB, p, in.ServiceID, v); err != nil {
		return Incident{}, err
	}
	if err := v.Err(); err != nil {
		return Incident{}, err
	}
	if err := names.rest(ctx, s.DB, p, in.ServiceID); err != nil {
		return Incident{}, err
	}

	now := time.Now().UTC().Truncate(time.Microsecond)
	inc := Incident{
		Title: in.Title, Description: in.Description, RequesterID: in.RequesterID, CustomerID: in.CustomerID,
		Category: in.Category, Subcategory: in.Subcategory, Impact: in.Impact, Urgency: in.Urgency,
		Priority: matrix.Priority(in.Impact, in.Urgency), State: New, GroupID: in.GroupID,
		AssigneeID: in.AssigneeID, ServiceID: in.ServiceID, Major: in.Major, CreatedAt: now, UpdatedAt: now, Version: 1,
		Source: SourceDesk, RequesterName: names.requester, CustomerName: names.customer, GroupName: names.group,
		AssigneeName: names.assignee, ServiceName: names.service, CreatedByName: names.createdBy,
	}
	if p.UserID != 0 {
		uid := p.UserID
		inc.CreatedByID = &uid
	}
	// The answer is the row as written, names included: nothing is read
	// back after the commit.
	var full Incident
	err = s.DB.InTxShared(ctx, func(tx *store.Tx) error {
		full = inc
		if err := insert(ctx, tx, &full, p.UserID, ""); err != nil {
			return err
		}
		inc := full
		if err := appendJournal(ctx, tx, inc.ID, p, "created", "", nil, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "incident", inc.ID, in); err != nil {
			return err
		}
		if err := s.observe(ctx, tx, now, nil, inc); err != nil {
			return err
		}
		if hook == nil {
			return nil
		}
		return hook(ctx, tx, full)
	})
	if err != nil {
		return Incident{}, err
	}
	return full, nil
}

// refNames are the display names of a new incident's references, read
// while checking them.
type refNames struct {
	requester, customer, group, assignee, service, createdBy string
}

// rest reads the names the checks did not: the service's and, when the
// principal does not carry it, the creator's.
func (n *refNames) rest(ctx context.Context, q store.Querier, p *auth.Principal, serviceID *int64) error {
	if serviceID != nil {
		if err := q.QueryRow(ctx, "SELECT name FROM services WHERE id = ?", *serviceID).Scan(&n.service); err != nil {
			return store.ScanErr(err)
		}
	}
	n.createdBy = p.Name
	if n.createdBy == "" && p.UserID != 0 {
		err := store.ScanErr(q.QueryRow(ctx, "SELECT name FROM users WHERE id = ?", p.UserID).Scan(&n.createdBy))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

func requesterDefaults(p *auth.Principal, in *NewIncident, v *domainerr.Invalid) {
	if in.RequesterID != nil && *in.RequesterID != p.UserID {
		v.Add("requester_id", "requesters can only raise incidents for themselves")
	}
	if in.CustomerID != nil && (p.CustomerID == 0 || *in.CustomerID != p.CustomerID) {
		v.Add("customer_id", "requesters can only raise incidents for their own organisation")
	}
	if in.GroupID != nil {
		v.Add("group_id", "is set by the service desk")
	}
	if in.AssigneeID != nil {
		v.Add("assignee_id", "is set by the service desk")
	}
	if in.Major {
		v.Add("major", "is set by the service desk")
	}
	uid := p.UserID
	in.RequesterID = &uid
	if p.CustomerID != 0 {
		cid := p.CustomerID
		in.CustomerID = &cid
	}
}

// staffDefaults checks requester and customer and fills the customer from
// the requester when it is not given.
func (s *Service) staffDefaults(ctx context.Context, in *NewIncident, v *domainerr.Invalid, names *refNames) error {
	if in.RequesterID != nil {
		var cust *int64
		var active bool
		err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT customer_id, active, name FROM users WHERE id = ?", *in.RequesterID).
			Scan(&cust, &active, &names.requester))
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("requester_id", "user %d does not exist", *in.RequesterID)
		case err != nil:
			return err
		case !active:
			v.Add("requester_id", "user %d is disabled", *in.RequesterID)
		case in.CustomerID == nil:
			in.CustomerID = cust
		case cust != nil && *cust != *in.CustomerID:
			v.Add("customer_id", "does not match the requester's organisation (customer %d)", *cust)
		}
	}
	return checkCustomer(ctx, s.DB, in.CustomerID, v, &names.customer)
}

// checkCustomer verifies that customer id exists, keeping its name.
func checkCustomer(ctx context.Context, q store.Querier, id *int64, v *domainerr.Invalid, name *string) error {
	if id == nil {
		return nil
	}
	err := store.ScanErr(q.QueryRow(ctx, "SELECT name FROM customers WHERE id = ?", *id).Scan(name))
	if errors.Is(err, store.ErrNotFound) {
		v.Add("customer_id", "customer %d does not exist", *id)
		return nil
	}
	return err
}

// checkService verifies that p may point an incident at service id: it
// exists and, for requesters, is in their published catalogue.
func checkService(ctx context.Context, q store.Querier, p *auth.Principal, id *int64, v *domainerr.Invalid) error {
	if id == nil {
		return nil
	}
	msg, err := catalog.CheckReference(ctx, q, p, *id)
	if msg != "" {
		v.Add("service_id", "%s", msg)
	}
	return err
}

// checkAssignment verifies that the group exists and that the assignee is an
// active agent or admin, keeping their names.
func (s *Service) checkAssignment(ctx context.Context, q store.Querier, groupID, assigneeID *int64, v *domainerr.Invalid, names *refNames) error {
	if groupID != nil {
		err := store.ScanErr(q.QueryRow(ctx, "SELECT name FROM support_groups WHERE id = ?", *groupID).Scan(&names.group))
		if errors.Is(err, store.ErrNotFound) {
			v.Add("group_id", "group %d does not exist", *groupID)
		} else if err != nil {
			return err
		}
	}
	if assigneeID != nil {
		var role string
		var active bool
		err := store.ScanErr(q.QueryRow(ctx, "SELECT role, active, name FROM users WHERE id = ?", *assigneeID).Scan(&role, &active, &names.assignee))
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("assignee_id", "user %d does not exist", *assigneeID)
		case err != nil:
			return err
		case !active:
			v.Add("assignee_id", "user %d is disabled", *assigneeID)
		default:
			auth.RefuseNonWorker(v, "assignee_id", *assigneeID, auth.Role(role))
		}
	}
	return nil
}

// Get loads an incident that p may see; others get ErrNotFound.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Incident, error) {
	if !p.Can(PermRead) {
		return Incident{}, domainerr.ErrForbidden
	}
	inc, err := get(ctx, s.DB, id)
	if err != nil {
		return inc, err
	}
	if !Visible(p, inc) {
		return Incident{}, store.ErrNotFound
	}
	if inc.Source == SourceEvent {
		if inc.AlertIDs, err = alertIDs(ctx, s.DB, id); err != nil {
			return Incident{}, err
		}
	}
	return inc, nil
}

// Visible reports whether p may see inc: staff see all, requesters the
// incidents of their organisation (or their own when they have none).
func Visible(p *auth.Principal, inc Incident) bool {
	if p.IsStaff() {
		return true
	}
	if p.CustomerID != 0 {
		return inc.CustomerID != nil && *inc.CustomerID == p.CustomerID
	}
	return inc.RequesterID != nil && *inc.RequesterID == p.UserID
}
