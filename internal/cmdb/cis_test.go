package cmdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/patch"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// fixture is a CMDB over a fresh database, with a customer, a group and
// an admin to own things.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	db      *store.DB
	svc     *cmdb.Service
	actor   audit.Actor
	admin   *auth.Principal
	custID  int64
	groupID int64
}

func newFixture(t *testing.T, e storetest.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, db: e.DB, svc: cmdb.NewService(e.DB, nil)}
	c, err := org.Customers.Create(ctx, e.DB, audit.System, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	g, err := org.Groups.Create(ctx, e.DB, audit.System, "Infrastructure")
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "ops@x.test", Name: "Ops", Role: auth.Admin, Password: "long-enough-password"})
	if err != nil {
		t.Fatal(err)
	}
	f.custID, f.groupID = c.ID, g.ID
	f.admin = &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: auth.Admin}
	f.actor = f.admin.Actor()
	return f
}

func (f *fixture) ci(in cmdb.NewCI) cmdb.CI {
	f.t.Helper()
	c, err := f.svc.CreateCI(f.ctx, f.actor, in, nil)
	if err != nil {
		f.t.Fatalf("create %s: %v", in.Name, err)
	}
	return c
}

func (f *fixture) server(name, hostname string, attrs map[string]any) cmdb.CI {
	f.t.Helper()
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs["hostname"] = hostname
	return f.ci(cmdb.NewCI{Type: "Server", Name: name, Attributes: attrs})
}

// wantFields checks that err is a validation error naming each field,
// with each message containing its fragment.
func wantFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want a validation error on %v, got %v", want, err)
	}
	for f, frag := range want {
		msg, ok := inv.Fields[f]
		if !ok {
			t.Errorf("no message for %s in %v", f, inv.Fields)
		} else if !strings.Contains(msg, frag) {
			t.Errorf("%s: %q lacks %q", f, msg, frag)
		}
	}
}

func wantConflict(t *testing.T, err error, frags ...string) {
	t.Helper()
	var c *domainerr.Conflict
	if !errors.As(err, &c) {
		t.Fatalf("want a conflict, got %v", err)
	}
	for _, f := range frags {
		if !strings.Contains(c.Message, f) {
			t.Errorf("conflict %q lacks %q", c.Message, f)
		}
	}
}

func (f *fixture) history(id int64) []cmdb.HistoryEntry {
	f.t.Helper()
	h, err := f.svc.History(f.ctx, id, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestCreateCIValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		f.server("web-01", "web-01.example.com", nil)
		missing := int64(987654)
		cases := []struct {
			name string
			in   cmdb.NewCI
			want map[string]string
		}{
			{"no type", cmdb.NewCI{Name: "x"}, map[string]string{"type": "is required"}},
			{"unknown type", cmdb.NewCI{Type: "Toaster", Name: "x"}, map[string]string{"type": "Server"}},
			{"unknown type id", cmdb.NewCI{Type: "424242", Name: "x"}, map[string]string{"type": "no CI type"}},
			{"no name, bad status", cmdb.NewCI{Type: "Application", Status: "broken"}, map[string]string{"name": "is required", "status": "in_use"}},
			{"required attribute", cmdb.NewCI{Type: "Server", Name: "x"}, map[string]string{"attributes.hostname": "is required"}},
			{"unknown attribute", cmdb.NewCI{Type: "server", Name: "x", Attributes: map[string]any{"hostname": "h", "colour": "red"}},
				map[string]string{"attributes.colour": "has no attribute"}},
			{"wrong attribute types", cmdb.NewCI{Type: "Server", Name: "x", Attributes: map[string]any{
				"hostname": "h", "cpu_cores": "many", "ip_address": "10.0.0.300", "virtual": "perhaps"}},
				map[string]string{"attributes.cpu_cores": "number", "attributes.ip_address": "IP", "attributes.virtual": "true or false"}},
			{"duplicate identifier", cmdb.NewCI{Type: "Server", Name: "x", Attributes: map[string]any{"hostname": "web-01.example.com"}},
				map[string]string{"attributes.hostname": "web-01"}},
			{"missing references", cmdb.NewCI{Type: "Application", Name: "x", OwnerID: &missing, GroupID: &missing, CustomerID: &missing, ServiceID: &missing},
				map[string]string{"owner_id": "does not exist", "group_id": "does not exist", "customer_id": "does not exist", "service_id": "does not exist"}},
			{"reference to a missing CI", cmdb.NewCI{Type: "IoT gateway", Name: "gw", Attributes: map[string]any{"device_id": "gw-1", "site": missing}},
				map[string]string{"attributes.site": "does not exist"}},
			{"bad redundancy", cmdb.NewCI{Type: "Cluster", Name: "c", Redundancy: &cmdb.Redundancy{FailedWhenDown: 2, FailedWhenDownPercent: 50}},
				map[string]string{"redundancy": "not both"}},
			{"change ref too long", cmdb.NewCI{Type: "Application", Name: "x", ChangeRef: strings.Repeat("C", 101)},
				map[string]string{"change_ref": "at most"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.CreateCI(f.ctx, f.actor, c.in, nil)
				wantFields(t, err, c.want)
			})
		}
		page, err := f.svc.ListCIs(f.ctx, cmdb.CIFilter{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("refused creations left CIs behind: %v %v", page.Items, err)
		}
	})
}

