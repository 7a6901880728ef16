package request_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/request"
	"steward/internal/store"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

// world is an organisation to submit requests in: two customers, a desk
// group with two agents, an approvers group, requesters and services.
type world struct {
	t       *testing.T
	db      *store.DB
	svc     *request.Service
	seen    *recorder
	custA   int64
	custB   int64
	desk    int64 // support group of agents
	buyers  int64 // approving group
	service int64 // live, offered to everyone
	private int64 // live, offered to customer B only
	retired int64
	p       map[string]*auth.Principal
}

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu    sync.Mutex
	calls [][2]*ticket.Snapshot
}

func (r *recorder) TicketChanged(_ context.Context, _ *store.Tx, _ time.Time, before, after *ticket.Snapshot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, [2]*ticket.Snapshot{before, after})
	return nil
}

func (r *recorder) last() (before, after *ticket.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return nil, nil
	}
	c := r.calls[len(r.calls)-1]
	return c[0], c[1]
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, db: e.DB, seen: &recorder{}, p: map[string]*auth.Principal{}}
	w.svc = request.NewService(e.DB, 24*time.Hour)
	w.svc.Observer = w.seen
	id := func(r org.Record, err error) int64 {
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	w.custA = id(org.Customers.Create(ctx, e.DB, audit.System, "Alpha"))
	w.custB = id(org.Customers.Create(ctx, e.DB, audit.System, "Beta"))
	w.desk = id(org.Groups.Create(ctx, e.DB, audit.System, "Desk"))
	w.buyers = id(org.Groups.Create(ctx, e.DB, audit.System, "Buyers"))
	for _, u := range []struct {
		key    string
		role   auth.Role
		cust   int64
		groups []int64
	}{
		{"admin", auth.Admin, 0, nil}, {"agent", auth.Agent, 0, []int64{w.desk, w.buyers}},
		{"agent2", auth.Agent, 0, []int64{w.desk, w.buyers}}, {"auditor", auth.Auditor, 0, nil},
		{"alice", auth.Requester, w.custA, nil}, {"amir", auth.Requester, w.custA, nil},
		{"bob", auth.Requester, w.custB, nil}, {"boss", auth.Requester, w.custA, nil},
	} {
		in := auth.NewUser{Email: u.key + "@req.test", Name: u.key, Role: u.role, Password: "a-long-password", GroupIDs: u.groups}
		if u.cust != 0 {
			c := u.cust
			in.CustomerID = &c
		}
		user, err := auth.CreateUser(ctx, e.DB, audit.System, in)
		if err != nil {
			t.Fatal(err)
		}
		w.p[u.key] = &auth.Principal{UserID: user.ID, Email: user.Email, Name: user.Name, Role: u.role, CustomerID: u.cust, GroupIDs: u.groups}
	}
	w.service = w.addService("Workplace", "live")
	w.private = w.addService("Beta Logistics", "live", w.custB)
	w.retired = w.addService("Old Fax", "retired")
	return w
}

func (w *world) addService(name, status string, customers ...int64) int64 {
	w.t.Helper()
	ctx := context.Background()
	var id int64
	now := store.TS(time.Now())
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, support_group_id, created_at, updated_at)
			VALUES (?, ?, 'medium', ?, ?, ?) RETURNING id`, name, status, w.desk, now, now).Scan(&id)
		if err != nil {
			return err
		}
		for _, c := range customers {
			if _, err := tx.Exec(ctx, "INSERT INTO service_customers (service_id, customer_id) VALUES (?, ?)", id, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// item creates a catalogue item as the admin.
func (w *world) item(in request.NewItem) request.Item {
	w.t.Helper()
	if in.ServiceID == 0 {
		in.ServiceID = w.service
	}
	it, err := w.svc.CreateItem(context.Background(), w.p["admin"], in)
	if err != nil {
		w.t.Fatalf("create item %q: %v", in.Name, err)
	}
	return it
}

func (w *world) submit(who string, in request.NewRequest) request.Request {
	w.t.Helper()
	r, err := w.svc.Submit(context.Background(), w.p[who], in, nil)
	if err != nil {
		w.t.Fatalf("submit as %s: %v", who, err)
	}
	return r
}

func (w *world) reload(r request.Request) request.Request {
	w.t.Helper()
	got, err := w.svc.Get(context.Background(), w.p["admin"], r.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return got
}

func (w *world) tasks(r request.Request) []request.Task {
	w.t.Helper()
	ts, err := w.svc.Tasks(context.Background(), w.p["agent"], r.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return ts
}

func (w *world) approvals(r request.Request) []request.ApprovalRecord {
	w.t.Helper()
	as, err := w.svc.Approvals(context.Background(), w.p["admin"], r.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return as
}

func (w *world) notifications(who string) int {
	w.t.Helper()
	var n int
	if err := w.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM notifications WHERE user_id = ?", w.p[who].UserID).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// fields returns the field messages of a validation error, failing otherwise.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want a validation error", err)
	}
	return inv.Fields
}

func ptr[T any](v T) *T { return &v }

// laptopForm asks what a new laptop needs, with questions that depend on
// earlier answers.
var laptopForm = request.Form{Fields: []request.Field{
	{Key: "model", Label: "Model", Type: request.ChoiceField, Required: true, Options: []string{"13 inch", "15 inch"}},
	{Key: "dock", Label: "Docking station", Type: request.YesNoField},
	{Key: "dock_place", Label: "Where should the dock go?", Type: request.TextField, Required: true,
		ShowWhen: &request.Condition{Field: "dock", Equals: "true"}},
	{Key: "memory", Label: "Memory (GB)", Type: request.NumberField},
	{Key: "needed_by", Label: "Needed by", Type: request.DateField, Required: true},
	{Key: "user", Label: "For whom", Type: request.UserField},
}}
