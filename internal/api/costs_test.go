package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// costFixture adds a service the agent owns, one nobody owns and an
// underpinning contract.
func costFixture(t *testing.T, s *server, e storetest.Engine) (owned, other, uc int64) {
	ctx := context.Background()
	ts := store.TS(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, cost_per_month, owner_id, created_at, updated_at)
			VALUES ('Portal', 'live', 'high', 100000, ?, ?, ?) RETURNING id`, s.users["agent"], ts, ts).Scan(&owned); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at)
			VALUES ('Shop', 'live', 'high', ?, ?) RETURNING id`, ts, ts).Scan(&other); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO agreements (kind, name, active, created_at, updated_at) VALUES ('uc', 'Carrier', TRUE, ?, ?) RETURNING id`, ts, ts).Scan(&uc)
	})
	if err != nil {
		t.Fatal(err)
	}
	return owned, other, uc
}

// Budgets through the API: the owner and admins write, auditors read,
// requesters see nothing; bad input is 422 per field and stores nothing.
func TestBudgetsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		owned, other, _ := costFixture(t, s, e)
		budget := func(svc any, period string) map[string]any {
			return map[string]any{"service_id": svc, "period": period, "amount": 1200000, "currency": "EUR"}
		}
		cases := []struct {
			who  string
			body map[string]any
			want int
		}{
			{"agent", budget(owned, "2026-Q1"), 201},
			{"admin", budget(other, "2026-Q1"), 201},
			{"admin", budget(nil, "2026"), 201},
			{"agent", budget(other, "2026-Q2"), 403},
			{"agent", budget(nil, "2027"), 403},
			{"auditor", budget(owned, "2026-Q2"), 403},
			{"requester", budget(owned, "2026-Q2"), 403},
			{"agent", budget(owned, "2026-02"), 422},
		}
		for _, c := range cases {
			if res := s.do(c.who, "POST", "/api/v1/budgets", c.body); res.status != c.want {
				t.Errorf("%s POST budget %v: %d, want %d: %s", c.who, c.body, res.status, c.want, res.body)
			}
		}
		res := s.do("agent", "POST", "/api/v1/budgets", `{"service_id": `+fmt.Sprint(owned)+`, "period": "2026-Q9", "amount": -5, "currency": "EURO"}`)
		f := res.errorFields(t)
		if res.status != 422 || f["period"] == nil || f["amount"] == nil || f["currency"] == nil {
			t.Errorf("bad budget: %d %s", res.status, res.body)
		}
		list := s.do("auditor", "GET", fmt.Sprintf("/api/v1/budgets?service_id=%d", owned), nil)
		items, _ := list.json(t)["items"].([]any)
		if list.status != 200 || len(items) != 1 {
			t.Fatalf("auditor lists budgets: %d %s", list.status, list.body)
		}
		if res := s.do("requester", "GET", "/api/v1/budgets", nil); res.status != 403 {
			t.Errorf("requester lists budgets: %d", res.status)
		}
		id := fmt.Sprint(items[0].(map[string]any)["id"])
		if res := s.do("agent", "PATCH", "/api/v1/budgets/"+id, `{"amount": 1300000}`, "If-Match", `"v9"`); res.status != 412 {
			t.Errorf("stale patch: %d", res.status)
		}
		res = s.do("agent", "PATCH", "/api/v1/budgets/"+id, `{"amount": 1300000}`, "If-Match", `"v1"`)
		if res.status != 200 || res.json(t)["amount"] != float64(1300000) {
			t.Errorf("patch: %d %s", res.status, res.body)
		}
		if res := s.do("agent", "DELETE", "/api/v1/budgets/"+id, nil); res.status != 204 {
			t.Errorf("owner deletes their budget: %d", res.status)
		}
	})
}

// The cost report adds up a service's costs against its budget, refuses
// to add two currencies without a rate, and comes as CSV too; the
// cost-benefit view says time on tickets is not recorded.
func TestCostReportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		owned, other, uc := costFixture(t, s, e)
		must := func(res response, want int) {
			t.Helper()
			if res.status != want {
				t.Fatalf("%d, want %d: %s", res.status, want, res.body)
			}
		}
		must(s.do("agent", "POST", "/api/v1/budgets", map[string]any{"service_id": owned, "period": "2026-Q1", "amount": 350000, "currency": "EUR"}), 201)
		must(s.do("agent", "POST", "/api/v1/service-costs", map[string]any{"service_id": owned, "period": "2026-Q1", "category": "staff", "amount": 60000, "currency": "EUR"}), 201)
		must(s.do("agent", "PUT", fmt.Sprintf("/api/v1/services/%d/cost-settings", owned), map[string]any{"downtime_per_hour": 50000, "downtime_currency": "EUR"}), 200)
		rep := s.do("auditor", "GET", fmt.Sprintf("/api/v1/reports/cost?service_id=%d&from=2026-Q1", owned), nil)
		must(rep, 200)
		row := rep.json(t)["services"].([]any)[0].(map[string]any)["rows"].([]any)[0].(map[string]any)
		// 3 x 1,000.00 catalogue + 600.00 staff = 3,600.00 against 3,500.00.
		if row["actual"] != float64(360000) || row["budget"] != float64(350000) || row["variance"] != float64(-10000) {
			t.Errorf("Q1: %v", row)
		}
		must(s.do("admin", "POST", "/api/v1/contract-costs", map[string]any{"agreement_id": uc, "service_id": other, "amount_per_month": 10000, "currency": "USD"}), 201)
		res := s.do("auditor", "GET", "/api/v1/reports/cost?from=2026-01&to=2026-03", nil)
		if res.status != 422 || res.errorFields(t)["currency"] == nil || !strings.Contains(fmt.Sprint(res.errorFields(t)["currency"]), "USD") {
			t.Fatalf("two currencies without a rate: %d %s", res.status, res.body)
		}
		must(s.do("agent", "POST", "/api/v1/exchange-rates", map[string]any{"from_currency": "USD", "period": "2026", "rate": "0.9"}), 403)
		must(s.do("admin", "POST", "/api/v1/exchange-rates", map[string]any{"from_currency": "USD", "period": "2026", "rate": "0.9"}), 201)
		csv := s.do("auditor", "GET", "/api/v1/reports/cost?from=2026-01&to=2026-03&format=csv", nil)
		must(csv, 200)
		if !strings.Contains(string(csv.body), "Shop,2026-02,EUR,0.00,0.00,90.00,0.00,90.00") {
			t.Errorf("CSV: %s", csv.body)
		}
		if res := s.do("auditor", "GET", "/api/v1/reports/cost?from=2026-Q1&to=2026-03", nil); res.status != 400 {
			t.Errorf("mixed kinds: %d", res.status)
		}
		b := s.do("auditor", "GET", "/api/v1/reports/cost-benefit?from=2026-Q1&to=2026-Q2", nil)
		must(b, 200)
		if m := b.json(t); m["effort_recorded"] != false {
			t.Errorf("cost-benefit: %s", b.body)
		}
		a := s.do("auditor", "GET", fmt.Sprintf("/api/v1/services/%d/cost-allocation?period=2026-Q1", owned), nil)
		must(a, 200)
		// The catalogue names no customers for Portal: it serves every
		// customer, and each bears an equal share.
		if lines, _ := a.json(t)["lines"].([]any); len(lines) != 2 || lines[0].(map[string]any)["amount"] != float64(180000) {
			t.Errorf("allocation: %s", a.body)
		}
		if res := s.do("requester", "GET", "/api/v1/reports/cost?from=2026-Q1", nil); res.status != 403 {
			t.Errorf("requester reads the report: %d", res.status)
		}
	})
}