func TestCreateCI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		site := f.ci(cmdb.NewCI{Type: "Site", Name: "Plant North", Attributes: map[string]any{"code": "PN"}})
		srv := f.server("web-01", "web-01", map[string]any{"cpu_cores": 8, "ip_address": "10.0.0.1", "virtual": true})
		_, err := f.svc.CreateCI(f.ctx, f.actor, cmdb.NewCI{Type: "IoT gateway", Name: "gw", Attributes: map[string]any{"device_id": "gw-1", "site": srv.ID}}, nil)
		wantFields(t, err, map[string]string{"attributes.site": `type "Site"`})

		gw := f.ci(cmdb.NewCI{Type: "iot GATEWAY", Name: "gw-1", Status: cmdb.Planned, Location: " Hall 2 ", CustomerID: &f.custID,
			GroupID: &f.groupID, Attributes: map[string]any{"device_id": "GW-0001", "site": float64(site.ID)}, ChangeRef: "CHG-000001"})
		if gw.Type != "IoT gateway" || gw.Status != cmdb.Planned || gw.Location != "Hall 2" || gw.Version != 1 ||
			gw.Attributes["site"] != float64(site.ID) || *gw.CustomerID != f.custID {
			t.Fatalf("created: %+v", gw)
		}
		if srv.Status != cmdb.InUse || srv.Attributes["cpu_cores"] != float64(8) || srv.Attributes["virtual"] != true {
			t.Fatalf("defaults and values: %+v", srv)
		}
		got, err := cmdb.FindByIdentifier(f.ctx, f.db, gw.TypeID, "device_id", "GW-0001")
		if err != nil || got.ID != gw.ID {
			t.Fatalf("find by identifier: %v %v", got, err)
		}
		if _, err := cmdb.FindByIdentifier(f.ctx, f.db, gw.TypeID, "device_id", "gw-0001"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("identifiers are exact: %v", err)
		}
		h := f.history(gw.ID)
		if len(h) != 1 || h[0].Action != cmdb.ActionCreate || h[0].ChangeRef != "CHG-000001" || h[0].ActorName != "ops@x.test" ||
			!strings.Contains(str(h[0].New), `"device_id":"GW-0001"`) {
			t.Fatalf("history: %+v", h)
		}
		cl := f.ci(cmdb.NewCI{Type: "Cluster", Name: "pool", Redundancy: &cmdb.Redundancy{FailedWhenDownPercent: 50}})
		if cl.Redundancy == nil || cl.Redundancy.FailedWhenDownPercent != 50 {
			t.Fatalf("redundancy: %+v", cl.Redundancy)
		}
	})
}

