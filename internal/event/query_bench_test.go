package event

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// BenchmarkConsole times the alert console's queries over a million
// active alerts (STEWARD_BENCH_ALERTS to change) on 2,000 sensors behind
// 20 gateways at 4 sites, written directly in large transactions:
//
//	go test ./internal/event/ -run '^$' -bench Console -benchtime 20x
func BenchmarkConsole(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("STEWARD_BENCH_ALERTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	e := storetest.SQLite(b)
	if os.Getenv("STEWARD_BENCH_POSTGRES") != "" {
		pg, ok := storetest.Postgres(b)
		if !ok {
			b.Skip("STEWARD_TEST_POSTGRES_URL is unset")
		}
		e = pg
	}
	ctx := context.Background()
	svc := NewService(e.DB, cmdb.NewService(e.DB, nil), nil, nil)
	p := &auth.Principal{UserID: 1, Role: auth.Agent}
	start := time.Now()
	sites, sensors := consoleBenchFleet(b, e.DB)
	it := consoleIntegration(b, e.DB, "Fleet monitoring", "http")
	consoleBenchAlerts(b, e.DB, it, sensors, n)
	b.Logf("%s: %d alerts on %d sensors written in %s", e.Name, n, len(sensors), time.Since(start).Round(time.Second))

	t0 := time.Now()
	if _, err := svc.takeSummary(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("first summary (counts and CMDB attribution) in %s", time.Since(t0).Round(time.Millisecond))

	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
	run("counts-by-site", func() error {
		c, err := svc.ConsoleCounts(ctx, p, AlertFilter{State: Active}, GroupSite)
		if err == nil && c.Open+c.Acknowledged != int64(n) {
			err = fmt.Errorf("counted %d active alerts, want %d", c.Open+c.Acknowledged, n)
		}
		return err
	})
	run("counts-by-service-critical", func() error {
		_, err := svc.ConsoleCounts(ctx, p, AlertFilter{State: Active, Severity: []Severity{Critical}}, GroupService)
		return err
	})
	run("summary-refresh", func() error {
		svc.console.mu.Lock()
		svc.console.stale = true
		svc.console.mu.Unlock()
		_, err := svc.takeSummary(ctx)
		return err
	})
	var next string
	run("list-active-first-page", func() error {
		pg, err := svc.ListAlerts(ctx, p, AlertFilter{State: Active})
		next = pg.Next
		return err
	})
	run("list-active-next-page", func() error {
		_, err := svc.ListAlerts(ctx, p, AlertFilter{State: Active, After: next})
		return err
	})
	run("list-critical", func() error {
		_, err := svc.ListAlerts(ctx, p, AlertFilter{State: Active, Severity: []Severity{Critical}})
		return err
	})
	run("list-one-site", func() error {
		_, err := svc.ListAlerts(ctx, p, AlertFilter{State: Active, Site: sites[0]})
		return err
	})
	run("list-one-ci", func() error {
		_, err := svc.ListAlerts(ctx, p, AlertFilter{State: Active, CIID: sensors[7]})
		return err
	})
}

// consoleBenchFleet writes 4 sites, 5 gateways each and 100 sensors per gateway.
func consoleBenchFleet(b *testing.B, db *store.DB) (sites, sensors []int64) {
	ctx := context.Background()
	now := store.TS(time.Now())
	err := db.InTx(ctx, func(tx *store.Tx) error {
		insert := func(typ, name, attrs string) (int64, error) {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO cis (type_id, name, status, attributes, created_at, updated_at)
				VALUES ((SELECT id FROM ci_types WHERE name = ?), ?, 'in_use', ?, ?, ?) RETURNING id`, typ, name, attrs, now, now).Scan(&id)
			return id, err
		}
		relate := func(s, t int64, rt cmdb.RelType) error {
			_, err := tx.Exec(ctx, `INSERT INTO ci_relationships (source_id, target_id, type, created_at) VALUES (?, ?, ?, ?)`, s, t, string(rt), now)
			return err
		}
		svc, err := insert("Business service", "Metering", "{}")
		if err != nil {
			return err
		}
		for s := range 4 {
			site, err := insert("Site", fmt.Sprintf("Site S-%04d", s+1), "{}")
			if err != nil {
				return err
			}
			sites = append(sites, site)
			fleet, err := insert("Fleet", fmt.Sprintf("Fleet site S-%04d", s+1), "{}")
			if err != nil {
				return err
			}
			if err := relate(svc, fleet, cmdb.DependsOn); err != nil {
				return err
			}
			for g := range 5 {
				gw, err := insert("IoT gateway", fmt.Sprintf("gateway GW-%d-%d", s, g), fmt.Sprintf(`{"device_id":"GW-%d-%d","site":%d}`, s, g, site))
				if err != nil {
					return err
				}
				for k := range 100 {
					id := fmt.Sprintf("SN-%d-%d-%03d", s, g, k)
					sn, err := insert("Sensor", "sensor "+id, `{"device_id":"`+id+`"}`)
					if err != nil {
						return err
					}
					sensors = append(sensors, sn)
					if err := relate(sn, gw, cmdb.DependsOn); err != nil {
						return err
					}
					if err := relate(sn, fleet, cmdb.MemberOf); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return sites, sensors
}

// consoleBenchAlerts writes n active alerts, 50,000 per transaction.
func consoleBenchAlerts(b *testing.B, db *store.DB, it int64, sensors []int64, n int) {
	ctx := context.Background()
	base := time.Now().Add(-24 * time.Hour)
	const rows, perTx = 500, 50_000
	for done := 0; done < n; {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for end := min(done+perTx, n); done < end; {
				k := min(rows, end-done)
				var sb strings.Builder
				sb.WriteString(`INSERT INTO alerts (integration_id, dedup_key, state, severity, summary, device, count, first_seen_at, last_seen_at,
					ci_id, flapping, in_maintenance, first_event_id, last_event_id, updated_at) VALUES `)
				args := make([]any, 0, k*15)
				for i := range k {
					x := done + i
					if i > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
					seen := store.TS(base.Add(time.Duration(x) * 50 * time.Millisecond))
					state := "open"
					if x%5 == 0 {
						state = "acknowledged"
					}
					var ci any = sensors[x%len(sensors)]
					if x%50 == 0 {
						ci = nil
					}
					args = append(args, it, "key-"+strconv.Itoa(x), state, string(Severities[x%5]), "check "+strconv.Itoa(x%40)+" failing",
						"dev-"+strconv.Itoa(x%len(sensors)), 1+x%7, seen, seen, ci, x%97 == 0, x%89 == 0, x, x, seen)
				}
				if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
					return err
				}
				done += k
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
