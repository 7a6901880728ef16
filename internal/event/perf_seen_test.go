package event

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/store/storetest"
)

// A device that reports a little more often than its interval is never
// taken for offline, although not every report rewrites its last seen
// time; one that falls silent goes offline once.
func TestAReportingDeviceStaysOnlineAndASilentOneGoesOffline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.ci("Sensor", "sensor-1", map[string]any{"device_id": "S-1"})
		silent := f.ci("Sensor", "sensor-2", map[string]any{"device_id": "S-2"})
		st := DefaultSettings()
		st.OfflineAfter = map[string]int{"Sensor": 20}
		f.s.SaveSettings(ctx, audit.System, st)
		f.send(trigger("S-1", "hb", OK), trigger("S-2", "hb", OK))
		offline := 0
		for range 10 {
			f.advance(16 * time.Second)
			f.send(trigger("S-1", "hb", OK))
			f.advance(10 * time.Second)
			n, err := f.s.DetectOffline(ctx, f.clock)
			if err != nil {
				t.Fatal(err)
			}
			offline += n
		}
		f.process()
		if offline != 1 {
			t.Fatalf("%d devices went offline; want the silent one once", offline)
		}
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'offline' AND ci_id = ?`, silent); n != 1 {
			t.Fatal("the silent sensor is offline")
		}
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'online'`); n != 1 {
			t.Fatal("the reporting sensor stays online")
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'heartbeat' AND source = 'steward' AND state = 'open'`); n != 1 {
			t.Fatal("the silent sensor has one offline alert")
		}
	})
}

// One batch may resolve an alert and open a new one for the same key,
// several times over: each opening is an alert of its own, and the last
// one alone is open.
func TestOneBatchResolvesAndReopensAKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.send(trigger("db-1", "ping", Warning))
		f.send(resolve("db-1", "ping"), trigger("db-1", "ping", Warning), trigger("db-1", "ping", Minor),
			resolve("db-1", "ping"), trigger("db-1", "ping", Warning), Input{CI: "db-1", Check: "ping", Action: Acknowledge})
		if n := f.count(`SELECT COUNT(*) FROM alerts`); n != 3 {
			t.Fatalf("%d alerts; want 3", n)
		}
		var count int
		var sev, state string
		if err := e.DB.QueryRow(context.Background(), `SELECT count, severity, state FROM alerts WHERE state <> 'resolved'`).Scan(&count, &sev, &state); err != nil {
			t.Fatal(err)
		}
		if count != 1 || sev != "warning" || state != "acknowledged" {
			t.Fatalf("open alert count %d severity %s state %s; want 1 warning acknowledged", count, sev, state)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE state = 'resolved' AND resolved_at IS NOT NULL AND count = 2 AND severity = 'minor'`); n != 1 {
			t.Fatal("the second alert counts two triggers and was resolved at minor")
		}
		if n := f.count(`SELECT COUNT(*) FROM alert_log l JOIN alerts a ON a.id = l.alert_id WHERE l.what = 'opened'`); n != 3 {
			t.Fatalf("%d openings logged against their alerts; want 3", n)
		}
	})
}

// A message id already stored for the integration, in an earlier batch or
// earlier in the same one, is dropped and counted; the rest are stored.
func TestIngestDropsTransportDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		batch := func(ids ...string) []Event {
			var out []Event
			for _, id := range ids {
				ev, err := Normalize(f.integ, Input{CI: "x", Check: "c", Severity: Warning, MessageID: id}, f.clock)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, ev)
			}
			return out
		}
		if res, err := f.s.Ingest(ctx, batch("a", "b", "a", "")); err != nil || res.Accepted != 3 || res.Duplicates != 1 {
			t.Fatalf("%+v, %v; want 3 accepted, 1 duplicate", res, err)
		}
		if res, err := f.s.Ingest(ctx, batch("b", "c", "")); err != nil || res.Accepted != 2 || res.Duplicates != 1 {
			t.Fatalf("%+v, %v; want 2 accepted, 1 duplicate", res, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM events`); n != 5 {
			t.Fatalf("%d events stored; want 5", n)
		}
	})
}

// An inbox longer than one batch is processed whole, each event once,
// whichever batch it falls in.
func TestALongInboxIsProcessedOnceAcrossBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		const keys, repeats = 2500, 10
		var events []Event
		for r := range repeats {
			for k := range keys {
				ev, err := Normalize(f.integ, Input{CI: "dev-" + itoa(k), Check: "temp", Severity: Warning, Summary: "hot " + itoa(r)}, f.clock)
				if err != nil {
					t.Fatal(err)
				}
				events = append(events, ev)
			}
		}
		for len(events) > 0 {
			n := min(len(events), MaxBatch)
			if _, err := f.s.Ingest(ctx, events[:n]); err != nil {
				t.Fatal(err)
			}
			events = events[n:]
		}
		f.process()
		if n := f.count(`SELECT COUNT(*) FROM alerts`); n != keys {
			t.Fatalf("%d alerts; want %d", n, keys)
		}
		if n := f.count(`SELECT SUM(count) FROM alerts`); n != keys*repeats {
			t.Fatalf("alerts count %d triggers; want %d", n, keys*repeats)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE summary = ?`, "hot 9"); n != keys {
			t.Fatalf("%d alerts show the latest summary; want %d", n, keys)
		}
	})
}
