package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/patch"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// world is a small organisation: two customers, a group, and one person
// of each kind.
type world struct {
	cat                   *catalog.Catalog
	db                    *store.DB
	custA, custB, group   int64
	admin, agent, auditor *auth.Principal
	reqA, reqB, reqNone   *auth.Principal
	disabledAgent         int64
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{cat: catalog.New(e.DB), db: e.DB}
	rec := func(r org.Record, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	w.custA = rec(org.Customers.Create(ctx, e.DB, audit.System, "Customer A"))
	w.custB = rec(org.Customers.Create(ctx, e.DB, audit.System, "Customer B"))
	w.group = rec(org.Groups.Create(ctx, e.DB, audit.System, "Applications"))
	mk := func(email string, role auth.Role, cust int64) *auth.Principal {
		t.Helper()
		in := auth.NewUser{Email: email, Name: email, Role: role, Password: "long-enough-password"}
		if cust != 0 {
			in.CustomerID = &cust
		}
		u, err := auth.CreateUser(ctx, e.DB, audit.System, in)
		if err != nil {
			t.Fatal(err)
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, CustomerID: cust}
	}
	w.admin = mk("admin@x.test", auth.Admin, 0)
	w.agent = mk("agent@x.test", auth.Agent, 0)
	w.auditor = mk("auditor@x.test", auth.Auditor, 0)
	w.reqA = mk("ra@x.test", auth.Requester, w.custA)
	w.reqB = mk("rb@x.test", auth.Requester, w.custB)
	w.reqNone = mk("rn@x.test", auth.Requester, 0)
	w.disabledAgent = mk("gone@x.test", auth.Agent, 0).UserID
	off := false
	if _, err := auth.UpdateUser(ctx, e.DB, audit.System, w.disabledAgent, auth.UserPatch{Active: &off}, 0); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) create(t *testing.T, in catalog.NewService) catalog.Service {
	t.Helper()
	s, err := w.cat.Create(context.Background(), w.admin, in)
	if err != nil {
		t.Fatalf("create %q: %v", in.Name, err)
	}
	return s
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want a validation error", err)
	}
	return inv.Fields
}

func ptr[T any](v T) *T { return &v }

func TestCreateAndGet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		mail := w.create(t, catalog.NewService{Name: "  E-mail ", Status: catalog.Live})
		if mail.Status != catalog.Live || mail.Criticality != catalog.Medium || mail.Name != "E-mail" || mail.Version != 1 ||
			len(mail.CustomerIDs) != 0 || len(mail.DependsOn) != 0 || mail.CostPerMonth != 0 {
			t.Fatalf("defaults: %+v", mail)
		}
		erp := w.create(t, catalog.NewService{
			Name: "ERP", Description: "Orders, invoices, stock.", OwnerID: &w.agent.UserID,
			CustomerIDs: []int64{w.custB, w.custA, w.custA}, SupportGroupID: &w.group, Criticality: catalog.Critical,
			CostPerMonth: "4200.5", Hours: "Mon-Fri 07:00-19:00", DependsOn: []int64{mail.ID},
		})
		if erp.Status != catalog.Pipeline {
			t.Errorf("a new service should start in the pipeline, got %s", erp.Status)
		}
		if !slices.Equal(erp.CustomerIDs, []int64{w.custA, w.custB}) || !slices.Equal(erp.DependsOn, []int64{mail.ID}) {
			t.Errorf("lists: customers %v, depends on %v", erp.CustomerIDs, erp.DependsOn)
		}
		if erp.OwnerName != w.agent.Name || erp.SupportGroupName != "Applications" || erp.CostPerMonth != 420050 {
			t.Errorf("names or cost: %+v", erp)
		}
		raw, _ := json.Marshal(erp)
		if !strings.Contains(string(raw), `"cost_per_month":4200.50`) {
			t.Errorf("cost is not written with two decimals: %s", raw)
		}
		got, err := w.cat.Get(ctx, w.auditor, erp.ID)
		if err != nil || got.Hours != "Mon-Fri 07:00-19:00" || got.Description != "Orders, invoices, stock." {
			t.Fatalf("get: %+v, %v", got, err)
		}
		entries, err := audit.List(ctx, e.DB, audit.Filter{Entity: "service", Limit: 10})
		if err != nil || len(entries) != 2 || entries[0].Action != "create" || entries[0].ActorName != w.admin.Email {
			t.Fatalf("audit: %+v, %v", entries, err)
		}
		if _, err := w.cat.Create(ctx, w.agent, catalog.NewService{Name: "Agents may not"}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("agent create: %v, want forbidden", err)
		}
	})
}

func TestValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.create(t, catalog.NewService{Name: "VPN"})

		f := fields(t, second(w.cat.Create(ctx, w.admin, catalog.NewService{
			Name: "", Status: "planned", Criticality: "huge", CostPerMonth: "10.999", Hours: strings.Repeat("x", 101),
			OwnerID: ptr(int64(9999)), SupportGroupID: ptr(int64(9999)), CustomerIDs: []int64{w.custA, 9999}, DependsOn: []int64{9999},
		})))
		for _, k := range []string{"name", "status", "criticality", "cost_per_month", "hours", "owner_id", "support_group_id", "customer_ids", "depends_on"} {
			if f[k] == "" {
				t.Errorf("no message for %s: %v", k, f)
			}
		}
		if f["owner_id"] != "user 9999 does not exist" || f["customer_ids"] != "customer 9999 does not exist" ||
			f["depends_on"] != "service 9999 does not exist" || f["support_group_id"] != "group 9999 does not exist" {
			t.Errorf("messages: %v", f)
		}

		f = fields(t, second(w.cat.Create(ctx, w.admin, catalog.NewService{Name: "Owned by a requester", OwnerID: &w.reqA.UserID})))
		if !strings.Contains(f["owner_id"], "requester") {
			t.Errorf("requester as owner: %v", f)
		}
		f = fields(t, second(w.cat.Create(ctx, w.admin, catalog.NewService{Name: "Owned by a leaver", OwnerID: &w.disabledAgent})))
		if !strings.Contains(f["owner_id"], "disabled") {
			t.Errorf("disabled owner: %v", f)
		}
		f = fields(t, second(w.cat.Create(ctx, w.admin, catalog.NewService{Name: "vpn"})))
		if !strings.Contains(f["name"], "already exists") {
			t.Errorf("duplicate name: %v", f)
		}
		f = fields(t, second(w.cat.Create(ctx, w.admin, catalog.NewService{Name: "Free", CostPerMonth: "-5"})))
		if f["cost_per_month"] != "must not be negative" {
			t.Errorf("negative cost: %v", f)
		}

		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM services"); n != 1 {
			t.Fatalf("%d services stored, want only the first", n)
		}
	})
}

func second[A, B any](_ A, b B) B { return b }

func TestUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		network := w.create(t, catalog.NewService{Name: "Network", Status: catalog.Live})
		vpn := w.create(t, catalog.NewService{Name: "VPN", DependsOn: []int64{network.ID}, OwnerID: &w.agent.UserID})
		portal := w.create(t, catalog.NewService{Name: "Portal", DependsOn: []int64{vpn.ID}})

		got, err := w.cat.Update(ctx, w.admin, vpn.ID, catalog.Patch{
			Status: ptr(catalog.Live), CostPerMonth: ptr(catalog.Amount("99.90")), OwnerID: patch.Field[int64]{Set: true, Null: true},
			CustomerIDs: patch.Of([]int64{w.custA}),
		}, vpn.Version)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.Status != catalog.Live || got.CostPerMonth != 9990 || got.OwnerID != nil ||
			!slices.Equal(got.CustomerIDs, []int64{w.custA}) || !slices.Equal(got.DependsOn, []int64{network.ID}) {
			t.Fatalf("after update: %+v", got)
		}
		if _, err := w.cat.Update(ctx, w.admin, vpn.ID, catalog.Patch{Hours: ptr("24x7")}, 1); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale version: %v", err)
		}
		same, err := w.cat.Update(ctx, w.admin, vpn.ID, catalog.Patch{Status: ptr(catalog.Live)}, 0)
		if err != nil || same.Version != 2 {
			t.Fatalf("a patch that changes nothing should keep the version: %d, %v", same.Version, err)
		}

		f := fields(t, second(w.cat.Update(ctx, w.admin, vpn.ID, catalog.Patch{DependsOn: patch.Of([]int64{vpn.ID})}, 0)))
		if f["depends_on"] != "a service cannot depend on itself" {
			t.Errorf("self dependency: %v", f)
		}
		f = fields(t, second(w.cat.Update(ctx, w.admin, network.ID, catalog.Patch{DependsOn: patch.Of([]int64{portal.ID})}, 0)))
		if !strings.Contains(f["depends_on"], "Network → Portal → VPN → Network") {
			t.Errorf("cycle: %v", f)
		}
		cleared, err := w.cat.Update(ctx, w.admin, portal.ID, catalog.Patch{DependsOn: patch.Field[[]int64]{Set: true, Null: true}}, 0)
		if err != nil || len(cleared.DependsOn) != 0 {
			t.Fatalf("null empties the list: %+v, %v", cleared.DependsOn, err)
		}
		// With the chain broken, the same dependency is now fine.
		if _, err := w.cat.Update(ctx, w.admin, network.ID, catalog.Patch{DependsOn: patch.Of([]int64{portal.ID})}, 0); err != nil {
			t.Fatalf("no cycle any more: %v", err)
		}
		f = fields(t, second(w.cat.Update(ctx, w.admin, portal.ID, catalog.Patch{Name: ptr("network")}, 0)))
		if !strings.Contains(f["name"], "already exists") {
			t.Errorf("rename onto another name: %v", f)
		}
		if _, err := w.cat.Update(ctx, w.agent, portal.ID, catalog.Patch{Hours: ptr("x")}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("agent update: %v", err)
		}

		entries, _ := audit.List(ctx, e.DB, audit.Filter{Entity: "service", EntityID: itoa(vpn.ID), Limit: 10})
		if len(entries) != 2 || entries[0].Action != "update" || !strings.Contains(string(entries[0].Data), `"cost_per_month":[0.00,99.90]`) {
			t.Fatalf("audit of the update: %+v", entries)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		everyone := w.create(t, catalog.NewService{Name: "E-mail", Status: catalog.Live, CostPerMonth: "100"})
		onlyA := w.create(t, catalog.NewService{Name: "Payroll", Status: catalog.Live, CustomerIDs: []int64{w.custA, w.custB},
			DependsOn: []int64{everyone.ID}, CostPerMonth: "300"})
		planned := w.create(t, catalog.NewService{Name: "Data warehouse", Status: catalog.Pipeline})
		onlyB := w.create(t, catalog.NewService{Name: "Fleet tracking", Status: catalog.Live, CustomerIDs: []int64{w.custB}})
		retired := w.create(t, catalog.NewService{Name: "Fax", Status: catalog.Retired})
		if _, err := w.cat.Update(ctx, w.admin, onlyA.ID, catalog.Patch{DependsOn: patch.Of([]int64{everyone.ID, planned.ID})}, 0); err != nil {
			t.Fatal(err)
		}

		names := func(p *auth.Principal) []string {
			t.Helper()
			pg, err := w.cat.List(ctx, p, catalog.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range pg.Items {
				out = append(out, s.Name)
			}
			return out
		}
		for who, want := range map[*auth.Principal][]string{
			w.agent:   {"Data warehouse", "E-mail", "Fax", "Fleet tracking", "Payroll"},
			w.auditor: {"Data warehouse", "E-mail", "Fax", "Fleet tracking", "Payroll"},
			w.reqA:    {"E-mail", "Payroll"},
			w.reqB:    {"E-mail", "Fleet tracking", "Payroll"},
			w.reqNone: {"E-mail"},
		} {
			if got := names(who); !slices.Equal(got, want) {
				t.Errorf("%s sees %v, want %v", who.Email, got, want)
			}
		}
		for _, id := range []int64{planned.ID, onlyB.ID, retired.ID} {
			if _, err := w.cat.Get(ctx, w.reqA, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("requester A reads service %d: %v, want not found", id, err)
			}
		}

		pub, err := w.cat.Get(ctx, w.reqA, onlyA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pub.CustomerIDs, []int64{w.custA}) || !slices.Equal(pub.DependsOn, []int64{everyone.ID}) || pub.CostPerMonth != 0 {
			t.Errorf("requester's view shows other customers, hidden services or the cost: %+v", pub)
		}
		full, _ := w.cat.Get(ctx, w.agent, onlyA.ID)
		if len(full.CustomerIDs) != 2 || len(full.DependsOn) != 2 || full.CostPerMonth != 30000 {
			t.Errorf("staff view: %+v", full)
		}

		deps, err := w.cat.Dependents(ctx, w.reqA, everyone.ID)
		if err != nil || len(deps) != 1 || deps[0].Name != "Payroll" {
			t.Errorf("dependents: %+v, %v", deps, err)
		}
		choices, _ := w.cat.Choices(ctx, w.agent, retired.ID)
		if len(choices) != 5 {
			t.Errorf("staff choices keeping the retired one: %+v", choices)
		}
		choices, _ = w.cat.Choices(ctx, w.agent, 0)
		if len(choices) != 4 {
			t.Errorf("staff choices without retired: %+v", choices)
		}
		choices, _ = w.cat.Choices(ctx, w.reqB, 0)
		if len(choices) != 3 {
			t.Errorf("requester B's choices: %+v", choices)
		}

		for _, c := range []struct {
			p    *auth.Principal
			id   int64
			want string
		}{
			{w.reqA, everyone.ID, ""},
			{w.reqA, onlyB.ID, "no such service"},
			{w.reqA, planned.ID, "no such service"},
			{w.agent, planned.ID, ""},
			{w.agent, 424242, "no such service"},
			{w.agent, retired.ID, "retired"},
		} {
			msg, err := catalog.CheckReference(ctx, e.DB, c.p, c.id)
			if err != nil || (c.want == "" && msg != "") || !strings.Contains(msg, c.want) {
				t.Errorf("%s referring to %d: %q, %v; want %q", c.p.Email, c.id, msg, err, c.want)
			}
		}
	})
}