func TestUpdateCI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		a := f.server("web-01", "web-01", map[string]any{"os": "Debian 12", "cpu_cores": 4})
		f.server("web-02", "web-02", nil)
		name := "web-01 (primary)"
		up, err := f.svc.UpdateCI(f.ctx, f.actor, a.ID, cmdb.CIPatch{
			Name: &name, OwnerID: patch.Of(f.admin.UserID), ChangeRef: "CHG-000042",
			Attributes: map[string]any{"os": nil, "cpu_cores": 8, "hostname": "web-01b"},
		}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != 2 || up.Name != name || up.Attributes["cpu_cores"] != float64(8) || up.Attributes["os"] != nil ||
			up.Attributes["hostname"] != "web-01b" || *up.OwnerID != f.admin.UserID {
			t.Fatalf("updated: %+v", up)
		}
		changes := map[string]cmdb.HistoryEntry{}
		for _, h := range f.history(a.ID) {
			if h.Action == cmdb.ActionUpdate {
				changes[h.Field] = h
			}
		}
		for field, want := range map[string][2]string{
			"name":                 {"web-01", name},
			"owner_id":             {"<nil>", fmt.Sprint(f.admin.UserID)},
			"attributes.os":        {"Debian 12", "<nil>"},
			"attributes.cpu_cores": {"4", "8"},
			"attributes.hostname":  {"web-01", "web-01b"},
		} {
			h, ok := changes[field]
			if !ok || str(h.Old) != want[0] || str(h.New) != want[1] || h.ChangeRef != "CHG-000042" {
				t.Errorf("history of %s: %+v (want %v)", field, h, want)
			}
		}
		if len(changes) != 5 {
			t.Errorf("%d fields recorded, want 5: %v", len(changes), changes)
		}
		serverType, _ := f.svc.GetType(f.ctx, "Server")
		if _, err := cmdb.FindByIdentifier(f.ctx, f.db, serverType.ID, "hostname", "web-01"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the old identifier is still held: %v", err)
		}
		if got, err := cmdb.FindByIdentifier(f.ctx, f.db, serverType.ID, "hostname", "web-01b"); err != nil || got.ID != a.ID {
			t.Errorf("the new identifier: %v %v", got, err)
		}

		same, err := f.svc.UpdateCI(f.ctx, f.actor, a.ID, cmdb.CIPatch{Name: &name}, 0)
		if err != nil || same.Version != 2 {
			t.Fatalf("a patch that changes nothing: %v %v", same.Version, err)
		}
		_, err = f.svc.UpdateCI(f.ctx, f.actor, a.ID, cmdb.CIPatch{Name: &name}, 1)
		if !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale version: %v", err)
		}
		bad := cmdb.Status("gone")
		_, err = f.svc.UpdateCI(f.ctx, f.actor, a.ID, cmdb.CIPatch{Status: &bad, Attributes: map[string]any{
			"hostname": "web-02", "memory_gb": "lots", "colour": nil}}, 0)
		wantFields(t, err, map[string]string{"status": "in_use", "attributes.hostname": "web-02", "attributes.memory_gb": "number",
			"attributes.colour": "has no attribute"})
		_, err = f.svc.UpdateCI(f.ctx, f.actor, a.ID, cmdb.CIPatch{Attributes: map[string]any{"hostname": nil}}, 0)
		wantFields(t, err, map[string]string{"attributes.hostname": "is required"})
		_, err = f.svc.UpdateCI(f.ctx, f.actor, a.ID, cmdb.CIPatch{CustomerID: patch.Of(int64(999999))}, 0)
		wantFields(t, err, map[string]string{"customer_id": "does not exist"})

		cleared, err := f.svc.UpdateCI(f.ctx, f.actor, a.ID, cmdb.CIPatch{OwnerID: patch.Field[int64]{Set: true, Null: true},
			Redundancy: patch.Of(cmdb.Redundancy{FailedWhenDown: 2})}, 0)
		if err != nil || cleared.OwnerID != nil || cleared.Redundancy == nil || cleared.Redundancy.FailedWhenDown != 2 || cleared.Version != 3 {
			t.Fatalf("clear owner, set redundancy: %+v %v", cleared, err)
		}
		if _, err := f.svc.UpdateCI(f.ctx, f.actor, 999999, cmdb.CIPatch{Name: &name}, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing CI: %v", err)
		}
	})
}

