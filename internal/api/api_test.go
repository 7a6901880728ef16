package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"steward/internal/auth"
	"steward/internal/store/storetest"
)

func TestIncidentAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)

		created := s.do("agent", "POST", "/api/v1/incidents", map[string]any{
			"title": "Checkout returns 502", "impact": "high", "urgency": "high", "group_id": s.groupID,
			"requester_id": s.users["requester"], "category": "application",
		})
		if created.status != 201 {
			t.Fatalf("create: %d %s", created.status, created.body)
		}
		inc := created.json(t)
		number := inc["number"].(string)
		id := fmt.Sprint(inc["id"])
		if inc["priority"] != "P1" || inc["state"] != "new" || created.header.Get("ETag") != `"v1"` ||
			created.header.Get("Location") != "/api/v1/incidents/"+number || inc["customer_id"] != float64(s.custA) {
			t.Fatalf("created: %s %v", created.body, created.header)
		}
		for _, f := range []string{"id", "number", "title", "description", "impact", "urgency", "priority", "state", "hold_reason",
			"category", "customer_id", "requester_id", "group_id", "assignee_id", "major", "resolution_code",
			"resolution_notes", "created_at", "resolved_at", "closed_at", "reopen_count"} {
			if _, ok := inc[f]; !ok {
				t.Errorf("field %s missing from the record", f)
			}
		}

		cases := []struct {
			name       string
			role       string
			method     string
			path       string
			body       any
			headers    []string
			wantStatus int
			wantBody   []string
		}{
			{"get by number", "agent", "GET", "/api/v1/incidents/" + number, nil, nil, 200, []string{`"title":"Checkout returns 502"`}},
			{"get by id", "auditor", "GET", "/api/v1/incidents/" + id, nil, nil, 200, []string{number}},
			{"requester of the customer", "requester", "GET", "/api/v1/incidents/" + number, nil, nil, 200, nil},
			{"requester of another customer", "requesterB", "GET", "/api/v1/incidents/" + number, nil, nil, 404, []string{`"code":"not_found"`}},
			{"unknown incident", "agent", "GET", "/api/v1/incidents/INC-999999", nil, nil, 404, nil},
			{"garbage ref", "agent", "GET", "/api/v1/incidents/abc", nil, nil, 404, nil},
			{"no token", "", "GET", "/api/v1/incidents", nil, nil, 401, []string{`"code":"unauthorized"`}},
			{"malformed JSON", "agent", "POST", "/api/v1/incidents", `{"title": `, nil, 400, []string{`"code":"bad_request"`}},
			{"not an object", "agent", "POST", "/api/v1/incidents", `[1,2]`, nil, 400, nil},
			{"two objects", "agent", "POST", "/api/v1/incidents", `{"title":"a"}{"title":"b"}`, nil, 400, nil},
			{"unknown field", "agent", "POST", "/api/v1/incidents", `{"title":"a","colour":"red"}`, nil, 400, []string{`"colour":"is not a known field"`}},
			{"wrong type", "agent", "POST", "/api/v1/incidents", `{"title":"a","major":"yes"}`, nil, 400, []string{`"major":"must be true or false"`}},
			{"empty body", "agent", "POST", "/api/v1/incidents", ``, nil, 400, nil},
			{"oversize body", "agent", "POST", "/api/v1/incidents", `{"title":"` + strings.Repeat("a", 2<<20) + `"}`, nil, 413, []string{`"code":"too_large"`}},
			{"validation", "agent", "POST", "/api/v1/incidents", `{"title":"","impact":"huge","group_id":424242}`, nil, 422,
				[]string{`"title":"is required"`, `"impact":"must be high, medium or low"`, `"group_id":"group 424242 does not exist"`}},
			{"title too long", "agent", "POST", "/api/v1/incidents", map[string]string{"title": strings.Repeat("é", 201)}, nil, 422, []string{`"title":"must be at most 200 characters"`}},
			{"auditor cannot create", "auditor", "POST", "/api/v1/incidents", `{"title":"x"}`, nil, 403, []string{`"code":"forbidden"`}},
			{"requester cannot patch", "requester", "PATCH", "/api/v1/incidents/" + number, `{"title":"x"}`, nil, 403, nil},
			{"resolve without the fields it needs", "agent", "PATCH", "/api/v1/incidents/" + number, `{"state":"resolved"}`, nil, 422, []string{`"resolution_code":"is required to resolve`}},
			{"stale If-Match", "agent", "PATCH", "/api/v1/incidents/" + number, `{"title":"Lost"}`, []string{"If-Match", `"v0"`}, 412, []string{`"code":"precondition_failed"`}},
			{"bad filter values", "agent", "GET", "/api/v1/incidents?state=sleeping&priority=P9&limit=0&created_after=yesterday", nil, nil, 400,
				[]string{`"state":`, `"priority":"must be P1 to P5"`, `"limit":`, `"created_after":`}},
			{"unknown parameter", "agent", "GET", "/api/v1/incidents?colour=red", nil, nil, 400, []string{`"colour":"is not a known parameter"`}},
			{"malformed cursor", "agent", "GET", "/api/v1/incidents?cursor=xyz", nil, nil, 400, []string{`"cursor":`}},
			{"requester work note", "requester", "POST", "/api/v1/incidents/" + number + "/comments", `{"body":"x","kind":"work_note"}`, nil, 403, nil},
			{"requester comment", "requester", "POST", "/api/v1/incidents/" + number + "/comments", `{"body":"Any news?"}`, nil, 201, []string{`"kind":"comment"`}},
			{"bad comment kind", "agent", "POST", "/api/v1/incidents/" + number + "/comments", `{"body":"x","kind":"shout"}`, nil, 422, nil},
			{"wrong content type", "agent", "POST", "/api/v1/incidents", nil, []string{"Content-Type", "text/plain"}, 400, []string{"Content-Type"}},
			{"unknown API path", "agent", "GET", "/api/v1/nothing", nil, nil, 404, []string{`"code":"not_found"`}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := s.do(c.role, c.method, c.path, c.body, c.headers...)
				if res.status != c.wantStatus {
					t.Fatalf("status %d, want %d: %s", res.status, c.wantStatus, res.body)
				}
				for _, frag := range c.wantBody {
					if !strings.Contains(string(res.body), frag) {
						t.Errorf("body lacks %s: %s", frag, res.body)
					}
				}
				if res.status >= 400 && !strings.Contains(string(res.body), `"error":{"code":`) {
					t.Errorf("error body not in the error format: %s", res.body)
				}
			})
		}

		t.Run("nothing was changed by the refused requests", func(t *testing.T) {
			res := s.do("agent", "GET", "/api/v1/incidents/"+number, nil)
			got := res.json(t)
			if got["title"] != "Checkout returns 502" || got["state"] != "new" || res.header.Get("ETag") != `"v1"` {
				t.Fatalf("incident changed: %s", res.body)
			}
			list := s.do("agent", "GET", "/api/v1/incidents", nil).json(t)
			if n := len(list["items"].([]any)); n != 1 {
				t.Fatalf("%d incidents exist, want 1", n)
			}
		})

		t.Run("patch with fresh If-Match, then resolve", func(t *testing.T) {
			res := s.do("agent", "PATCH", "/api/v1/incidents/"+number, map[string]any{"state": "in_progress", "assignee_id": s.users["agent"]}, "If-Match", `"v1"`)
			if res.status != 200 || res.header.Get("ETag") != `"v2"` {
				t.Fatalf("patch: %d %s", res.status, res.body)
			}
			res = s.do("agent", "PATCH", "/api/v1/incidents/"+number, `{"state":"resolved","resolution_code":"fixed","resolution_notes":"Restarted the pool","assignee_id":null}`)
			got := res.json(t)
			if res.status != 200 || got["state"] != "resolved" || got["resolved_at"] == nil || got["assignee_id"] != nil {
				t.Fatalf("resolve: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "GET", "/api/v1/incidents/"+number, nil, "If-None-Match", `"v3"`); res.status != http.StatusNotModified {
				t.Fatalf("If-None-Match: %d", res.status)
			}
			journal := s.do("requester", "GET", "/api/v1/incidents/"+number+"/journal", nil)
			if journal.status != 200 || !strings.Contains(string(journal.body), `"new":"resolved"`) || strings.Contains(string(journal.body), "assignee_id") {
				t.Fatalf("requester journal: %s", journal.body)
			}
		})

		t.Run("list with filters and cursor", func(t *testing.T) {
			for i := 0; i < 5; i++ {
				s.do("requester", "POST", "/api/v1/incidents", map[string]string{"title": fmt.Sprintf("Laptop fan noise %d", i)})
			}
			res := s.do("agent", "GET", "/api/v1/incidents?state=open&limit=3&q=laptop", nil)
			page := res.json(t)
			if res.status != 200 || len(page["items"].([]any)) != 3 || page["next_cursor"] == nil {
				t.Fatalf("page 1: %s", res.body)
			}
			res = s.do("agent", "GET", "/api/v1/incidents?state=open&limit=3&q=laptop&cursor="+page["next_cursor"].(string), nil)
			page = res.json(t)
			if len(page["items"].([]any)) != 2 || page["next_cursor"] != nil {
				t.Fatalf("page 2: %s", res.body)
			}
			res = s.do("requesterB", "GET", "/api/v1/incidents", nil)
			if n := len(res.json(t)["items"].([]any)); n != 0 {
				t.Fatalf("requester B sees %d incidents of customer A", n)
			}
		})

		t.Run("idempotency key", func(t *testing.T) {
			body := map[string]string{"title": "Badge reader offline"}
			first := s.do("agent", "POST", "/api/v1/incidents", body, "Idempotency-Key", "k-1")
			again := s.do("agent", "POST", "/api/v1/incidents", body, "Idempotency-Key", "k-1")
			if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" ||
				again.header.Get("ETag") != first.header.Get("ETag") || again.header.Get("Location") != first.header.Get("Location") {
				t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
			}
			other := s.do("agent", "POST", "/api/v1/incidents", map[string]string{"title": "Something else"}, "Idempotency-Key", "k-1")
			if other.status != 422 {
				t.Fatalf("reused key with another body: %d %s", other.status, other.body)
			}
			var wg sync.WaitGroup
			bodies := make([]string, 8)
			for i := range bodies {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					r := s.do("agent", "POST", "/api/v1/incidents", map[string]string{"title": "Racing retries"}, "Idempotency-Key", "k-race")
					bodies[i] = fmt.Sprint(r.status) + string(r.body)
				}(i)
			}
			wg.Wait()
			for _, b := range bodies[1:] {
				if b != bodies[0] {
					t.Fatalf("concurrent retries got different answers:\n%s\n%s", bodies[0], b)
				}
			}
			list := s.do("agent", "GET", "/api/v1/incidents?q=racing", nil).json(t)
			if n := len(list["items"].([]any)); n != 1 {
				t.Fatalf("%d incidents from one key", n)
			}
		})

		t.Run("idempotency key on comments", func(t *testing.T) {
			path := "/api/v1/incidents/" + number + "/comments"
			first := s.do("agent", "POST", path, `{"body":"Rebooted the switch"}`, "Idempotency-Key", "c-1")
			again := s.do("agent", "POST", path, `{"body":"Rebooted the switch"}`, "Idempotency-Key", "c-1")
			if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) {
				t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
			}
			journal := s.do("agent", "GET", "/api/v1/incidents/"+number+"/journal", nil)
			if n := strings.Count(string(journal.body), "Rebooted the switch"); n != 1 {
				t.Fatalf("the comment is in the journal %d times", n)
			}
		})

		t.Run("priority matrix is configurable", func(t *testing.T) {
			m := s.do("agent", "GET", "/api/v1/settings/priority-matrix", nil).json(t)
			m["low"].(map[string]any)["low"] = "P4"
			if res := s.do("agent", "PUT", "/api/v1/settings/priority-matrix", m); res.status != 403 {
				t.Fatalf("agent changed the matrix: %d", res.status)
			}
			if res := s.do("admin", "PUT", "/api/v1/settings/priority-matrix", `{"high":{"high":"P9"}}`); res.status != 422 || !strings.Contains(string(res.body), `"high.high"`) {
				t.Fatalf("incomplete matrix: %d %s", res.status, res.body)
			}
			if res := s.do("admin", "PUT", "/api/v1/settings/priority-matrix", m); res.status != 200 {
				t.Fatalf("admin: %d %s", res.status, res.body)
			}
			inc := s.do("agent", "POST", "/api/v1/incidents", `{"title":"Minor","impact":"low","urgency":"low"}`).json(t)
			if inc["priority"] != "P4" {
				t.Fatalf("priority with the new matrix: %v", inc["priority"])
			}
		})

		t.Run("audit trail", func(t *testing.T) {
			res := s.do("auditor", "GET", "/api/v1/audit/verify", nil)
			if res.status != 200 || !strings.Contains(string(res.body), `"ok":true`) {
				t.Fatalf("verify: %s", res.body)
			}
			res = s.do("auditor", "GET", "/api/v1/audit?entity=incident&limit=5", nil)
			if res.status != 200 || !strings.Contains(string(res.body), `"actor_type":"token"`) {
				t.Fatalf("audit list: %s", res.body)
			}
		})

		t.Run("revoked token stops working", func(t *testing.T) {
			created := s.do("agent", "POST", "/api/v1/tokens", `{"name":"ci"}`).json(t)
			secret := created["token"].(string)
			s.tokens["ci"] = secret
			if res := s.do("ci", "GET", "/api/v1/me", nil); res.status != 200 {
				t.Fatalf("new token: %d", res.status)
			}
			if res := s.do("agent", "DELETE", fmt.Sprintf("/api/v1/tokens/%v", created["id"]), nil); res.status != 204 {
				t.Fatalf("revoke: %d %s", res.status, res.body)
			}
			if res := s.do("ci", "GET", "/api/v1/me", nil); res.status != 401 {
				t.Fatalf("revoked token: %d", res.status)
			}
			list := s.do("agent", "GET", "/api/v1/tokens", nil)
			if strings.Contains(string(list.body), secret) || strings.Contains(string(list.body), "token_hash") {
				t.Fatal("token listing leaks the secret")
			}
		})
	})
}

