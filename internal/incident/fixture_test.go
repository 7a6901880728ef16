package incident_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/org"
	"steward/internal/store/storetest"
)

// world is a small organisation for tests.
type world struct {
	svc                         *incident.Service
	e                           storetest.Engine
	custA, custB, group, group2 int64
	admin, agent, agent2        *auth.Principal
	reqA, reqA2, reqB, auditor  *auth.Principal
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{e: e, svc: incident.NewService(e.DB, 7*24*time.Hour)}
	mustRec := func(r org.Record, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	w.custA = mustRec(org.Customers.Create(ctx, e.DB, audit.System, "Customer A"))
	w.custB = mustRec(org.Customers.Create(ctx, e.DB, audit.System, "Customer B"))
	w.group = mustRec(org.Groups.Create(ctx, e.DB, audit.System, "Service Desk"))
	w.group2 = mustRec(org.Groups.Create(ctx, e.DB, audit.System, "Network"))
	mk := func(email string, role auth.Role, cust int64, groups ...int64) *auth.Principal {
		t.Helper()
		in := auth.NewUser{Email: email, Name: email, Role: role, Password: "long-enough-password", GroupIDs: groups}
		if cust != 0 {
			in.CustomerID = &cust
		}
		u, err := auth.CreateUser(ctx, e.DB, audit.System, in)
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, CustomerID: cust, GroupIDs: u.GroupIDs}
	}
	w.admin = mk("admin@x.test", auth.Admin, 0)
	w.agent = mk("agent@x.test", auth.Agent, 0, w.group)
	w.agent2 = mk("agent2@x.test", auth.Agent, 0, w.group2)
	w.reqA = mk("ra@x.test", auth.Requester, w.custA)
	w.reqA2 = mk("ra2@x.test", auth.Requester, w.custA)
	w.reqB = mk("rb@x.test", auth.Requester, w.custB)
	w.auditor = mk("auditor@x.test", auth.Auditor, 0)
	return w
}

func ptr[T any](v T) *T { return &v }

func (w *world) create(t *testing.T, p *auth.Principal, in incident.NewIncident) incident.Incident {
	t.Helper()
	inc, err := w.svc.Create(context.Background(), p, in, nil)
	if err != nil {
		t.Fatalf("create %q: %v", in.Title, err)
	}
	return inc
}

func (w *world) update(t *testing.T, p *auth.Principal, id int64, pt incident.Patch) incident.Incident {
	t.Helper()
	inc, err := w.svc.Update(context.Background(), p, id, pt, 0)
	if err != nil {
		t.Fatalf("update %d: %v", id, err)
	}
	return inc
}

// pagedIDs lists f page by page as the agent and returns the ids in the
// order the pages gave them; it fails when the pages do not end within
// bound pages.
func (w *world) pagedIDs(t *testing.T, f incident.Filter, bound int) []int64 {
	t.Helper()
	var got []int64
	for pages := 0; ; pages++ {
		if pages > bound {
			t.Fatalf("%s: the pages do not end", f.Sort)
		}
		page, err := w.svc.List(context.Background(), w.agent, f)
		if err != nil {
			t.Fatalf("%s: %v", f.Sort, err)
		}
		for _, inc := range page.Items {
			got = append(got, inc.ID)
		}
		if page.NextCursor == "" {
			return got
		}
		f.Cursor = page.NextCursor
	}
}
