package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// consoleRows writes an integration, a CI, two alerts and an unmapped
// device directly, as the event processor would have.
func consoleRows(t *testing.T, db *store.DB) (integration, ci, alert int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		ts := store.TS(now)
		if err := tx.QueryRow(ctx, `INSERT INTO integrations (name, kind, key_hash, created_at, updated_at) VALUES ('Fleet monitoring', 'http', 'h1', ?, ?) RETURNING id`,
			ts, ts).Scan(&integration); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO cis (type_id, name, status, created_at, updated_at)
			VALUES ((SELECT id FROM ci_types WHERE name = 'Sensor'), 'sensor SN-1', 'in_use', ?, ?) RETURNING id`, ts, ts).Scan(&ci); err != nil {
			return err
		}
		for i, sev := range []string{"critical", "warning"} {
			seen := store.TS(now.Add(time.Duration(i) * time.Minute))
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO alerts (integration_id, dedup_key, state, severity, summary, device, first_seen_at, last_seen_at,
				ci_id, first_event_id, last_event_id, updated_at) VALUES (?, ?, 'open', ?, 'temperature high', 'SN-1', ?, ?, ?, 1, 1, ?) RETURNING id`,
				integration, "key-"+sev, sev, seen, seen, ci, seen).Scan(&id); err != nil {
				return err
			}
			if i == 0 {
				alert = id
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO alert_log (alert_id, at, what, detail) VALUES (?, ?, 'opened', 'temperature 81 °C')`, alert, ts); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO unmapped_devices (integration_id, device, first_seen_at, last_seen_at, events, last_summary)
			VALUES (?, 'mystery-7', ?, ?, 4, 'disk full')`, integration, ts, ts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return integration, ci, alert
}

func TestAlertsAPIWhoMayReadAndAct(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		it, ci, alert := consoleRows(t, e.DB)
		for _, role := range []string{"requester", "auditor"} {
			for _, r := range [][2]string{{"GET", "/api/v1/alerts"}, {"GET", "/api/v1/alerts/" + strconv.FormatInt(alert, 10)},
				{"GET", "/api/v1/unmapped-devices"}, {"POST", "/api/v1/alerts/" + strconv.FormatInt(alert, 10) + "/acknowledge"},
				{"POST", "/api/v1/alerts/" + strconv.FormatInt(alert, 10) + "/resolve"}} {
				want := http.StatusForbidden
				if role == "auditor" && r[0] == "GET" {
					want = http.StatusOK // auditors read everything and change nothing
				}
				if got := s.do(role, r[0], r[1], nil); got.status != want {
					t.Errorf("%s %s %s: %d, want %d", role, r[0], r[1], got.status, want)
				}
			}
		}
		if got := s.do("", "GET", "/api/v1/alerts", nil); got.status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", got.status)
		}
		list := s.do("agent", "GET", "/api/v1/alerts?state=open&severity=critical&integration_id="+strconv.FormatInt(it, 10), nil)
		items, _ := list.json(t)["items"].([]any)
		if list.status != 200 || len(items) != 1 || items[0].(map[string]any)["ci_id"].(float64) != float64(ci) {
			t.Fatalf("critical open alerts: %d %s", list.status, list.body)
		}
		page := s.do("agent", "GET", "/api/v1/alerts?limit=1", nil)
		next, _ := page.json(t)["next_cursor"].(string)
		if next == "" {
			t.Fatalf("no next page: %s", page.body)
		}
		page2 := s.do("agent", "GET", "/api/v1/alerts?limit=1&cursor="+next, nil)
		if items, _ := page2.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"].(float64) != float64(alert) {
			t.Fatalf("second page: %s", page2.body)
		}
		bad := s.do("agent", "GET", "/api/v1/alerts?state=burning&severity=huge&ci_id=x", nil)
		f := bad.errorFields(t)
		if bad.status != http.StatusUnprocessableEntity || f["state"] == nil || f["severity"] == nil || f["ci_id"] == nil {
			t.Fatalf("bad filters: %d %s", bad.status, bad.body)
		}
		one := s.do("agent", "GET", "/api/v1/alerts/"+strconv.FormatInt(alert, 10), nil)
		if tl, _ := one.json(t)["timeline"].([]any); one.status != 200 || len(tl) != 1 {
			t.Fatalf("alert with timeline: %d %s", one.status, one.body)
		}
		ack := s.do("agent", "POST", "/api/v1/alerts/"+strconv.FormatInt(alert, 10)+"/acknowledge", nil)
		if ack.status != http.StatusAccepted {
			t.Fatalf("acknowledge: %d %s", ack.status, ack.body)
		}
		if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM events WHERE action = 'acknowledge' AND dedup_key = 'key-critical'`); n != 1 {
			t.Fatalf("%d acknowledge events in the inbox, want 1", n)
		}
		devs := s.do("agent", "GET", "/api/v1/unmapped-devices", nil)
		if items, _ := devs.json(t)["items"].([]any); len(items) != 1 {
			t.Fatalf("unmapped: %s", devs.body)
		}
		m := s.do("agent", "POST", "/api/v1/unmapped-devices/map", map[string]any{"integration_id": it, "device": "mystery-7", "ci_id": ci + 1000})
		if m.status != http.StatusUnprocessableEntity || m.errorFields(t)["ci_id"] == nil {
			t.Fatalf("map to a missing CI: %d %s", m.status, m.body)
		}
		if m := s.do("auditor", "POST", "/api/v1/unmapped-devices/map", map[string]any{"integration_id": it, "device": "mystery-7", "ci_id": ci}); m.status != http.StatusForbidden {
			t.Fatalf("auditor mapped: %d", m.status)
		}
		m = s.do("agent", "POST", "/api/v1/unmapped-devices/map", map[string]any{"integration_id": it, "device": "mystery-7", "ci_id": ci})
		if m.status != 200 {
			t.Fatalf("map: %d %s", m.status, m.body)
		}
		devs = s.do("agent", "GET", "/api/v1/unmapped-devices", nil)
		if items, _ := devs.json(t)["items"].([]any); len(items) != 0 {
			t.Fatalf("still unmapped after mapping: %s", devs.body)
		}
		if ig := s.do("agent", "POST", "/api/v1/unmapped-devices/ignore", map[string]any{"integration_id": it, "device": "nobody"}); ig.status != http.StatusNotFound {
			t.Fatalf("ignore an unknown device: %d", ig.status)
		}
	})
}
