package demo

import (
	"context"
	"math/rand/v2"
	"time"

	"steward/internal/store"
)

// loadAvailability agrees availability targets for the live services and
// records a year of outages: most services meet their targets; the
// website (a bad spring with the payment provider) and ERP (the nightly
// batch overrunning into office hours) do not.
func loadAvailability(ctx context.Context, db *store.DB) error {
	type plan struct {
		service  string
		target   float64
		business bool
		perMonth float64       // outages a month on average
		mean     time.Duration // their mean length
		partial  float64       // share of them partial
	}
	plans := []plan{
		{"Website", 99.9, false, 2.2, 70 * time.Minute, 0.3},
		{"E-mail", 99.9, false, 0.6, 25 * time.Minute, 0.5},
		{"Network", 99.95, false, 0.4, 12 * time.Minute, 0.6},
		{"VPN", 99.5, false, 0.8, 40 * time.Minute, 0.4},
		{"Identity & access", 99.9, false, 0.3, 20 * time.Minute, 0.2},
		{"ERP", 99.5, true, 1.5, 150 * time.Minute, 0.3},
		{"Payroll", 99.0, true, 0.3, 60 * time.Minute, 0.2},
		{"Telephony", 99.5, true, 0.5, 45 * time.Minute, 0.5},
		{"File shares", 99.0, true, 0.4, 90 * time.Minute, 0.3},
	}
	causes := []string{"Database connections exhausted after a failover", "Certificate expired on the load balancer",
		"Upstream provider outage", "Storage latency spike on the shared array", "Configuration pushed with a typo",
		"Power cut in the server room, UPS held for 20 minutes", "DNS resolution failing for internal names",
		"Memory leak after the last release", "Firewall rule removed by mistake", "Nightly batch overran into the morning"}
	rng := rand.New(rand.NewPCG(16, 871))
	now := time.Now().UTC().Truncate(time.Minute)
	start := now.AddDate(-1, 0, 0)
	return db.InTx(ctx, func(tx *store.Tx) error {
		var cal int64
		if err := tx.QueryRow(ctx, "SELECT id FROM calendars WHERE name = 'Business hours (Berlin)'").Scan(&cal); err != nil {
			return store.ScanErr(err)
		}
		for _, p := range plans {
			var svc int64
			if err := tx.QueryRow(ctx, "SELECT id FROM services WHERE name = ?", p.service).Scan(&svc); err != nil {
				return store.ScanErr(err)
			}
			var hours any
			if p.business {
				hours = cal
			}
			if _, err := tx.Exec(ctx, "INSERT INTO availability_targets (service_id, target, calendar_id, updated_at) VALUES (?, ?, ?, ?)",
				svc, p.target, hours, store.TS(start)); err != nil {
				return err
			}
			n := int(p.perMonth*12 + 0.5)
			for i := 0; i < n; i++ {
				at := start.Add(time.Duration(rng.Int64N(int64(now.Sub(start) - 6*time.Hour))))
				if p.business { // office-hours services fail when people use them
					at = time.Date(at.Year(), at.Month(), at.Day(), 7+rng.IntN(9), rng.IntN(60), 0, 0, time.UTC)
				}
				if p.service == "Website" && at.Month() >= 3 && at.Month() <= 5 {
					at = at.Add(-time.Duration(rng.IntN(3)) * time.Hour) // the bad spring: longer ones below
				}
				length := time.Duration(float64(p.mean) * (0.3 + 1.4*rng.Float64()))
				if p.service == "Website" && at.Month() >= 3 && at.Month() <= 5 {
					length *= 3
				}
				w := 1.0
				if rng.Float64() < p.partial {
					w = []float64{0.25, 0.5, 0.5, 0.75}[rng.IntN(4)]
				}
				end := at.Add(length.Truncate(time.Minute))
				if !end.Before(now) {
					continue
				}
				if _, err := tx.Exec(ctx, `INSERT INTO outages (service_id, started_at, ended_at, weight, source, summary, created_at, updated_at)
					VALUES (?, ?, ?, ?, 'manual', ?, ?, ?)`, svc, store.TS(at), store.TS(end), w, causes[rng.IntN(len(causes))],
					store.TS(end), store.TS(end)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
