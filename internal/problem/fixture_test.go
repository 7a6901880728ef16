package problem_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/org"
	"steward/internal/problem"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// world is a small desk for tests: people of every role, a service, two
// CIs, a change and some incidents.
type world struct {
	e                     storetest.Engine
	inc                   *incident.Service
	svc                   *problem.Service
	custA, custB          int64
	admin, agent, auditor *auth.Principal
	reqA, reqB            *auth.Principal
	service, retired      int64
	ciDB, ciWeb, change   int64
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{e: e, inc: incident.NewService(e.DB, 0)}
	w.svc = problem.NewService(e.DB, w.inc)
	mustRec := func(r org.Record, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	w.custA = mustRec(org.Customers.Create(ctx, e.DB, audit.System, "Customer A"))
	w.custB = mustRec(org.Customers.Create(ctx, e.DB, audit.System, "Customer B"))
	mk := func(email string, role auth.Role, cust int64) *auth.Principal {
		t.Helper()
		in := auth.NewUser{Email: email, Name: email, Role: role, Password: "long-enough-password"}
		if cust != 0 {
			in.CustomerID = &cust
		}
		u, err := auth.CreateUser(ctx, e.DB, audit.System, in)
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, CustomerID: cust}
	}
	w.admin = mk("admin@x.test", auth.Admin, 0)
	w.agent = mk("agent@x.test", auth.Agent, 0)
	w.auditor = mk("auditor@x.test", auth.Auditor, 0)
	w.reqA = mk("ra@x.test", auth.Requester, w.custA)
	w.reqB = mk("rb@x.test", auth.Requester, w.custB)
	now := store.TS(time.Now())
	id := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		err := e.DB.InTx(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&id) })
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	w.service = id(`INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES ('Mail', 'live', 'high', ?, ?) RETURNING id`, now, now)
	w.retired = id(`INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES ('Fax', 'retired', 'low', ?, ?) RETURNING id`, now, now)
	typ := id(`INSERT INTO ci_types (name, created_at, updated_at) VALUES ('Test server', ?, ?) RETURNING id`, now, now)
	w.ciDB = id(`INSERT INTO cis (type_id, name, status, created_at, updated_at) VALUES (?, 'db-01', 'in_use', ?, ?) RETURNING id`, typ, now, now)
	w.ciWeb = id(`INSERT INTO cis (type_id, name, status, created_at, updated_at) VALUES (?, 'web-01', 'in_use', ?, ?) RETURNING id`, typ, now, now)
	w.change = id(`INSERT INTO changes (title, type, state, created_at, updated_at) VALUES ('Patch db-01', 'normal', 'draft', ?, ?) RETURNING id`, now, now)
	return w
}

func ptr[T any](v T) *T { return &v }

// incident raises an incident for requester A's organisation.
func (w *world) incident(t *testing.T, title string, cust int64) incident.Incident {
	t.Helper()
	in := incident.NewIncident{Title: title, CustomerID: &cust}
	inc, err := w.inc.Create(context.Background(), w.agent, in, nil)
	if err != nil {
		t.Fatalf("incident %q: %v", title, err)
	}
	return inc
}

func (w *world) open(t *testing.T, in problem.NewProblem) problem.Problem {
	t.Helper()
	pr, err := w.svc.Create(context.Background(), w.agent, in, nil)
	if err != nil {
		t.Fatalf("open %q: %v", in.Title, err)
	}
	return pr
}

// linkCI records that incident id affects CI ci.
func (w *world) linkCI(t *testing.T, id, ci int64) {
	t.Helper()
	if _, err := w.e.DB.Exec(context.Background(), "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('incident', ?, ?, ?)",
		id, ci, store.TS(time.Now())); err != nil {
		t.Fatal(err)
	}
}
