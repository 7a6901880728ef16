package api_test

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// KPI definitions are read by staff and auditors and kept by
// administrators; dashboards are read by everyone signed in and arranged
// by all but auditors; a role's dashboard only by administrators.
func TestDashboardAPIPermissions(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	if _, err := s.app.Dashboards.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		body         any
		allowed      []string
	}{
		{"GET", "/api/v1/kpi-definitions", nil, []string{"admin", "agent", "auditor"}},
		{"GET", "/api/v1/kpi-definitions/incident-within-sla", nil, []string{"admin", "agent", "auditor"}},
		{"GET", "/api/v1/kpi-definitions/incident-within-sla/series", nil, []string{"admin", "agent", "auditor"}},
		{"POST", "/api/v1/kpi-definitions", map[string]any{"title": "Opened", "metric": "incident.opened", "period": "week"}, []string{"admin"}},
		{"PATCH", "/api/v1/kpi-definitions/incident-backlog", map[string]any{"target": 40}, []string{"admin"}},
		{"GET", "/api/v1/dashboards", nil, []string{"admin", "agent", "auditor", "requester"}},
		{"GET", "/api/v1/dashboards/customer", nil, []string{"admin", "requester"}},
		{"GET", "/api/v1/dashboards/desk-lead", nil, []string{"admin", "agent", "auditor"}},
		{"PUT", "/api/v1/dashboards/mine", map[string]any{"tiles": []string{"incident-within-sla"}}, []string{"admin", "agent", "requester"}},
		{"PUT", "/api/v1/dashboards/desk-lead", map[string]any{"tiles": []string{"incident-backlog"}}, []string{"admin"}},
		{"DELETE", "/api/v1/kpi-definitions/problems-opened", nil, []string{"admin"}},
	} {
		for _, role := range []string{"requester", "agent", "auditor", "admin"} {
			r := s.do(role, c.method, c.path, c.body)
			allowed := false
			for _, a := range c.allowed {
				allowed = allowed || a == role
			}
			if allowed && r.status >= 400 {
				t.Errorf("%s %s %s: %d %s", role, c.method, c.path, r.status, r.body)
			}
			if !allowed && r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("%s %s %s: %d, want 403 or 404", role, c.method, c.path, r.status)
			}
		}
		if r := s.do("", c.method, c.path, c.body); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d, want 401", c.method, c.path, r.status)
		}
	}
	bad := s.do("admin", "POST", "/api/v1/kpi-definitions", map[string]any{"title": "Odd", "metric": "incident.mttr_hours", "period": "month",
		"filter": map[string]any{"colour": 2}})
	if bad.status != http.StatusUnprocessableEntity || bad.errorFields(t)["filter.colour"] == nil {
		t.Errorf("a filter on a field that does not exist: %d %s", bad.status, bad.body)
	}
}

