package api_test

import (
	"net/http"
	"testing"

	"steward/internal/store/storetest"
)

// A P1 raised without a customer runs against the default agreement once
// an admin chooses one; what still runs without a clock is listed.
func TestDefaultAgreementAndUnmeasured(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		res := s.do("admin", "POST", "/api/v1/agreements", map[string]any{"kind": "sla", "name": "Alpha SLA", "customer_id": s.custA})
		if res.status != http.StatusCreated {
			t.Fatalf("create agreement: %d %s", res.status, res.body)
		}
		agr := int64(res.json(t)["id"].(float64))
		res = s.do("admin", "POST", "/api/v1/sla-definitions", map[string]any{
			"agreement_id": agr, "name": "Alpha resolution", "applies_to": "incident", "metric": "resolution",
			"goals": []map[string]any{{"target": "4h"}}})
		if res.status != http.StatusCreated {
			t.Fatalf("create definition: %d %s", res.status, res.body)
		}
		urgent := map[string]any{"title": "Data centre on fire", "impact": "high", "urgency": "high"}
		first := s.do("agent", "POST", "/api/v1/incidents", urgent).json(t)
		if n := len(first["sla"].([]any)); n != 0 {
			t.Fatalf("a P1 without customer had %d clocks before any default", n)
		}
		if got := s.do("auditor", "GET", "/api/v1/sla/default-agreement", nil); got.status != http.StatusOK || got.json(t)["agreement_id"] != nil {
			t.Fatalf("no default yet: %d %s", got.status, got.body)
		}

		// Who may choose, and what may be chosen.
		if res := s.do("agent", "PUT", "/api/v1/sla/default-agreement", map[string]any{"agreement_id": agr}); res.status != http.StatusForbidden {
			t.Errorf("an agent chose the default: %d", res.status)
		}
		if res := s.do("admin", "PUT", "/api/v1/sla/default-agreement", map[string]any{"agreement_id": 424242}); res.status != http.StatusUnprocessableEntity {
			t.Errorf("a missing agreement: %d %s", res.status, res.body)
		}
		if res := s.do("admin", "PUT", "/api/v1/sla/default-agreement", map[string]any{"agreement_id": agr}); res.status != http.StatusOK ||
			res.json(t)["agreement_id"] != float64(agr) {
			t.Fatalf("choosing the default: %d %s", res.status, res.body)
		}
		second := s.do("agent", "POST", "/api/v1/incidents", urgent).json(t)
		if n := len(second["sla"].([]any)); n != 1 {
			t.Errorf("a P1 without customer under the default agreement has %d clocks, want 1", n)
		}

		// The first P1 is still without a clock, and is listed for the admin.
		res = s.do("admin", "GET", "/api/v1/sla/unmeasured?ticket_kind=incident", nil)
		items, _ := res.json(t)["items"].([]any)
		if res.status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["number"] != first["number"] ||
			items[0].(map[string]any)["priority"] != "P1" {
			t.Errorf("unmeasured: %d %s", res.status, res.body)
		}
		if res := s.do("requester", "GET", "/api/v1/sla/unmeasured", nil); res.status != http.StatusForbidden {
			t.Errorf("a requester read the unmeasured list: %d", res.status)
		}
		if res := s.do("admin", "PUT", "/api/v1/sla/default-agreement", map[string]any{"agreement_id": nil}); res.status != http.StatusOK ||
			res.json(t)["agreement_id"] != nil {
			t.Errorf("clearing the default: %d %s", res.status, res.body)
		}
	})
}