func TestList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		for i, name := range []string{"alpha", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf_100%"} {
			in := catalog.NewService{Name: name, Status: catalog.Statuses[i%3], Criticality: catalog.Criticalities[i%4],
				CostPerMonth: catalog.Amount(itoa(int64(i * 100)))}
			if i%2 == 0 {
				in.CustomerIDs = []int64{w.custA}
				in.OwnerID = &w.agent.UserID
			}
			w.create(t, in)
		}
		list := func(f catalog.Filter) []string {
			t.Helper()
			pg, err := w.cat.List(ctx, w.agent, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range pg.Items {
				out = append(out, s.Name)
			}
			return out
		}
		for _, c := range []struct {
			name string
			f    catalog.Filter
			want []string
		}{
			{"by name, any case", catalog.Filter{}, []string{"alpha", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf_100%"}},
			{"status", catalog.Filter{Statuses: []catalog.Status{catalog.Live}}, []string{"Bravo", "echo"}},
			{"criticality", catalog.Filter{Criticalities: []catalog.Criticality{catalog.Low, catalog.Critical}}, []string{"alpha", "Delta", "echo"}},
			{"owner", catalog.Filter{OwnerID: w.agent.UserID}, []string{"alpha", "charlie", "echo", "golf_100%"}},
			{"customer B: those offered to everyone", catalog.Filter{CustomerID: w.custB}, []string{"Bravo", "Delta", "Foxtrot"}},
			{"cost range", catalog.Filter{CostMin: ptr(catalog.Cents(20000)), CostMax: ptr(catalog.Cents(40000))}, []string{"charlie", "Delta", "echo"}},
			{"name part", catalog.Filter{Query: "HARL"}, []string{"charlie"}},
			{"wildcards are literal", catalog.Filter{Query: "_100%"}, []string{"golf_100%"}},
			{"underscore alone", catalog.Filter{Query: "f_"}, []string{"golf_100%"}},
		} {
			if got := list(c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}

		var seen []string
		f := catalog.Filter{Limit: 3}
		for pages := 0; ; pages++ {
			pg, err := w.cat.List(ctx, w.agent, f)
			if err != nil || pages > 5 {
				t.Fatalf("paging: %v after %d pages", err, pages)
			}
			for _, s := range pg.Items {
				seen = append(seen, s.Name)
			}
			if pg.NextCursor == "" {
				break
			}
			f.Cursor = pg.NextCursor
		}
		if len(seen) != 7 || seen[3] != "Delta" {
			t.Fatalf("pages: %v", seen)
		}
		if _, err := w.cat.List(ctx, w.agent, catalog.Filter{Cursor: "not-a-cursor"}); !errors.Is(err, catalog.ErrBadCursor) {
			t.Errorf("bad cursor: %v", err)
		}
		if pg, err := w.cat.List(ctx, w.reqA, catalog.Filter{CustomerID: w.custB}); err != nil || len(pg.Items) != 0 {
			t.Errorf("a requester asking for another customer's services: %+v, %v", pg.Items, err)
		}
	})
}

func TestDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		base := w.create(t, catalog.NewService{Name: "Network"})
		top := w.create(t, catalog.NewService{Name: "VPN", DependsOn: []int64{base.ID}, CustomerIDs: []int64{w.custA}})
		used := w.create(t, catalog.NewService{Name: "Printing"})
		now := store.TS(time.Now())
		if _, err := e.DB.Exec(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, service_id, created_at, updated_at)
			VALUES ('Printer jam', 'low', 'low', 5, 'new', ?, ?, ?)`, used.ID, now, now); err != nil {
			t.Fatal(err)
		}

		var conflict *domainerr.Conflict
		err := w.cat.Delete(ctx, w.admin, used.ID)
		if !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "1 incidents") || !strings.Contains(conflict.Message, "Retire it") {
			t.Fatalf("deleting a service with incidents: %v", err)
		}
		err = w.cat.Delete(ctx, w.admin, base.ID)
		if !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "VPN depend on it") {
			t.Fatalf("deleting a service others depend on: %v", err)
		}
		if err := w.cat.Delete(ctx, w.agent, top.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("agent delete: %v", err)
		}
		if err := w.cat.Delete(ctx, w.admin, top.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.cat.Delete(ctx, w.admin, base.ID); err != nil {
			t.Fatalf("once nothing depends on it: %v", err)
		}
		if _, err := w.cat.Get(ctx, w.admin, top.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted service still there: %v", err)
		}
		if links := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM service_customers WHERE service_id = ?", top.ID); links != 0 {
			t.Fatalf("customer links outlive the service")
		}
		entries, _ := audit.List(ctx, e.DB, audit.Filter{Entity: "service", EntityID: itoa(top.ID), Limit: 5})
		if len(entries) != 2 || entries[0].Action != "delete" {
			t.Fatalf("audit of the delete: %+v", entries)
		}
		if n, err := audit.Verify(ctx, e.DB); err != nil || n == 0 {
			t.Fatalf("audit chain: %d, %v", n, err)
		}
	})
}
