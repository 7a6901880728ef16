package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"steward/internal/store/storetest"
)

// Requesters see none of the management system; agents and auditors read
// it; only administrators keep it. Refused writes change nothing.
func TestSMSAPIPermissions(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	issue := map[string]any{"title": "Energy prices", "origin": "external", "identified_on": "2026-01-10", "review_due": "2026-12-01"}
	created := s.do("admin", "POST", "/api/v1/context-issues", issue)
	if created.status != http.StatusCreated {
		t.Fatalf("admin adding an issue: %d %s", created.status, created.body)
	}
	path := created.header.Get("Location")
	reads := []string{"/api/v1/context-issues", path, "/api/v1/interested-parties", "/api/v1/scope", "/api/v1/scope/versions",
		"/api/v1/processes", "/api/v1/processes/incident", "/api/v1/skills", "/api/v1/job-roles", "/api/v1/trainings", "/api/v1/competence"}
	for _, p := range reads {
		for role, want := range map[string]int{"": 401, "requester": 403, "agent": 200, "auditor": 200} {
			if got := s.do(role, "GET", p, nil); got.status != want {
				t.Errorf("%q GET %s: %d, want %d", role, p, got.status, want)
			}
		}
	}
	writes := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/context-issues", issue},
		{"PATCH", path, map[string]any{"title": "x"}},
		{"POST", "/api/v1/interested-parties", map[string]any{"name": "x"}},
		{"POST", "/api/v1/scope/versions", map[string]any{"statement": "x"}},
		{"POST", "/api/v1/scope/versions/1/approve", nil},
		{"PATCH", "/api/v1/processes/incident", map[string]any{"owner_id": s.users["agent"]}},
		{"PUT", "/api/v1/processes/incident/raci", map[string]any{"lines": []any{}}},
		{"POST", "/api/v1/processes/incident/interfaces", map[string]any{"to": "problem"}},
		{"POST", "/api/v1/skills", map[string]any{"name": "x"}},
		{"POST", "/api/v1/job-roles", map[string]any{"name": "x"}},
		{"PUT", "/api/v1/skill-assessments", map[string]any{"user_id": s.users["agent"], "skill_id": 1, "level": 2, "assessed_on": "2026-01-01"}},
		{"POST", "/api/v1/trainings", map[string]any{"user_id": s.users["agent"], "title": "x", "completed_on": "2026-01-01"}},
	}
	for _, w := range writes {
		for _, role := range []string{"requester", "agent", "auditor"} {
			if got := s.do(role, w.method, w.path, w.body); got.status != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", role, w.method, w.path, got.status)
			}
		}
	}
	if got := s.do("admin", "GET", "/api/v1/processes/incident", nil); got.json(t)["owner_id"] != nil {
		t.Errorf("a refused write set the owner: %s", got.body)
	}
	if got := s.do("admin", "GET", "/api/v1/context-issues", nil); len(got.json(t)["items"].([]any)) != 1 {
		t.Errorf("refused writes added issues: %s", got.body)
	}
}

