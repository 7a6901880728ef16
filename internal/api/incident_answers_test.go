package api_test

import (
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// A requester confirms, reopens and withdraws their organisation's
// incidents through the API; others may not.
func TestIncidentAnswersAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		created := s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "Cannot print", "requester_id": s.users["requester"]})
		if created.status != 201 {
			t.Fatalf("create: %d %s", created.status, created.body)
		}
		inc := created.json(t)
		path := "/api/v1/incidents/" + inc["number"].(string)
		if inc["created_by_id"] != float64(s.users["agent"]) || inc["created_by_name"] != "agent" {
			t.Fatalf("raised by %v %v, want the agent", inc["created_by_id"], inc["created_by_name"])
		}
		resolve := func() {
			t.Helper()
			if res := s.do("agent", "PATCH", path, map[string]any{"state": "resolved", "resolution_code": "fixed", "resolution_notes": "Cleared the queue."}); res.status != 200 {
				t.Fatalf("resolve: %d %s", res.status, res.body)
			}
		}
		resolve()

		cases := []struct {
			name, role, action string
			body               any
			headers            []string
			want               int
			wantBody           string
		}{
			{"another organisation's requester", "requesterB", "confirm", nil, nil, 404, `"code":"not_found"`},
			{"an auditor", "auditor", "withdraw", nil, nil, 403, `"code":"forbidden"`},
			{"withdrawing what is resolved", "requester", "withdraw", nil, nil, 409, "confirm the resolution or reopen"},
			{"reopen without a reason", "requester", "reopen", map[string]any{}, nil, 422, `"reason":"is required`},
			{"an old version", "requester", "confirm", nil, []string{"If-Match", `"v1"`}, 412, `"code":"precondition_failed"`},
			{"reopen with a reason", "requester", "reopen", map[string]any{"reason": "Only black ink prints"}, nil, 200, `"state":"in_progress"`},
			{"confirming what is open", "requester", "confirm", nil, nil, 409, "only a resolved incident can be confirmed"},
		}
		for _, c := range cases {
			res := s.do(c.role, "POST", path+"/"+c.action, c.body, c.headers...)
			if res.status != c.want || !strings.Contains(string(res.body), c.wantBody) {
				t.Errorf("%s: %d %s, want %d with %q", c.name, res.status, res.body, c.want, c.wantBody)
			}
		}

		resolve()
		res := s.do("requester", "POST", path+"/confirm", nil)
		if got := res.json(t); res.status != 200 || got["state"] != "closed" || res.header.Get("ETag") == "" {
			t.Fatalf("confirm: %d %s", res.status, res.body)
		}
		notes := s.do("requester", "GET", "/api/v1/notifications", nil)
		if !strings.Contains(string(notes.body), `"kind":"incident_resolved"`) {
			t.Errorf("the requester was not told of the resolution: %s", notes.body)
		}

		own := s.do("requester", "POST", "/api/v1/incidents", map[string]any{"title": "Mouse lost"}).json(t)
		res = s.do("requester", "POST", "/api/v1/incidents/"+own["number"].(string)+"/withdraw", map[string]any{"reason": "Found it."})
		if got := res.json(t); res.status != 200 || got["state"] != "closed" || got["resolution_code"] != "withdrawn" || got["resolution_notes"] != "Found it." {
			t.Fatalf("withdraw: %d %s", res.status, res.body)
		}
	})
}
