package api_test

import (
	"testing"

	"steward/internal/store/storetest"
)

// Incidents and requests read their shared list parameters alike: a bad
// state or priority is refused with the field message clients know, and a
// good list answers each row with its service-level clocks.
func TestTicketListsReadTheSharedParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		inc := s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "Printer jams", "group_id": s.groupID})
		item := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": s.addService("Printing"), "name": "Toner"})
		if inc.status != 201 || item.status != 201 {
			t.Fatalf("create: %d %s; %d %s", inc.status, inc.body, item.status, item.body)
		}
		req := s.do("requester", "POST", "/api/v1/requests", map[string]any{"item_id": item.json(t)["id"]})
		if req.status != 201 {
			t.Fatalf("submit: %d %s", req.status, req.body)
		}

		kinds := []struct {
			path, number, states string
		}{
			{"/api/v1/incidents", inc.json(t)["number"].(string), "must be open, new, in_progress, on_hold, resolved or closed"},
			{"/api/v1/requests", req.json(t)["number"].(string),
				"must be open, submitted, awaiting_approval, in_fulfilment, fulfilled, closed, rejected or cancelled"},
		}
		for _, k := range kinds {
			for query, want := range map[string]map[string]string{
				"?state=sleeping":          {"state": k.states},
				"?state=open,sleeping":     {"state": k.states},
				"?priority=P9":             {"priority": "must be P1 to P5"},
				"?state=open&priority=P0,": {"priority": "must be P1 to P5"},
				"?group_id=1,x":            {"group_id": "must be positive whole numbers separated by commas"},
				"?assignee_id=nobody":      {"assignee_id": "must be a positive whole number"},
			} {
				res := s.do("agent", "GET", k.path+query, nil)
				if res.status != 400 {
					t.Fatalf("%s%s: %d %s", k.path, query, res.status, res.body)
				}
				got := res.errorFields(t)
				if len(got) != len(want) {
					t.Errorf("%s%s: fields %v, want %v", k.path, query, got, want)
				}
				for name, msg := range want {
					if got[name] != msg {
						t.Errorf("%s%s: %s %q, want %q", k.path, query, name, got[name], msg)
					}
				}
			}

			res := s.do("agent", "GET", k.path+"?state=open&priority=P1,P2,P3,P4,P5&assignee_id=none&sort=-created_at", nil)
			if res.status != 200 {
				t.Fatalf("%s: %d %s", k.path, res.status, res.body)
			}
			items, _ := res.json(t)["items"].([]any)
			var found map[string]any
			for _, it := range items {
				if row := it.(map[string]any); row["number"] == k.number {
					found = row
				}
			}
			if found == nil {
				t.Fatalf("%s: %s not listed: %s", k.path, k.number, res.body)
			}
			if _, ok := found["sla"].([]any); !ok {
				t.Errorf("%s: row without its clocks: %v", k.path, found)
			}
		}
	})
}
