package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// continuityService adds a live service and returns its id.
func (s *server) continuityService(name string) int64 {
	s.t.Helper()
	res := s.do("admin", "POST", "/api/v1/services", map[string]any{"name": name, "status": "live", "criticality": "critical"})
	if res.status != 201 {
		s.t.Fatalf("service: %d %s", res.status, res.body)
	}
	return int64(res.json(s.t)["id"].(float64))
}

// Who may do what with continuity, and an RTO of zero refused by field
// with nothing stored.
func TestContinuityPermissionsAndBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		svc := s.continuityService("ERP")
		req := fmt.Sprintf("/api/v1/continuity-requirements/%d", svc)
		for _, role := range []string{"requester", ""} {
			if res := s.do(role, "GET", "/api/v1/reports/continuity", nil); res.status != 403 && res.status != 401 {
				t.Fatalf("%q reads the standing: %d", role, res.status)
			}
		}
		if res := s.do("auditor", "PUT", req, map[string]any{"rto": "4h", "rpo": "15 min"}); res.status != 403 {
			t.Fatalf("the auditor sets a requirement: %d", res.status)
		}
		res := s.do("agent", "PUT", req, map[string]any{"rto": "0", "rpo": "15"})
		if f := res.errorFields(t); res.status != 422 || !strings.Contains(fmt.Sprint(f["rto"]), "more than zero") || !strings.Contains(fmt.Sprint(f["rpo"]), "unit") {
			t.Fatalf("RTO zero: %d %s", res.status, res.body)
		}
		if n := s.count("SELECT COUNT(*) FROM continuity_requirements"); n != 0 {
			t.Fatalf("%d requirements kept after a refusal", n)
		}
		if res := s.do("agent", "PUT", req, map[string]any{"rto": "4h", "rpo": "15 min", "min_service_level": "50 %"}); res.status != 200 || res.json(t)["rto"] != "4 h" {
			t.Fatalf("requirement: %d %s", res.status, res.body)
		}
		if res := s.do("agent", "PUT", "/api/v1/continuity-requirements/9999", map[string]any{"rto": "4h", "rpo": "0"}); res.status != 404 {
			t.Fatalf("an unknown service: %d", res.status)
		}
		if res := s.do("agent", "PUT", req, `{"rto": "4h", "rpo": "0", "colour": "red"}`); res.status != 400 {
			t.Fatalf("an unknown field: %d", res.status)
		}
		if res := s.do("agent", "POST", "/api/v1/continuity-plans", map[string]any{"title": "x", "service_ids": []int64{svc},
			"steps": make([]map[string]any, 101)}); res.status != 422 {
			t.Fatalf("too many steps: %d", res.status)
		}
		if res := s.do("auditor", "POST", "/api/v1/continuity-plans", map[string]any{"title": "x", "service_ids": []int64{svc}}); res.status != 403 {
			t.Fatalf("the auditor writes a plan: %d", res.status)
		}
		if res := s.do("auditor", "GET", "/api/v1/continuity-plans", nil); res.status != 200 {
			t.Fatalf("the auditor lists plans: %d", res.status)
		}
		if res := s.do("requester", "GET", "/api/v1/continuity-tests", nil); res.status != 403 {
			t.Fatalf("a requester lists tests: %d", res.status)
		}
	})
}

