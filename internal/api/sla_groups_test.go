package api_test

import (
	"fmt"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// A definition posted with a further group of clauses measures a ticket
// that meets only that group, and none that meets no group.
func TestDefinitionWithGroupsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ag := s.do("admin", "POST", "/api/v1/agreements", map[string]any{"kind": "uc", "name": "Payroll carrier", "supplier_name": "Carrier"})
		if ag.status != 201 {
			t.Fatalf("agreement: %d %s", ag.status, ag.body)
		}
		body := func() map[string]any {
			return map[string]any{"agreement_id": ag.json(t)["id"], "name": "Urgent or Alpha payroll", "applies_to": "incident", "metric": "resolution",
				"filter": []map[string]any{{"field": "priority", "values": []string{"P1"}}},
				"filter_any": [][]map[string]any{{
					{"field": "customer_id", "values": []string{fmt.Sprint(s.custA)}},
					{"field": "category", "values": []string{"payroll"}}}},
				"goals": []map[string]any{{"target": "8h"}}}
		}
		bad := body()
		bad["filter_any"] = [][]map[string]any{{{"field": "priority", "values": []string{"P9"}}}}
		if res := s.do("admin", "POST", "/api/v1/sla-definitions", bad); res.status != 422 ||
			!strings.Contains(string(res.body), `"filter_any[0][0].values[0]":"group 2, row 1: \"P9\" is not a priority`) {
			t.Fatalf("a bad row in a group: %d %s", res.status, res.body)
		}
		res := s.do("admin", "POST", "/api/v1/sla-definitions", body())
		if res.status != 201 || !strings.Contains(string(res.body), `"filter_any":[[{"field":"customer_id"`) {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		def := res.json(t)
		read := s.do("agent", "GET", fmt.Sprintf("/api/v1/sla-definitions/%v", def["id"]), nil)
		if read.status != 200 || !strings.Contains(string(read.body), `{"field":"category","op":"in","values":["payroll"]}]]`) {
			t.Fatalf("read: %d %s", read.status, read.body)
		}
		raise := func(title string, extra map[string]any) []any {
			body := map[string]any{"title": title, "requester_id": s.users["requester"], "group_id": s.groupID, "impact": "low", "urgency": "low"}
			for k, v := range extra {
				body[k] = v
			}
			res := s.do("agent", "POST", "/api/v1/incidents", body)
			if res.status != 201 {
				t.Fatalf("create incident: %d %s", res.status, res.body)
			}
			timers, _ := res.json(t)["sla"].([]any)
			return timers
		}
		timers := raise("Payslips wrong", map[string]any{"customer_id": s.custA, "category": "payroll"})
		if len(timers) != 1 || timers[0].(map[string]any)["definition_id"] != def["id"] || timers[0].(map[string]any)["target_seconds"] != float64(8*3600) {
			t.Fatalf("the ticket meeting the second group has timers %v", timers)
		}
		if timers := raise("Everyone's printing stopped", map[string]any{"category": "hardware", "impact": "high", "urgency": "high"}); len(timers) != 1 {
			t.Fatalf("a P1 ticket, meeting the first group, has timers %v", timers)
		}
		if timers := raise("Printer jam", map[string]any{"customer_id": s.custA, "category": "hardware"}); len(timers) != 0 {
			t.Fatalf("a ticket meeting no group has timers %v", timers)
		}
	})
}
