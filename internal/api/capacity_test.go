package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Agents send batches of samples; a batch with a sample in the future or
// a value that is not a number is refused with a message per sample and
// stores nothing; auditors and requesters may not send; the series, its
// forecast and a capacity plan are read back.
func TestMetricsAndCapacityPlansAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		var svc int64
		now := time.Now().UTC()
		if err := e.DB.InTx(t.Context(), func(tx *store.Tx) error {
			return tx.QueryRow(t.Context(), `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES ('Mail', 'live', 'high', ?, ?) RETURNING id`,
				store.TS(now), store.TS(now)).Scan(&svc)
		}); err != nil {
			t.Fatal(err)
		}
		at := func(h int) string { return now.Add(time.Duration(-h) * time.Hour).Format(time.RFC3339) }
		sample := func(h int, v any) map[string]any {
			return map[string]any{"service": "Mail", "metric": "storage", "unit": "TB", "at": at(h), "value": v}
		}
		bad := map[string]any{"samples": []any{sample(3, 6.5), sample(-5, 7), sample(2, "full"), sample(1, true)}}
		res := s.do("agent", "POST", "/api/v1/metrics", bad)
		fields := res.errorFields(t)
		if res.status != 422 || !strings.Contains(fmt.Sprint(fields["samples[1].at"]), "future") ||
			!strings.Contains(fmt.Sprint(fields["samples[2].value"]), "not text") || fields["samples[3].value"] == nil || fields["samples[0].value"] != nil {
			t.Fatalf("bad batch: %d %s", res.status, res.body)
		}
		if n := s.count("SELECT COUNT(*) FROM capacity_samples"); n != 0 {
			t.Fatalf("%d samples stored from a refused batch", n)
		}
		good := map[string]any{"samples": []any{sample(3, 6.5), sample(2, 6.6), sample(1, 6.7)}}
		for role, want := range map[string]int{"auditor": 403, "requester": 403, "agent": 200} {
			if res := s.do(role, "POST", "/api/v1/metrics", good); res.status != want {
				t.Errorf("%s: %d %s", role, res.status, res.body)
			}
		}
		if res := s.do("agent", "POST", "/api/v1/metrics", good); res.status != 200 || !strings.Contains(string(res.body), `"duplicates":3`) {
			t.Fatalf("resent batch: %d %s", res.status, res.body)
		}
		list := s.do("auditor", "GET", fmt.Sprintf("/api/v1/metrics/series?service_id=%d", svc), nil)
		if list.status != 200 || !strings.Contains(string(list.body), `"last_value":6.7`) {
			t.Fatalf("series: %d %s", list.status, list.body)
		}
		id := int64(list.json(t)["items"].([]any)[0].(map[string]any)["id"].(float64))
		fc := s.do("auditor", "GET", fmt.Sprintf("/api/v1/metrics/series/%d/forecast", id), nil)
		if fc.status != 200 || !strings.Contains(string(fc.body), `"status":"not_enough_data"`) {
			t.Fatalf("forecast of three points: %d %s", fc.status, fc.body)
		}
		if res := s.do("agent", "PATCH", fmt.Sprintf("/api/v1/metrics/series/%d", id), map[string]any{"source_url": "http://127.0.0.1:9090", "source_query": "up"}); res.status != 422 {
			t.Fatalf("an agent set a Prometheus source: %d %s", res.status, res.body)
		}
		plan := map[string]any{"service_id": svc, "title": "Mail storage", "demand": "Flat", "series_ids": []int64{id}, "reviewed_on": "2026-01-10"}
		if res := s.do("auditor", "POST", "/api/v1/capacity-plans", plan); res.status != 403 {
			t.Fatalf("auditor plan: %d", res.status)
		}
		res = s.do("agent", "POST", "/api/v1/capacity-plans", plan)
		if res.status != 201 || !strings.Contains(string(res.body), `"metric":"storage"`) {
			t.Fatalf("plan: %d %s", res.status, res.body)
		}
		if res := s.do("agent", "POST", "/api/v1/capacity-plans", plan); res.status != 422 || !strings.Contains(string(res.body), "already has a capacity plan") {
			t.Fatalf("second plan: %d %s", res.status, res.body)
		}
		if res := s.do("requester", "GET", "/api/v1/capacity-plans", nil); res.status != 403 {
			t.Fatalf("requester reads plans: %d", res.status)
		}
		if res := s.do("auditor", "GET", "/api/v1/reports/demand?weeks=2", nil); res.status != 400 {
			t.Fatalf("two weeks of demand: %d %s", res.status, res.body)
		}
	})
}
