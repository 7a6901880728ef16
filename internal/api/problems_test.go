package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// problemFixture raises two incidents and returns their numbers.
func problemFixture(t *testing.T, s *server) (string, string) {
	t.Helper()
	var nums []string
	for _, title := range []string{"Mail stuck in the outbox", "Outbox will not send"} {
		r := s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": title, "customer_id": s.custA})
		if r.status != http.StatusCreated {
			t.Fatalf("incident: %d %s", r.status, r.body)
		}
		nums = append(nums, r.json(t)["number"].(string))
	}
	return nums[0], nums[1]
}

func TestProblemAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		a, b := problemFixture(t, s)

		// Creating: bad input is refused by name and changes nothing.
		r := s.do("agent", "POST", "/api/v1/problems", map[string]any{"title": "Outbox stalls", "incidents": []string{a, "INC-999999"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(r.errorFields(t)["incidents"]), "INC-999999") {
			t.Fatalf("missing incident: %d %s", r.status, r.body)
		}
		r = s.do("agent", "POST", "/api/v1/problems", map[string]any{"title": "x", "colour": "red"})
		if r.status != http.StatusBadRequest {
			t.Fatalf("unknown field: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problems", nil); len(r.json(t)["items"].([]any)) != 0 {
			t.Fatalf("refused input wrote a problem: %s", r.body)
		}

		// Created once, whatever the retries.
		body := map[string]any{"title": "Outbox stalls", "description": "Mail waits in the outbox.", "incidents": []string{a}}
		r = s.do("agent", "POST", "/api/v1/problems", body, "Idempotency-Key", "prb-1")
		if r.status != http.StatusCreated || r.header.Get("ETag") != `"v1"` {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		pr := r.json(t)
		num := pr["number"].(string)
		if pr["state"] != "new" || pr["incident_count"].(float64) != 1 || r.header.Get("Location") != "/api/v1/problems/"+num {
			t.Fatalf("created: %v %v", pr, r.header)
		}
		r = s.do("agent", "POST", "/api/v1/problems", body, "Idempotency-Key", "prb-1")
		if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "true" || r.json(t)["number"] != num ||
			r.header.Get("Location") != "/api/v1/problems/"+num {
			t.Fatalf("replay: %d %v %s", r.status, r.header, r.body)
		}

		// By number or id; ETags and If-Match.
		id := int64(pr["id"].(float64))
		if r = s.do("auditor", "GET", fmt.Sprintf("/api/v1/problems/%d", id), nil); r.status != http.StatusOK || r.json(t)["number"] != num {
			t.Fatalf("get by id: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problems/"+strings.ToLower(num), nil, "If-None-Match", `"v1"`); r.status != http.StatusNotModified {
			t.Fatalf("if-none-match: %d", r.status)
		}
		if r = s.do("agent", "PATCH", "/api/v1/problems/"+num, map[string]any{"state": "investigating"}, "If-Match", `"v9"`); r.status != http.StatusPreconditionFailed {
			t.Fatalf("stale if-match: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "PATCH", "/api/v1/problems/"+num, map[string]any{"state": "closed"}); r.status != http.StatusConflict {
			t.Fatalf("new -> closed: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "PATCH", "/api/v1/problems/"+num, map[string]any{"state": "investigating"}, "If-Match", `"v1"`); r.status != http.StatusOK || r.header.Get("ETag") != `"v2"` {
			t.Fatalf("investigate: %d %s", r.status, r.body)
		}
		r = s.do("agent", "PATCH", "/api/v1/problems/"+num, map[string]any{"state": "known_error", "root_cause": "Relay certificate expired."})
		if r.status != http.StatusUnprocessableEntity || r.errorFields(t)["workaround"] == nil {
			t.Fatalf("known error without workaround: %d %s", r.status, r.body)
		}
		r = s.do("agent", "PATCH", "/api/v1/problems/"+num, map[string]any{"fix_change": "CHG-424242"})
		if r.status != http.StatusUnprocessableEntity || r.errorFields(t)["fix_change"] == nil {
			t.Fatalf("unknown change: %d %s", r.status, r.body)
		}
		r = s.do("agent", "PATCH", "/api/v1/problems/"+num, map[string]any{"state": "known_error", "root_cause": "Relay certificate expired.",
			"workaround": "Send through the backup relay.", "cause_category": "configuration"})
		if r.status != http.StatusOK || r.json(t)["state"] != "known_error" {
			t.Fatalf("known error: %d %s", r.status, r.body)
		}

		// The known-error database, and applying a workaround.
		if r = s.do("agent", "GET", "/api/v1/known-errors?q=relay", nil); len(r.json(t)["items"].([]any)) != 1 {
			t.Fatalf("known errors by words: %s", r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/known-errors?q=printer", nil); len(r.json(t)["items"].([]any)) != 0 {
			t.Fatalf("known errors, no match: %s", r.body)
		}
		r = s.do("agent", "POST", "/api/v1/known-errors/"+num+"/apply", map[string]any{"incident": b})
		if r.status != http.StatusCreated || r.json(t)["kind"] != "work_note" || !strings.Contains(r.json(t)["body"].(string), "backup relay") {
			t.Fatalf("apply: %d %s", r.status, r.body)
		}
		r = s.do("agent", "POST", "/api/v1/known-errors/"+num+"/apply", map[string]any{"incident": "INC-999999"})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("apply to a missing incident: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problems/"+num+"/incidents", nil); len(r.json(t)["items"].([]any)) != 2 {
			t.Fatalf("linked incidents: %s", r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/incidents/"+b+"/links", nil); !strings.Contains(string(r.body), num) {
			t.Fatalf("the incident's links do not show the problem: %s", r.body)
		}

		// Linking and unlinking.
		if r = s.do("agent", "DELETE", "/api/v1/problems/"+num+"/incidents/"+b, nil); r.status != http.StatusNoContent {
			t.Fatalf("unlink: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "POST", "/api/v1/problems/"+num+"/incidents", map[string]any{"incidents": []string{"INC-999998"}}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("link a missing incident: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "POST", "/api/v1/problems/"+num+"/incidents", map[string]any{"incidents": []string{b}}); r.status != http.StatusOK || r.json(t)["incident_count"].(float64) != 2 {
			t.Fatalf("link: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "POST", "/api/v1/problems/"+num+"/notes", map[string]any{"body": "Other relays are fine."}); r.status != http.StatusCreated || r.json(t)["kind"] != "work_note" {
			t.Fatalf("note: %d %s", r.status, r.body)
		}
		if r = s.do("auditor", "POST", "/api/v1/problems/"+num+"/notes", map[string]any{"body": "x"}); r.status != http.StatusForbidden {
			t.Fatalf("auditor's note: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problems/"+num+"/journal", nil); r.status != http.StatusOK || len(r.json(t)["items"].([]any)) < 6 {
			t.Fatalf("journal: %d %s", r.status, r.body)
		}

		// Resolve with its fix, then the recurrence and the figures.
		var chg int64
		now := store.TS(time.Now())
		if err := e.DB.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.QueryRow(context.Background(), `INSERT INTO changes (title, type, state, created_at, updated_at)
				VALUES ('Renew relay certificate', 'normal', 'draft', ?, ?) RETURNING id`, now, now).Scan(&chg)
		}); err != nil {
			t.Fatal(err)
		}
		r = s.do("agent", "PATCH", "/api/v1/problems/"+num, map[string]any{"state": "resolved", "fix_change": fmt.Sprintf("CHG-%06d", chg), "category": "Email"})
		if r.status != http.StatusOK || r.json(t)["fix_change_id"].(float64) != float64(chg) {
			t.Fatalf("resolve: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problems/"+num+"/recurrence", nil); r.status != http.StatusOK || r.json(t)["recurrence"] == nil {
			t.Fatalf("recurrence: %d %s", r.status, r.body)
		}
		if r = s.do("auditor", "GET", "/api/v1/problem-overview?weeks=4", nil); r.status != http.StatusOK || r.json(t)["incidents"].(float64) != 2 {
			t.Fatalf("overview: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problem-trends?weeks=4&min=2", nil); r.status != http.StatusOK {
			t.Fatalf("trends: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problem-trends?weeks=99", nil); r.status != http.StatusBadRequest {
			t.Fatalf("trends over too many weeks: %d %s", r.status, r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problems?state=open", nil); len(r.json(t)["items"].([]any)) != 0 {
			t.Fatalf("open problems after resolving: %s", r.body)
		}
		if r = s.do("agent", "GET", "/api/v1/problems?state=bogus", nil); r.status != http.StatusBadRequest {
			t.Fatalf("bad state filter: %d %s", r.status, r.body)
		}
	})
}

// Who may and who may not, route by route.
func TestProblemAPIPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		a, _ := problemFixture(t, s)
		r := s.do("admin", "POST", "/api/v1/problems", map[string]any{"title": "Slow logins", "incidents": []string{a}})
		if r.status != http.StatusCreated {
			t.Fatalf("admin creates: %d %s", r.status, r.body)
		}
		num := r.json(t)["number"].(string)
		cases := []struct {
			role, method, path string
			body               any
			want               int
		}{
			{"", "GET", "/api/v1/problems", nil, http.StatusUnauthorized},
			{"requester", "GET", "/api/v1/problems", nil, http.StatusForbidden},
			{"requester", "GET", "/api/v1/problems/" + num, nil, http.StatusForbidden},
			{"requester", "GET", "/api/v1/known-errors", nil, http.StatusForbidden},
			{"requester", "POST", "/api/v1/problems", map[string]any{"title": "x"}, http.StatusForbidden},
			{"requester", "POST", "/api/v1/known-errors/" + num + "/apply", map[string]any{"incident": a}, http.StatusForbidden},
			{"auditor", "GET", "/api/v1/problems/" + num, nil, http.StatusOK},
			{"auditor", "GET", "/api/v1/known-errors", nil, http.StatusOK},
			{"auditor", "GET", "/api/v1/problem-trends", nil, http.StatusOK},
			{"auditor", "POST", "/api/v1/problems", map[string]any{"title": "x"}, http.StatusForbidden},
			{"auditor", "PATCH", "/api/v1/problems/" + num, map[string]any{"state": "investigating"}, http.StatusForbidden},
			{"auditor", "POST", "/api/v1/problems/" + num + "/incidents", map[string]any{"incidents": []string{a}}, http.StatusForbidden},
			{"auditor", "DELETE", "/api/v1/problems/" + num + "/incidents/" + a, nil, http.StatusForbidden},
			{"auditor", "POST", "/api/v1/known-errors/" + num + "/apply", map[string]any{"incident": a}, http.StatusForbidden},
			{"agent", "GET", "/api/v1/problems/" + num, nil, http.StatusOK},
			{"agent", "POST", "/api/v1/problems", map[string]any{"title": "By an agent"}, http.StatusCreated},
			{"agent", "PATCH", "/api/v1/problems/" + num, map[string]any{"state": "investigating"}, http.StatusOK},
			{"agent", "GET", "/api/v1/problems/PRB-999999", nil, http.StatusNotFound},
			{"agent", "POST", "/api/v1/known-errors/" + num + "/apply", map[string]any{"incident": a}, http.StatusConflict},
		}
		for _, c := range cases {
			if r := s.do(c.role, c.method, c.path, c.body); r.status != c.want {
				t.Errorf("%s %s %s: %d, want %d: %s", c.role, c.method, c.path, r.status, c.want, r.body)
			}
		}
		// The requester does not see the problem among the incident's links.
		if r := s.do("requester", "GET", "/api/v1/incidents/"+a+"/links", nil); strings.Contains(string(r.body), num) {
			t.Fatalf("requester sees the problem: %s", r.body)
		}
	})
}
