package api_test

import (
	"fmt"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// The API never leaves the product without an active administrator.
func TestLastAdminAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		first := fmt.Sprintf("/api/v1/users/%d", s.users["admin"])
		s.run(t, []apiCase{
			{"demote the only administrator", "admin", "PATCH", first, `{"role":"agent"}`, nil, 409, []string{"last active administrator"}},
			{"disable the only administrator", "admin", "PATCH", first, `{"active":false}`, nil, 409, []string{"last active administrator"}},
			{"rename the only administrator", "admin", "PATCH", first, `{"name":"Still admin"}`, nil, 200, []string{`"role":"admin"`}},
		})
		second := s.do("admin", "POST", "/api/v1/users", map[string]any{"email": "second@api.test", "name": "Second", "role": "admin", "password": "a-long-password"})
		if second.status != 201 {
			t.Fatalf("second administrator: %d %s", second.status, second.body)
		}
		secondPath := fmt.Sprint("/api/v1/users/", second.json(t)["id"])
		s.run(t, []apiCase{
			{"one of two administrators steps down", "admin", "PATCH", first, `{"role":"agent"}`, nil, 200, []string{`"role":"agent"`}},
		})
		// The first no longer administers; the second is the last one.
		if res := s.do("admin", "PATCH", secondPath, `{"active":false}`); res.status != 403 {
			t.Fatalf("a demoted administrator still changes users: %d", res.status)
		}
	})
}

// The one JSON decoder refuses what it used to let pass silently.
func TestJSONBodyFaults(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	s.run(t, []apiCase{
		{"a repeated key", "agent", "POST", "/api/v1/incidents", `{"title":"Printer","impact":"low","title":"Server"}`, nil, 400,
			[]string{`the key \"title\" appears more than once`, `"title":"appears more than once; send each key once"`}},
		{"a repeated key deep down", "admin", "PATCH", fmt.Sprintf("/api/v1/users/%d", s.users["agent"]), `{"name":"A","group_ids":[1],"name":"B"}`, nil, 400,
			[]string{`"name":"appears more than once`}},
		{"text that is not UTF-8", "agent", "POST", "/api/v1/incidents", "{\"title\":\"Printer \xff jam\"}", nil, 422,
			[]string{`"title":"is not valid UTF-8 text"`}},
		{"too large still", "agent", "POST", "/api/v1/incidents", `{"title":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, nil},
		{"one of each key is fine", "agent", "POST", "/api/v1/incidents", `{"title":"Printer","description":"{\"title\":1,\"title\":2}"}`, nil, 201, nil},
	})
}