// The rules users meet through the API: field errors, version checks and
// the processes list's public shape.
func TestSMSAPIRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		for _, c := range []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"review before identified", "POST", "/api/v1/context-issues", map[string]any{"title": "x", "origin": "external", "identified_on": "2026-05-01", "review_due": "2026-04-01"}, "review_due"},
			{"unknown owner", "POST", "/api/v1/context-issues", map[string]any{"title": "x", "origin": "external", "review_due": "2099-04-01", "owner_id": 9999}, "owner_id"},
			{"unknown service in scope", "POST", "/api/v1/scope/versions", map[string]any{"statement": "x", "service_ids": []int{4242}}, "service_ids"},
			{"unknown process owner", "PATCH", "/api/v1/processes/change", map[string]any{"owner_id": 9999}, "owner_id"},
			{"two A's", "PUT", "/api/v1/processes/change/raci", map[string]any{"lines": []any{
				map[string]any{"activity": "Approve", "user_id": s.users["agent"], "letter": "A"},
				map[string]any{"activity": "Approve", "group_id": s.groupID, "letter": "A"}}}, "raci[1].letter"},
			{"self-interface", "POST", "/api/v1/processes/change/interfaces", map[string]any{"to": "change"}, "to"},
			{"expiry before completion", "POST", "/api/v1/trainings", map[string]any{"user_id": s.users["agent"], "title": "x", "completed_on": "2026-01-01", "expires_on": "2025-01-01"}, "expires_on"},
			{"requester trained", "POST", "/api/v1/trainings", map[string]any{"user_id": s.users["requester"], "title": "x", "completed_on": "2026-01-01"}, "user_id"},
		} {
			got := s.do("admin", c.method, c.path, c.body)
			if got.status != http.StatusUnprocessableEntity || got.errorFields(t)[c.field] == nil {
				t.Errorf("%s: %d %s, want 422 on %s", c.name, got.status, got.body, c.field)
			}
		}
		if got := s.do("admin", "POST", "/api/v1/skills", map[string]any{"name": "Networking"}); got.status != 201 {
			t.Fatalf("skill: %d %s", got.status, got.body)
		}
		if got := s.do("admin", "POST", "/api/v1/skills", map[string]any{"name": "networking"}); got.status != 422 || got.errorFields(t)["name"] == nil {
			t.Errorf("duplicate skill name: %d %s", got.status, got.body)
		}
		got := s.do("admin", "PATCH", "/api/v1/processes/change", map[string]any{"owner_id": s.users["agent"]}, "If-Match", `"v1"`)
		if got.status != 200 || got.header.Get("ETag") != `"v2"` {
			t.Fatalf("owner: %d %s", got.status, got.body)
		}
		if got := s.do("admin", "PATCH", "/api/v1/processes/change", map[string]any{"owner_id": 0}, "If-Match", `"v1"`); got.status != http.StatusPreconditionFailed {
			t.Errorf("stale owner change: %d", got.status)
		}
		list := s.do("auditor", "GET", "/api/v1/processes", nil).json(t)["items"].([]any)
		if len(list) != 26 {
			t.Fatalf("%d processes", len(list))
		}
		owned := 0
		for _, x := range list {
			p := x.(map[string]any)
			if p["key"] == "" || p["id"] == nil {
				t.Errorf("process without key or id: %v", p)
			}
			if p["key"] == "change" && p["owner_id"] == float64(s.users["agent"]) && p["owner_name"] == "agent" {
				owned++
			}
		}
		if owned != 1 {
			t.Errorf("the change process's owner is not listed")
		}
		// Scope: save, approve, and the in-force version follows.
		v1 := s.do("admin", "POST", "/api/v1/scope/versions", map[string]any{"statement": "All managed services"})
		if v1.status != 201 {
			t.Fatalf("scope v1: %d %s", v1.status, v1.body)
		}
		if got := s.do("admin", "GET", "/api/v1/scope", nil).json(t); got["in_force"] != nil || got["draft"] == nil {
			t.Errorf("before approval: %v", got)
		}
		if got := s.do("admin", "POST", "/api/v1/scope/versions/1/approve", nil); got.status != 200 || got.json(t)["approved_by_name"] != "admin" {
			t.Errorf("approve: %d %s", got.status, got.body)
		}
		if got := s.do("admin", "POST", "/api/v1/scope/versions/1/approve", nil); got.status != http.StatusConflict {
			t.Errorf("approving twice: %d", got.status)
		}
		if got := s.do("admin", "POST", "/api/v1/scope/versions", map[string]any{"statement": "late", "based_on": 0 + 3}); got.status != http.StatusPreconditionFailed {
			t.Errorf("saving over unseen versions: %d", got.status)
		}
		sc := s.do("agent", "GET", "/api/v1/scope", nil).json(t)
		if in, _ := sc["in_force"].(map[string]any); in == nil || in["number"] != float64(1) || sc["draft"] != nil {
			t.Errorf("after approval: %v", sc)
		}
		tr := s.do("admin", "POST", "/api/v1/trainings", map[string]any{"user_id": s.users["agent"], "kind": "certification", "title": "CCNA", "completed_on": "2020-01-01", "expires_on": "2023-01-01"})
		if tr.status != 201 {
			t.Fatalf("training: %d %s", tr.status, tr.body)
		}
		comp := s.do("auditor", "GET", "/api/v1/competence", nil).json(t)
		kinds := map[string]bool{}
		for _, g := range comp["gaps"].([]any) {
			kinds[g.(map[string]any)["kind"].(string)] = true
		}
		if !kinds["expired"] || !kinds["check_overdue"] {
			t.Errorf("gaps %v, want the expired certificate and its pending check", comp["gaps"])
		}
		if got := s.do("admin", "GET", fmt.Sprintf("/api/v1/trainings?user_id=%d", s.users["auditor"]), nil); len(got.json(t)["items"].([]any)) != 0 {
			t.Errorf("another person's trainings: %s", got.body)
		}
	})
}
