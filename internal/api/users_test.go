package api_test

import (
	"fmt"
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
