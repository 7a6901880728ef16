package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// Who may do what with audits, nonconformities, actions and reviews:
// requesters see nothing, staff read, auditors conduct audits but do not
// plan them or raise nonconformities by hand, admins keep it all.
func TestCheckingPermissions(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	var incident int64
	if err := s.app.DB.QueryRow(t.Context(), "SELECT id FROM processes WHERE key = 'incident'").Scan(&incident); err != nil {
		t.Fatal(err)
	}
	plan := map[string]any{"title": "Incident management", "process_ids": []int64{incident}, "lead_id": s.users["auditor"], "planned_on": "2026-06-01"}
	for _, role := range []string{"auditor", "agent", "requester", ""} {
		if r := s.do(role, "POST", "/api/v1/audits", plan); r.status != map[string]int{"": 401}[role]+map[bool]int{true: 403}[role != ""] {
			t.Errorf("%q plans an audit: %d", role, r.status)
		}
	}
	r := s.do("admin", "POST", "/api/v1/audits", plan)
	if r.status != http.StatusCreated {
		t.Fatalf("admin plans: %d %s", r.status, r.body)
	}
	id := int64(r.json(t)["id"].(float64))
	base := fmt.Sprintf("/api/v1/audits/%d", id)
	for role, want := range map[string]int{"requester": 403, "agent": 200, "auditor": 200, "admin": 200} {
		if r := s.do(role, "GET", base, nil); r.status != want {
			t.Errorf("%s reads the audit: %d, want %d", role, r.status, want)
		}
	}
	if r := s.do("agent", "POST", base+"/start", nil); r.status != http.StatusForbidden {
		t.Errorf("agent starts: %d", r.status)
	}
	if r := s.do("auditor", "POST", base+"/start", nil); r.status != http.StatusOK {
		t.Fatalf("lead auditor starts: %d %s", r.status, r.body)
	}
	items := s.do("auditor", "GET", base+"/items", nil).json(t)["items"].([]any)
	line := items[0].(map[string]any)
	path := fmt.Sprintf("%s/items/%d", base, int64(line["id"].(float64)))
	if r := s.do("agent", "PATCH", path, map[string]any{"result": "conforming"}); r.status != http.StatusForbidden {
		t.Errorf("agent records: %d", r.status)
	}
	if r := s.do("auditor", "POST", base+"/report", nil); r.status != http.StatusUnprocessableEntity || r.errorFields(t)["items"] == nil {
		t.Errorf("report with lines open: %d %s", r.status, r.body)
	}
	r = s.do("auditor", "PATCH", path, map[string]any{"result": "major_nc", "notes": "No major-incident reviews at all.", "evidence": []string{"INC-000999"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(r.errorFields(t)["evidence"]), "no incident INC-000999") {
		t.Fatalf("unknown evidence: %d %s", r.status, r.body)
	}
	r = s.do("auditor", "PATCH", path, map[string]any{"result": "major_nc", "notes": "No major-incident reviews at all."})
	nc, _ := r.json(t)["nonconformity"].(string)
	if r.status != http.StatusOK || !strings.HasPrefix(nc, "NC-") {
		t.Fatalf("auditor records a major NC: %d %s", r.status, r.body)
	}
	if r := s.do("auditor", "POST", base+"/report", map[string]any{"summary": "One major finding."}); r.status != http.StatusOK {
		t.Fatalf("report: %d %s", r.status, r.body)
	}

	// Nonconformities: auditors read but do not raise by hand.
	if r := s.do("auditor", "POST", "/api/v1/nonconformities", map[string]any{"title": "x"}); r.status != http.StatusForbidden {
		t.Errorf("auditor raises an NC: %d", r.status)
	}
	if r := s.do("requester", "GET", "/api/v1/nonconformities", nil); r.status != http.StatusForbidden {
		t.Errorf("requester lists NCs: %d", r.status)
	}
	r = s.do("admin", "GET", "/api/v1/nonconformities/"+nc, nil)
	etag := r.header.Get("ETag")
	if r.status != http.StatusOK || etag == "" {
		t.Fatalf("get NC: %d", r.status)
	}
	if r := s.do("admin", "POST", "/api/v1/nonconformities/"+nc+"/actions", map[string]any{"title": "Hold reviews", "due_on": "2026-07-01"}); r.status != 422 || r.errorFields(t)["owner_id"] == nil {
		t.Errorf("action without owner: %d %s", r.status, r.body)
	}
	r = s.do("admin", "POST", "/api/v1/nonconformities/"+nc+"/actions", map[string]any{"title": "Hold reviews", "owner_id": s.users["agent"], "due_on": "2026-07-01"})
	if r.status != http.StatusCreated {
		t.Fatalf("action: %d %s", r.status, r.body)
	}
	action := int64(r.json(t)["id"].(float64))
	// The stale version is refused; closing with the action open names it.
	if r := s.do("admin", "PATCH", "/api/v1/nonconformities/"+nc, map[string]any{"root_cause": "Nobody owns the review."}, "If-Match", etag); r.status != http.StatusOK {
		t.Errorf("If-Match current: %d %s", r.status, r.body)
	}
	if r := s.do("admin", "PATCH", "/api/v1/nonconformities/"+nc, map[string]any{"title": "y"}, "If-Match", etag); r.status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %d", r.status)
	}
	r = s.do("admin", "PATCH", "/api/v1/nonconformities/"+nc, map[string]any{"effectiveness": "effective"})
	if r.status != 422 || !strings.Contains(fmt.Sprint(r.errorFields(t)["state"]), "Hold reviews") {
		t.Errorf("close with an open action: %d %s", r.status, r.body)
	}
	// The owner marks the action done; someone else may not.
	if r := s.do("auditor", "PATCH", fmt.Sprintf("/api/v1/actions/%d", action), map[string]any{"status": "done"}); r.status != http.StatusForbidden {
		t.Errorf("not the owner: %d", r.status)
	}
	if r := s.do("agent", "GET", "/api/v1/actions?owner_id=me&open=true", nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Errorf("my actions: %d %s", r.status, r.body)
	}
	if r := s.do("agent", "PATCH", fmt.Sprintf("/api/v1/actions/%d", action), map[string]any{"status": "done"}); r.status != http.StatusOK {
		t.Errorf("owner marks done: %d %s", r.status, r.body)
	}

	// Reviews: planned by admins, read by staff, never held without inputs.
	rv := map[string]any{"title": "Q2", "planned_on": "2026-07-10", "period_from": "2026-04-01", "period_to": "2026-06-30"}
	if r := s.do("auditor", "POST", "/api/v1/management-reviews", rv); r.status != http.StatusForbidden {
		t.Errorf("auditor plans a review: %d", r.status)
	}
	bad := map[string]any{"title": "Q2", "planned_on": "2026-07-10", "period_from": "2026-06-30", "period_to": "2026-04-01"}
	if r := s.do("admin", "POST", "/api/v1/management-reviews", bad); r.status != 422 || r.errorFields(t)["period_to"] == nil {
		t.Errorf("period backwards: %d %s", r.status, r.body)
	}
	r = s.do("admin", "POST", "/api/v1/management-reviews", rv)
	rid := int64(r.json(t)["id"].(float64))
	rpath := fmt.Sprintf("/api/v1/management-reviews/%d", rid)
	if r := s.do("admin", "PATCH", rpath, map[string]any{"state": "held", "held_on": "2026-07-10"}); r.status != 422 || r.errorFields(t)["state"] == nil {
		t.Errorf("held without inputs: %d %s", r.status, r.body)
	}
	if r := s.do("agent", "POST", rpath+"/compile", nil); r.status != http.StatusForbidden {
		t.Errorf("agent compiles: %d", r.status)
	}
	r = s.do("admin", "POST", rpath+"/compile", nil)
	if r.status != http.StatusOK {
		t.Fatalf("compile: %d %s", r.status, r.body)
	}
	in := r.json(t)["inputs"].(map[string]any)
	if len(in["audits"].([]any)) != 0 || in["customers"].(map[string]any)["no_data"] != true {
		t.Errorf("pack %v", in)
	}
	if r := s.do("auditor", "GET", rpath, nil); r.status != http.StatusOK {
		t.Errorf("auditor reads the review: %d", r.status)
	}
}