// A requester's dashboard shows their organisation's figures only, by
// whatever path they ask; another organisation's requester sees theirs.
func TestCustomerDashboardIsScopedServerSide(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newServer(t, e)
		now := time.Now().UTC()
		add := func(cust int64, hours float64) {
			created, resolved := now.Add(-time.Minute-time.Duration(hours*float64(time.Hour))), now.Add(-time.Minute)
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO incidents (title, customer_id, impact, urgency, priority, state, created_at, updated_at, resolved_at)
					VALUES ('Mail down', ?, 'low', 'low', 3, 'resolved', ?, ?, ?)`, cust, store.TS(created), store.TS(created), store.TS(resolved))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		add(s.custA, 2)
		add(s.custA, 4)
		add(s.custB, 10)
		if r := s.do("admin", "POST", "/api/v1/kpi-definitions", map[string]any{"key": "fix-time", "title": "Fix time", "metric": "incident.mttr_hours",
			"period": "month", "per_customer": true, "target": 8}); r.status != http.StatusCreated {
			t.Fatalf("define: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PUT", "/api/v1/dashboards/customer", map[string]any{"tiles": []string{"fix-time", "p1-within-sla"}}); r.status != http.StatusOK {
			t.Fatalf("arrange the customers' dashboard: %d %s", r.status, r.body)
		}
		if _, err := s.app.Dashboards.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		figure := func(role string) (float64, int) {
			t.Helper()
			r := s.do(role, "GET", "/api/v1/dashboards/customer", nil)
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", role, r.status, r.body)
			}
			b := r.json(t)
			tiles := b["tiles"].([]any)
			if want := map[bool]int{true: 2, false: 1}[role == "admin"]; len(tiles) != want {
				t.Fatalf("%s sees %d tiles, want %d: a requester is not shown the KPI not computed per customer", role, len(tiles), want)
			}
			latest := tiles[0].(map[string]any)["latest"].(map[string]any)
			return latest["value"].(float64), int(b["customer_id"].(float64))
		}
		if v, c := figure("requester"); math.Abs(v-3) > 0.01 || c != int(s.custA) {
			t.Errorf("Alpha's requester sees %v for customer %d, want 3 hours for %d", v, c, s.custA)
		}
		if v, c := figure("requesterB"); math.Abs(v-10) > 0.01 || c != int(s.custB) {
			t.Errorf("Beta's requester sees %v for customer %d, want 10 hours for %d", v, c, s.custB)
		}
		if v, c := figure("admin"); math.Abs(v-16.0/3) > 0.01 || c != 0 {
			t.Errorf("the administrator sees %v for customer %d, want the mean over all", v, c)
		}
		for _, path := range []string{"/api/v1/dashboards/desk-lead", "/api/v1/dashboards/sms-manager", "/api/v1/kpi-definitions/fix-time/series?customer=" + strconv.FormatInt(s.custB, 10)} {
			if r := s.do("requester", "GET", path, nil); r.status != http.StatusNotFound && r.status != http.StatusForbidden {
				t.Errorf("requester %s: %d", path, r.status)
			}
		}
		if r := s.do("requester", "PUT", "/api/v1/dashboards/mine", map[string]any{"tiles": []string{"p1-within-sla"}}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a requester placed a KPI not computed per customer: %d %s", r.status, r.body)
		}
		if r := s.do("requester", "PUT", "/api/v1/dashboards/mine", map[string]any{"tiles": []string{"fix-time"}}); r.status != http.StatusOK {
			t.Errorf("a requester arranging their own: %d %s", r.status, r.body)
		} else if v, _ := figure("requester"); math.Abs(v-3) > 0.01 {
			t.Errorf("after arranging, Alpha's requester sees %v", v)
		}
		mine := s.do("requester", "GET", "/api/v1/dashboards/mine", nil).json(t)
		if int(mine["customer_id"].(float64)) != int(s.custA) {
			t.Errorf("the requester's own dashboard is not scoped to Alpha: %v", mine)
		}
	})
}

// GET /api/v1/kpis gives each measure its live figure, as objectives
// read it, and the KPIs built on it with their latest snapshot, target
// and direction; the headline KPI's target and latest figure repeat on
// the measure. A measure no KPI is kept on has none.
func TestKPIListGivesLatestValueAndTarget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newServer(t, e)
		now := time.Now().UTC().Add(-time.Minute)
		for range 3 {
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO incidents (title, customer_id, impact, urgency, priority, state, created_at, updated_at)
					VALUES ('VPN down', ?, 'low', 'low', 3, 'new', ?, ?)`, s.custA, store.TS(now), store.TS(now))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := s.app.Dashboards.EnsureDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		if r := s.do("admin", "PATCH", "/api/v1/kpi-definitions/incident-backlog", map[string]any{"target": 2}); r.status != http.StatusOK {
			t.Fatalf("target: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "POST", "/api/v1/kpi-definitions", map[string]any{"key": "alpha-backlog", "title": "Alpha's backlog",
			"metric": "incident.backlog", "period": "week", "target": 5, "filter": map[string]any{"customer": s.custA}}); r.status != http.StatusCreated {
			t.Fatalf("define: %d %s", r.status, r.body)
		}
		if _, err := s.app.Dashboards.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		r := s.do("auditor", "GET", "/api/v1/kpis", nil)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		items := map[string]map[string]any{}
		for _, it := range r.json(t)["items"].([]any) {
			k := it.(map[string]any)
			items[k["key"].(string)] = k
		}
		backlog := items["incident.backlog"]
		if backlog == nil || backlog["value"] == nil {
			t.Fatalf("incident.backlog lacks its live figure: %v", backlog)
		}
		latest, _ := backlog["latest"].(map[string]any)
		if backlog["target"] != 2.0 || latest == nil || latest["value"] != 3.0 || backlog["on_target"] != false {
			t.Errorf("incident.backlog: target %v, latest %v, on target %v; want 2, 3 open and off target", backlog["target"], latest, backlog["on_target"])
		}
		defs := map[string]map[string]any{}
		for _, d := range backlog["definitions"].([]any) {
			dm := d.(map[string]any)
			defs[dm["key"].(string)] = dm
		}
		alpha := defs["alpha-backlog"]
		if len(defs) != 2 || defs["incident-backlog"] == nil || alpha == nil || alpha["target"] != 5.0 || alpha["higher_is_better"] != false ||
			alpha["period"] != "week" || alpha["on_target"] != true || alpha["latest"].(map[string]any)["value"] != 3.0 {
			t.Errorf("incident.backlog's KPIs: %v", defs)
		}
		verified := items["cmdb.verified_pct"]
		if verified["target"] != nil || verified["latest"] != nil || len(verified["definitions"].([]any)) != 0 {
			t.Errorf("a measure no KPI is kept on: %v", verified)
		}
	})
}

// A report scheduled with no audience is refused with a message on the
// audience, and nothing is stored.
func TestScheduledReportNeedsAnAudience(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	if err := s.app.Dashboards.EnsureDefaults(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := s.count("SELECT COUNT(*) FROM report_definitions")
	r := s.do("admin", "POST", "/api/v1/report-definitions", map[string]any{"name": "Monthly service report", "owner_id": s.users["agent"],
		"frequency": "monthly", "next_due": "2030-01-01", "format": "pdf", "kpis": []string{"incident-within-sla"}})
	if r.status != http.StatusUnprocessableEntity || r.errorFields(t)["audience"] == nil {
		t.Errorf("a report with no audience: %d %s", r.status, r.body)
	}
	if n := s.count("SELECT COUNT(*) FROM report_definitions"); n != before {
		t.Errorf("the refused report was stored: %d definitions, were %d", n, before)
	}
}
