package availability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/availability"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The availability of 200 services over a year, from 100,000 outages,
// beside 1,000,000 incidents and 2,000 approved changes (maintenance); a
// quarter of the services are measured over business hours.
//
//	go test ./internal/availability -run '^$' -bench AvailabilityYear -benchtime 5x
func BenchmarkAvailabilityYear(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			to := from.AddDate(1, 0, 0)
			seedYear(b, ctx, e.DB, from, to)
			svc := availability.NewService(e.DB, nil)
			svc.Calendars = sla.NewService(e.DB, nil)
			admin := &auth.Principal{UserID: 1, Role: auth.Admin}
			b.ResetTimer()
			for b.Loop() {
				rep, err := svc.Report(ctx, admin, availability.ReportQuery{From: from, To: to})
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Services) != 200 {
					b.Fatalf("%d services", len(rep.Services))
				}
			}
		})
	}
}

func seedYear(b *testing.B, ctx context.Context, db *store.DB, from, to time.Time) {
	b.Helper()
	start := time.Now()
	ts := store.TS(from)
	rng := rand.New(rand.NewPCG(1, 2))
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var cal int64
		if err := tx.QueryRow(ctx, `INSERT INTO calendars (name, time_zone, windows, created_at, updated_at) VALUES ('Office', 'Europe/Berlin',
			'[{"weekday":"monday","start":"08:00","end":"18:00"},{"weekday":"tuesday","start":"08:00","end":"18:00"},{"weekday":"wednesday","start":"08:00","end":"18:00"},{"weekday":"thursday","start":"08:00","end":"18:00"},{"weekday":"friday","start":"08:00","end":"18:00"}]',
			?, ?) RETURNING id`, ts, ts).Scan(&cal); err != nil {
			return err
		}
		for i := 1; i <= 200; i++ {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES (?, 'live', 'high', ?, ?) RETURNING id`,
				fmt.Sprintf("Service %03d", i), ts, ts).Scan(&id); err != nil {
				return err
			}
			var c any
			if i%4 == 0 {
				c = cal
			}
			if _, err := tx.Exec(ctx, "INSERT INTO availability_targets (service_id, target, calendar_id, updated_at) VALUES (?, 99.5, ?, ?)", id, c, ts); err != nil {
				return err
			}
		}
		// 1,000,000 incidents spread over the services.
		if _, err := tx.Exec(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, service_id, created_at, updated_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
			SELECT 'Incident', 'medium', 'medium', 3, 'closed', (SELECT MIN(id) FROM services) + i % 200, ?, ? FROM n`, ts, ts); err != nil {
			return err
		}
		span := to.Sub(from)
		rows := make([]string, 0, 1000)
		args := make([]any, 0, 5000)
		flush := func() error {
			if len(rows) == 0 {
				return nil
			}
			_, err := tx.Exec(ctx, "INSERT INTO outages (service_id, started_at, ended_at, weight, incident_id, created_at, updated_at) VALUES "+
				strings.Join(rows, ","), args...)
			rows, args = rows[:0], args[:0]
			return err
		}
		var first int64
		if err := tx.QueryRow(ctx, "SELECT MIN(id) FROM services").Scan(&first); err != nil {
			return err
		}
		for i := 0; i < 100000; i++ {
			at := from.Add(time.Duration(rng.Int64N(int64(span))))
			end := at.Add(time.Duration(5+rng.IntN(240)) * time.Minute)
			w := []float64{1, 1, 1, 0.5}[rng.IntN(4)]
			rows = append(rows, "(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, first+int64(i%200), store.TS(at), store.TS(end), w, int64(1+i*10), store.TS(end), store.TS(end))
			if len(rows) == 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		for i := 0; i < 2000; i++ {
			at := from.Add(time.Duration(rng.Int64N(int64(span))))
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, planned_start, planned_end, created_at, updated_at)
				VALUES ('Patch', 'normal', 'closed', ?, ?, ?, ?) RETURNING id`, store.TS(at), store.TS(at.Add(2*time.Hour)), ts, ts).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO change_services (change_id, service_id) VALUES (?, ?)", id, first+int64(i%200)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 200 services, 1,000,000 incidents, 100,000 outages and 2,000 changes in %v", time.Since(start).Round(time.Second))
}
