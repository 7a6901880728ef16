package event

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// addSensors adds n Sensor CIs with device ids D-0 .. D-(n-1) in bulk.
func addSensors(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	now := store.TS(time.Now())
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO cis (type_id, name, status, attributes, created_at, updated_at)
			SELECT (SELECT id FROM ci_types WHERE name = 'Sensor'), 'sensor-' || i, 'in_use', '{"device_id":"D-' || i || '"}', ?, ?
			FROM n`, n-1, now, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO ci_identifiers (type_id, attribute, value, ci_id)
			SELECT type_id, 'device_id', 'D-' || substr(name, 8), id FROM cis WHERE name LIKE 'sensor-%'`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkProcessFleet measures the processor on a fleet of 100,000
// sensors: 90% heartbeats, 10% faults (warnings, some resolving).
func BenchmarkProcessFleet(b *testing.B) {
	const devices, perRound = 100_000, 100_000
	e := storetest.SQLite(b)
	f := &fleet{e: e, clock: time.Now().UTC()}
	f.s = f.service()
	ctx := context.Background()
	var integ int64
	if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO integrations (name, kind, key_hash, created_at, updated_at) VALUES ('bench', 'http', 'x', ?, ?) RETURNING id`,
			store.TS(f.clock), store.TS(f.clock)).Scan(&integ)
	}); err != nil {
		b.Fatal(err)
	}
	addSensors(b, e.DB, devices)
	rng := rand.New(rand.NewPCG(1, 2))
	processed := 0
	var spent, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		now := time.Now().UTC()
		events := make([]Event, 0, perRound)
		for j := 0; j < perRound; j++ {
			d := fmt.Sprintf("D-%d", rng.IntN(devices))
			in := Input{CI: d, Check: "heartbeat", Severity: OK}
			if r := rng.IntN(100); r < 10 {
				in = Input{CI: d, Check: fmt.Sprintf("fault-%d", r%3), Severity: Warning, Summary: "fault"}
				if r < 3 {
					in.Action = Resolve
					in.Severity = ""
				}
			}
			ev, err := Normalize(integ, in, now)
			if err != nil {
				b.Fatal(err)
			}
			events = append(events, ev)
		}
		for len(events) > 0 {
			n := min(len(events), MaxBatch)
			if _, err := f.s.Ingest(ctx, events[:n]); err != nil {
				b.Fatal(err)
			}
			events = events[n:]
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		n, err := f.s.ProcessPending(ctx)
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		cpu += cpuTime() - cpu0
		processed += n
	}
	b.ReportMetric(float64(processed)/spent.Seconds(), "events/s")
	b.ReportMetric(float64(processed)/cpu.Seconds(), "events/cpu-s")
}

// BenchmarkActiveAlertsMemory loads 1,000,000 active alerts into the
// processor's memory and reports the heap they take per alert.
func BenchmarkActiveAlertsMemory(b *testing.B) {
	const alerts = 1_000_000
	e := storetest.SQLite(b)
	ctx := context.Background()
	now := store.TS(time.Now())
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO integrations (name, kind, key_hash, created_at, updated_at) VALUES ('bench', 'http', 'x', ?, ?)`, now, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO alerts (integration_id, dedup_key, state, severity, count, first_seen_at, last_seen_at, first_event_id, last_event_id, updated_at)
			SELECT 1, lower(hex(randomblob(16))), 'open', 'warning', 1, ?, ?, i, i, ? FROM n`, alerts, now, now, now)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := (&fleet{e: e}).service()
		p := newProcessor(s)
		if err := p.load(ctx); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(p.keys) != alerts {
			b.Fatalf("%d alerts loaded", len(p.keys))
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/alerts, "heap-bytes/alert")
		runtime.KeepAlive(p)
	}
}