// A plan written, approved by an administrator only, tested with a miss
// and invoked: the standing flags the miss, the action becomes an
// improvement, and a tested plan is retired rather than deleted.
func TestContinuityPlanTestedAndInvoked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		svc := s.continuityService("ERP")
		s.do("agent", "PUT", fmt.Sprintf("/api/v1/continuity-requirements/%d", svc), map[string]any{"rto": "4h", "rpo": "30 min"})
		res := s.do("agent", "POST", "/api/v1/continuity-plans", map[string]any{"title": "ERP recovery", "service_ids": []int64{svc},
			"steps":    []map[string]any{{"title": "Promote the standby database", "owner_id": s.users["agent"]}, {"title": "Switch DNS"}},
			"contacts": []map[string]any{{"name": "Vendor", "phone": "+44 20 7946 0000"}}})
		if res.status != 201 || res.header.Get("Location") == "" {
			t.Fatalf("plan: %d %s", res.status, res.body)
		}
		plan := res.json(t)
		id := int64(plan["id"].(float64))
		url := fmt.Sprintf("/api/v1/continuity-plans/%d", id)
		if res := s.do("agent", "POST", url+"/approve", nil); res.status != 403 {
			t.Fatalf("an agent approves: %d", res.status)
		}
		if res := s.do("admin", "POST", url+"/approve", nil); res.status != 200 || res.json(t)["state"] != "approved" {
			t.Fatalf("approve: %d %s", res.status, res.body)
		}
		held := time.Now().AddDate(0, 0, -3).Format(time.DateOnly)
		res = s.do("agent", "POST", "/api/v1/continuity-tests", map[string]any{"plan_id": id, "kind": "full_failover", "held_on": held,
			"rto_achieved": "5h 20m", "rpo_achieved": "10 min"})
		if res.status != 201 || res.json(t)["verdict"] != "missed" {
			t.Fatalf("test: %d %s", res.status, res.body)
		}
		test := res.json(t)
		tid := int64(test["id"].(float64))
		if out := test["outcomes"].([]any)[0].(map[string]any); out["rto_verdict"] != "missed" || out["rpo_verdict"] != "met" {
			t.Fatalf("outcome: %v", out)
		}
		st := s.do("auditor", "GET", "/api/v1/reports/continuity", nil).json(t)
		flags := fmt.Sprint(st["services"].([]any)[0].(map[string]any)["flags"])
		if !strings.Contains(flags, "missed_rto") || !strings.Contains(flags, "took 5 h 20 min against an RTO of 4 h") {
			t.Fatalf("standing: %s", flags)
		}
		res = s.do("agent", "POST", fmt.Sprintf("/api/v1/continuity-tests/%d/actions", tid), map[string]any{"title": "Patch the standby servers",
			"owner_id": s.users["agent"], "due_on": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)})
		if res.status != 201 {
			t.Fatalf("action: %d %s", res.status, res.body)
		}
		raise := fmt.Sprintf("/api/v1/continuity-tests/%d/actions/%d/improvement", tid, int64(res.json(t)["id"].(float64)))
		if res := s.do("agent", "POST", raise, nil); res.status != 403 {
			t.Fatalf("an agent raises an improvement: %d", res.status)
		}
		if res := s.do("admin", "POST", raise, nil); res.status != 200 || res.json(t)["improvement_id"] == nil {
			t.Fatalf("raise: %d %s", res.status, res.body)
		}
		if n := s.count("SELECT COUNT(*) FROM improvements WHERE title = 'Patch the standby servers'"); n != 1 {
			t.Fatalf("%d improvements", n)
		}
		start := time.Now().Add(-8 * time.Hour).UTC().Format(time.RFC3339)
		end := time.Now().Add(-5 * time.Hour).UTC().Format(time.RFC3339)
		res = s.do("agent", "POST", "/api/v1/continuity-invocations", map[string]any{"plan_id": id, "started_at": start, "summary": "Array failed.", "review": "Early."})
		if res.status != 422 {
			t.Fatalf("a review before the end: %d", res.status)
		}
		res = s.do("agent", "POST", "/api/v1/continuity-invocations", map[string]any{"plan_id": id, "started_at": start, "ended_at": end, "summary": "Array failed."})
		if res.status != 201 || res.json(t)["recovery"] != "3 h" || res.json(t)["verdict"] != "met" || res.json(t)["awaiting_review"] != true {
			t.Fatalf("invocation: %d %s", res.status, res.body)
		}
		iv := fmt.Sprintf("/api/v1/continuity-invocations/%d", int64(res.json(t)["id"].(float64)))
		if res := s.do("admin", "PATCH", iv, map[string]any{"review": "Went well."}); res.status != 200 || res.json(t)["reviewed_by_name"] != "admin" {
			t.Fatalf("review: %d %s", res.status, res.body)
		}
		got := s.do("auditor", "GET", url, nil).json(t)
		if len(got["tests"].([]any)) != 1 || len(got["invocations"].([]any)) != 1 || len(got["steps"].([]any)) != 2 {
			t.Fatalf("the plan: %v", got)
		}
		steps := []map[string]any{{"title": "Switch DNS"}}
		if res := s.do("agent", "PATCH", url, map[string]any{"steps": steps}); res.status != 200 || res.json(t)["state"] != "draft" || res.json(t)["plan_version"] != float64(2) {
			t.Fatalf("a change to the approved plan: %d %s", res.status, res.body)
		}
		if res := s.do("agent", "DELETE", url, nil); res.status != 409 {
			t.Fatalf("deleting a tested plan: %d", res.status)
		}
		if res := s.do("agent", "PATCH", url, map[string]any{"state": "retired"}); res.status != 200 {
			t.Fatalf("retire: %d", res.status)
		}
		var n int
		if err := s.app.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE entity LIKE 'continuity%'").Scan(&n); err != nil || n < 8 {
			t.Fatalf("audit entries: %d %v", n, err)
		}
	})
}