// Every API route, called by every role: those without the route's
// permission are refused (401 anonymous, 403 signed in), those with it are not.
func TestEveryRouteChecksPermissions(t *testing.T) {
	e := storetest.SQLite(t)
	s := newServer(t, e)
	inc := s.do("requester", "POST", "/api/v1/incidents", `{"title":"Permission probe"}`).json(t)
	ids := map[string]string{"{ref}": inc["number"].(string), "{id}": fmt.Sprint(s.custA)}
	roles := map[string]auth.Role{"admin": auth.Admin, "agent": auth.Agent, "requester": auth.Requester, "auditor": auth.Auditor}
	checked := 0
	for _, rt := range s.app.Routes {
		if !strings.HasPrefix(rt.Pattern, "/api/") && rt.Pattern != "/metrics" && rt.Pattern != "/healthz" && rt.Pattern != "/readyz" {
			continue
		}
		if rt.Pattern == "/api/v1/events" || rt.Pattern == "/api/v1/webhooks/alertmanager" {
			// Senders authenticate with an integration's routing key, not a
			// role: without one, everyone gets 401 (events_ingest_test.go).
			continue
		}
		path := rt.Pattern
		if strings.HasPrefix(path, "/api/v1/tokens/") {
			// Not one of the role tokens this test signs in with.
			path = strings.ReplaceAll(path, "{id}", "999999")
		}
		for k, v := range ids {
			path = strings.ReplaceAll(path, k, v)
		}
		var body any
		if rt.Method == "POST" || rt.Method == "PATCH" || rt.Method == "PUT" {
			body = "{}"
		}
		for _, who := range []string{"", "admin", "agent", "requester", "auditor"} {
			res := s.do(who, rt.Method, path, body)
			var p *auth.Principal
			if who != "" {
				p = &auth.Principal{Role: roles[who]}
			}
			switch {
			case p.Can(rt.Permission) && (res.status == 401 || res.status == 403):
				t.Errorf("%s %s as %q: %d, but the role holds %s", rt.Method, rt.Pattern, who, res.status, rt.Permission)
			case !p.Can(rt.Permission) && who == "" && res.status != 401:
				t.Errorf("%s %s anonymous: %d, want 401", rt.Method, rt.Pattern, res.status)
			case !p.Can(rt.Permission) && who != "" && res.status != 403:
				t.Errorf("%s %s as %s: %d, want 403 (lacks %s)", rt.Method, rt.Pattern, who, res.status, rt.Permission)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d route/role pairs checked", checked)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	if res := s.do("", "GET", "/healthz", nil); res.status != 200 {
		t.Fatalf("healthz %d", res.status)
	}
	if res := s.do("", "GET", "/readyz", nil); res.status != 200 {
		t.Fatalf("readyz %d", res.status)
	}
	s.do("agent", "GET", "/api/v1/incidents", nil)
	res := s.do("auditor", "GET", "/metrics", nil)
	if res.status != 200 || !strings.Contains(string(res.body), `steward_http_requests_total{code="200",route="GET /api/v1/incidents"}`) {
		t.Fatalf("metrics: %d %.500s", res.status, res.body)
	}
	if res := s.do("agent", "GET", "/metrics", nil); res.status != 403 {
		t.Fatalf("agent metrics: %d", res.status)
	}
	if res := s.do("", "GET", "/api/v1/openapi.json", nil); res.status != 200 {
		t.Fatalf("openapi: %d", res.status)
	}
}
