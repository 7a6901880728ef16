package api_test

import (
	"fmt"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// An owner answers for the record: the API takes an agent or an
// administrator and refuses a requester or an auditor with a message at
// owner_id, as the pages' person fields do.
func TestOwnersAreAgentsThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		n := 0
		service := func() any {
			n++
			res := s.do("admin", "POST", "/api/v1/services", map[string]any{"name": fmt.Sprint("Mail ", n)})
			if res.status != 201 {
				t.Fatalf("service: %d %s", res.status, res.body)
			}
			return res.json(t)["id"]
		}
		areas := []struct {
			name, method, path string
			body               func(owner int64) map[string]any
		}{
			{"complaint", "POST", "/api/v1/complaints", func(o int64) map[string]any {
				return map[string]any{"title": "Rude call", "customer_id": s.custA, "owner_id": o}
			}},
			{"article", "POST", "/api/v1/articles", func(o int64) map[string]any {
				return map[string]any{"title": "Reset a password", "audience": "requesters", "owner_id": o}
			}},
			{"capacity plan", "POST", "/api/v1/capacity-plans", func(o int64) map[string]any {
				return map[string]any{"service_id": service(), "title": "Mail storage", "demand": "Flat", "owner_id": o}
			}},
			{"security control", "PATCH", "/api/v1/controls/A.8.8", func(o int64) map[string]any {
				return map[string]any{"owner_id": o}
			}},
			{"CI", "POST", "/api/v1/cis", func(o int64) map[string]any {
				n++
				return map[string]any{"type": "Application", "name": fmt.Sprint("Payroll ", n), "owner_id": o}
			}},
			{"service", "POST", "/api/v1/services", func(o int64) map[string]any {
				n++
				return map[string]any{"name": fmt.Sprint("Payroll ", n), "owner_id": o}
			}},
		}
		for _, a := range areas {
			for _, who := range []string{"requester", "auditor"} {
				res := s.do("admin", a.method, a.path, a.body(s.users[who]))
				if res.status != 422 || !strings.Contains(string(res.body), `"owner_id":"user `) ||
					!strings.Contains(string(res.body), "agent") {
					t.Errorf("%s owned by the %s: %d %s", a.name, who, res.status, res.body)
				}
			}
			for _, who := range []string{"agent", "admin"} {
				if res := s.do("admin", a.method, a.path, a.body(s.users[who])); res.status >= 300 {
					t.Errorf("%s owned by the %s: %d %s", a.name, who, res.status, res.body)
				}
			}
		}

		// Nor may a CI import name a requester as owner.
		file := "type,name,status,owner\nApplication,Timesheets,in_use,requester@api.test\n"
		if res := s.do("admin", "POST", "/api/v1/cis/import", file, "Content-Type", "text/csv"); res.status != 422 ||
			!strings.Contains(string(res.body), `no agent or administrator with e-mail \"requester@api.test\"`) {
			t.Errorf("an import owned by the requester: %d %s", res.status, res.body)
		}
		file = "type,name,status,owner\nApplication,Timesheets,in_use,agent@api.test\n"
		if res := s.do("admin", "POST", "/api/v1/cis/import", file, "Content-Type", "text/csv"); res.status != 200 {
			t.Errorf("an import owned by the agent: %d %s", res.status, res.body)
		}

		// An edit may not hand a record to a requester either.
		plan := s.do("agent", "POST", "/api/v1/capacity-plans", map[string]any{"service_id": service(), "title": "Disk", "owner_id": s.users["agent"]})
		ci := s.do("agent", "POST", "/api/v1/cis", map[string]any{"type": "Application", "name": "Ledger", "owner_id": s.users["agent"]})
		svc := s.do("admin", "POST", "/api/v1/services", map[string]any{"name": "Ledger", "owner_id": s.users["agent"]})
		for _, c := range []struct {
			name string
			res  response
			path string
		}{{"capacity plan", plan, "/api/v1/capacity-plans/"}, {"CI", ci, "/api/v1/cis/"}, {"service", svc, "/api/v1/services/"}} {
			if c.res.status != 201 {
				t.Fatalf("%s: %d %s", c.name, c.res.status, c.res.body)
			}
			path := c.path + fmt.Sprint(c.res.json(t)["id"])
			if res := s.do("admin", "PATCH", path, map[string]any{"owner_id": s.users["requester"]}); res.status != 422 || !strings.Contains(string(res.body), `"owner_id"`) {
				t.Errorf("%s handed to a requester: %d %s", c.name, res.status, res.body)
			}
			if res := s.do("admin", "PATCH", path, map[string]any{"owner_id": s.users["admin"]}); res.status != 200 {
				t.Errorf("%s handed to the administrator: %d %s", c.name, res.status, res.body)
			}
		}
	})
}
