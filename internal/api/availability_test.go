package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// svcOwnedBy makes a live service owned by the user.
func (s *server) svcOwnedBy(name string, owner int64) int64 {
	s.t.Helper()
	var id int64
	now := store.TS(time.Now())
	err := s.app.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO services (name, status, criticality, owner_id, created_at, updated_at)
			VALUES (?, 'live', 'high', ?, ?, ?) RETURNING id`, name, owner, now, now).Scan(&id)
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

// Outages: the service's owner and administrators write, other agents
// and auditors do not, requesters do not even read; bad input is a 422
// naming the field, and nothing is stored.
func TestOutagesAPIWhoMay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		mine := s.svcOwnedBy("Shop", s.users["agent"])
		theirs := s.svcOwnedBy("Payroll", s.users["admin"])
		start := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
		body := func(svc int64) map[string]any {
			return map[string]any{"service_id": svc, "started_at": start.Format(time.RFC3339),
				"ended_at": start.Add(time.Hour).Format(time.RFC3339), "summary": "checkout failed"}
		}
		for _, c := range []struct {
			role string
			svc  int64
			want int
		}{
			{"agent", mine, http.StatusCreated}, {"agent", theirs, http.StatusForbidden},
			{"admin", mine, http.StatusCreated}, {"admin", theirs, http.StatusCreated},
			{"auditor", mine, http.StatusForbidden}, {"requester", mine, http.StatusForbidden}, {"", mine, http.StatusUnauthorized},
		} {
			if res := s.do(c.role, "POST", "/api/v1/outages", body(c.svc)); res.status != c.want {
				t.Errorf("%s POST outage of service %d: %d, want %d %s", c.role, c.svc, res.status, c.want, res.body)
			}
		}
		for role, want := range map[string]int{"admin": 200, "agent": 200, "auditor": 200, "requester": 403} {
			if res := s.do(role, "GET", "/api/v1/outages?service_id="+strconv.FormatInt(mine, 10), nil); res.status != want {
				t.Errorf("%s lists outages: %d, want %d", role, res.status, want)
			}
		}
		list := s.do("auditor", "GET", "/api/v1/outages?service_id="+strconv.FormatInt(mine, 10), nil).json(t)["items"].([]any)
		if len(list) != 2 {
			t.Fatalf("%d outages of the agent's service, want 2", len(list))
		}
		id := strconv.FormatInt(int64(list[0].(map[string]any)["id"].(float64)), 10)
		before := s.count("SELECT COUNT(*) FROM outages")

		for name, c := range map[string]struct {
			body  map[string]any
			field string
		}{
			"end before start": {map[string]any{"service_id": mine, "started_at": start.Format(time.RFC3339), "ended_at": start.Add(-time.Minute).Format(time.RFC3339), "summary": "x"}, "ended_at"},
			"weight 0":         {map[string]any{"service_id": mine, "started_at": start.Format(time.RFC3339), "weight": 0, "summary": "x"}, "weight"},
			"weight 1.2":       {map[string]any{"service_id": mine, "started_at": start.Format(time.RFC3339), "weight": 1.2, "summary": "x"}, "weight"},
			"unknown service":  {map[string]any{"service_id": 987654, "started_at": start.Format(time.RFC3339), "summary": "x"}, "service_id"},
		} {
			res := s.do("admin", "POST", "/api/v1/outages", c.body)
			if res.status != http.StatusUnprocessableEntity || res.errorFields(t)[c.field] == nil {
				t.Errorf("%s: %d %s, want 422 naming %s", name, res.status, res.body, c.field)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM outages"); n != before {
			t.Errorf("bad input stored outages: %d, was %d", n, before)
		}

		patch := map[string]any{"weight": 0.5, "reason": "only one site was down"}
		if res := s.do("auditor", "PATCH", "/api/v1/outages/"+id, patch); res.status != http.StatusForbidden {
			t.Errorf("auditor corrects: %d", res.status)
		}
		if res := s.do("agent", "PATCH", "/api/v1/outages/"+id, map[string]any{"weight": 0.5}); res.status != 422 || res.errorFields(t)["reason"] == nil {
			t.Errorf("correction without reason: %d %s", res.status, res.body)
		}
		res := s.do("agent", "PATCH", "/api/v1/outages/"+id, patch)
		if res.status != 200 || res.json(t)["weight"] != 0.5 || res.json(t)["edited"] != true {
			t.Fatalf("owner corrects: %d %s", res.status, res.body)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'outage' AND entity_id = ? AND data LIKE ?", id, "%only one site was down%"); n != 1 {
			t.Errorf("the reason is in the audit trail %d times", n)
		}
		if res := s.do("agent", "DELETE", "/api/v1/outages/"+id, nil); res.status != 422 {
			t.Errorf("removal without reason: %d", res.status)
		}
		if res := s.do("agent", "DELETE", "/api/v1/outages/"+id, map[string]any{"reason": "entered twice"}); res.status != 204 {
			t.Errorf("owner removes: %d %s", res.status, res.body)
		}
		if res := s.do("agent", "GET", "/api/v1/outages/"+id, nil); res.status != 404 {
			t.Errorf("removed outage: %d", res.status)
		}

		// Targets: the owner sets theirs, not another's.
		if res := s.do("agent", "PUT", "/api/v1/services/"+strconv.FormatInt(mine, 10)+"/availability-target", map[string]any{"target": 99.5}); res.status != 200 {
			t.Errorf("owner sets target: %d %s", res.status, res.body)
		}
		if res := s.do("agent", "PUT", "/api/v1/services/"+strconv.FormatInt(theirs, 10)+"/availability-target", map[string]any{"target": 99.5}); res.status != 403 {
			t.Errorf("agent sets another's target: %d", res.status)
		}
		if res := s.do("auditor", "GET", "/api/v1/services/"+strconv.FormatInt(mine, 10)+"/availability-target", nil); res.status != 200 || res.json(t)["hours"] != "24x7" {
			t.Errorf("auditor reads target: %d %s", res.status, res.body)
		}
	})
}

// The availability report: a service's figures over a period, and 422s
// naming the parameter for a reversed period or an unknown service.
func TestAvailabilityReportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		svc := s.svcOwnedBy("Shop", s.users["admin"])
		id := strconv.FormatInt(svc, 10)
		s.do("admin", "PUT", "/api/v1/services/"+id+"/availability-target", map[string]any{"target": 99.9})
		s.do("admin", "POST", "/api/v1/outages", map[string]any{"service_id": svc, "started_at": "2026-01-10T10:00:00Z", "ended_at": "2026-01-10T11:12:00Z", "summary": "down"})
		res := s.do("auditor", "GET", "/api/v1/reports/availability?service_id="+id+"&from=2026-01-01&to=2026-02-01", nil)
		if res.status != 200 {
			t.Fatalf("report: %d %s", res.status, res.body)
		}
		f := res.json(t)["services"].([]any)[0].(map[string]any)
		// 31 days = 44640 min; 72 min down: 99.839 %.
		if f["downtime_minutes"] != 72.0 || f["availability"] != 99.839 || f["status"] != "below" || f["outages"] != 1.0 {
			t.Errorf("figures %v", f)
		}
		for q, field := range map[string]string{
			"service_id=987654&from=2026-01-01&to=2026-02-01": "service_id",
			"from=2026-02-01&to=2026-01-01":                   "to",
			"from=2026-02-01":                                 "to",
			"from=yesterday&to=2026-01-01":                    "from",
		} {
			if res := s.do("admin", "GET", "/api/v1/reports/availability?"+q, nil); res.status != 422 || res.errorFields(t)[field] == nil {
				t.Errorf("%s: %d %s, want 422 naming %s", q, res.status, res.body, field)
			}
		}
		if res := s.do("requester", "GET", "/api/v1/reports/availability", nil); res.status != 403 {
			t.Errorf("requester reads the report: %d", res.status)
		}
	})
}