func TestListCIs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		var servers []cmdb.CI
		for i := 0; i < 5; i++ {
			servers = append(servers, f.server(fmt.Sprintf("Web-%02d", i), fmt.Sprintf("web-%02d", i),
				map[string]any{"os": []string{"Debian", "Windows"}[i%2], "cpu_cores": 2 + i%2*2, "virtual": i < 2}))
		}
		app := f.ci(cmdb.NewCI{Type: "Application", Name: "Web shop", Status: cmdb.Planned, CustomerID: &f.custID, Attributes: map[string]any{"version": "4"}})
		ids := func(f cmdb.CIFilter, s *cmdb.Service) []string {
			t.Helper()
			page, err := s.ListCIs(context.Background(), f)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			var out []string
			for _, c := range page.Items {
				out = append(out, c.Name)
			}
			return out
		}
		check := func(flt cmdb.CIFilter, want ...string) {
			t.Helper()
			got := ids(flt, f.svc)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%+v: got %v, want %v", flt, got, want)
			}
		}
		check(cmdb.CIFilter{Types: []string{"application"}}, "Web shop")
		check(cmdb.CIFilter{Types: []string{"Server"}, Attrs: map[string]string{"os": "Windows"}}, "Web-01", "Web-03")
		check(cmdb.CIFilter{Attrs: map[string]string{"hostname": "web-02"}}, "Web-02")
		check(cmdb.CIFilter{Attrs: map[string]string{"cpu_cores": "4.0", "virtual": "true"}}, "Web-01")
		check(cmdb.CIFilter{Attrs: map[string]string{"version": "4"}}, "Web shop")
		check(cmdb.CIFilter{Statuses: []cmdb.Status{cmdb.Planned}, CustomerID: f.custID}, "Web shop")
		check(cmdb.CIFilter{Query: "WEB-0", Statuses: []cmdb.Status{cmdb.InUse, cmdb.Maintenance}}, "Web-00", "Web-01", "Web-02", "Web-03", "Web-04")
		check(cmdb.CIFilter{Query: "%"})

		var all []int64
		cursor := ""
		for {
			page, err := f.svc.ListCIs(f.ctx, cmdb.CIFilter{Limit: 4, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				all = append(all, c.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(all) != 6 || all[0] != servers[0].ID || all[5] != app.ID {
			t.Fatalf("paged: %v", all)
		}
		for _, c := range []struct {
			flt  cmdb.CIFilter
			want map[string]string
		}{
			{cmdb.CIFilter{Cursor: "nope"}, map[string]string{"cursor": "not a cursor"}},
			{cmdb.CIFilter{Limit: 500}, map[string]string{"limit": "between"}},
			{cmdb.CIFilter{Types: []string{"Toaster"}}, map[string]string{"type": "Toaster"}},
			{cmdb.CIFilter{Statuses: []cmdb.Status{"lost"}}, map[string]string{"status": "in_use"}},
			{cmdb.CIFilter{Attrs: map[string]string{"colour": "red"}}, map[string]string{"attr.colour": "no CI type"}},
			{cmdb.CIFilter{Types: []string{"Server"}, Attrs: map[string]string{"cpu_cores": "many"}}, map[string]string{"attr.cpu_cores": "number"}},
			{cmdb.CIFilter{Types: []string{"Application"}, Attrs: map[string]string{"hostname": "x"}}, map[string]string{"attr.hostname": "Application"}},
		} {
			_, err := f.svc.ListCIs(f.ctx, c.flt)
			wantFields(t, err, c.want)
		}
	})
}

func TestDeleteCI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		site := f.ci(cmdb.NewCI{Type: "Site", Name: "Depot", Attributes: map[string]any{"code": "D1"}})
		gw := f.ci(cmdb.NewCI{Type: "IoT gateway", Name: "gw", Attributes: map[string]any{"device_id": "g", "site": site.ID}})
		wantConflict(t, f.svc.DeleteCI(f.ctx, f.actor, site.ID, 0, ""), "gw", "site")
		if err := f.svc.DeleteCI(f.ctx, f.actor, gw.ID, 7, ""); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale delete: %v", err)
		}
		if err := f.svc.DeleteCI(f.ctx, f.actor, gw.ID, 1, "CHG-7"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteCI(f.ctx, f.actor, site.ID, 0, ""); err != nil {
			t.Fatalf("no one refers to the site any more: %v", err)
		}
		if _, err := f.svc.GetCI(f.ctx, gw.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted CI still there: %v", err)
		}
		h := f.history(gw.ID)
		if len(h) != 2 || h[0].Action != cmdb.ActionDelete || h[0].ChangeRef != "CHG-7" || !strings.Contains(str(h[0].Old), `"name":"gw"`) {
			t.Fatalf("history of a deleted CI: %+v", h)
		}
		// The identifier is free again.
		f.ci(cmdb.NewCI{Type: "IoT gateway", Name: "gw again", Attributes: map[string]any{"device_id": "g"}})
		if _, err := f.svc.History(f.ctx, 999999, 0, 10); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("history of a CI that never was: %v", err)
		}
		if err := f.svc.DeleteCI(f.ctx, f.actor, 999999, 0, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing CI: %v", err)
		}
		if n, err := audit.Verify(f.ctx, f.db); err != nil || n == 0 {
			t.Fatalf("audit chain: %d %v", n, err)
		}
	})
}
