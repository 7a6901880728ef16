package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"steward/internal/auth"
	"steward/internal/capacity"
	"steward/internal/store"
)

// demoSeries is one utilisation series of the demo: a start, a growth a
// day, a shape over the working day and the week, its thresholds and
// what each calls for.
type demoSeries struct {
	service, ci     string // one of them
	metric, unit    string
	start, perDay   float64
	dayAmp, weekend float64 // added at the working-day peak; taken off at weekends
	noise           float64
	warn, act       float64
	warnDo, actDo   string
}

var demoCapacity = []demoSeries{
	{service: "E-mail", metric: "mailbox_storage", unit: "TB", start: 6.1, perDay: 0.018, noise: 0.01, warn: 8.5, act: 9.5,
		warnDo: "Ask departments to archive mailboxes over 50 GB.", actDo: "Order the second storage shelf (lead time 4 weeks)."},
	{service: "VPN", metric: "concurrent_sessions", unit: "sessions", start: 150, perDay: 0.9, dayAmp: 90, weekend: 120, noise: 0.04, warn: 330, act: 380,
		warnDo: "Warn the service owner; check licences with the vendor.", actDo: "Buy 100 more VPN licences."},
	{service: "Website", metric: "checkout_requests", unit: "req/min", start: 220, perDay: 0.6, dayAmp: 160, weekend: -60, noise: 0.06, warn: 700, act: 900,
		warnDo: "Scale the shop to three web nodes.", actDo: "Move checkout to the larger cluster."},
	{service: "Network", metric: "internet_bandwidth", unit: "Mbit/s", start: 380, perDay: 0.4, dayAmp: 250, weekend: 300, noise: 0.05, warn: 800, act: 950,
		warnDo: "Review which sites back up over the internet line.", actDo: "Upgrade the internet line to 2 Gbit/s."},
	{ci: "srv-00001", metric: "cpu", unit: "%", start: 38, perDay: 0.02, dayAmp: 25, weekend: 15, noise: 0.05, warn: 80, act: 90,
		warnDo: "Look for runaway jobs.", actDo: "Move the reporting jobs to srv-00002."},
	{ci: "srv-00002", metric: "disk_used", unit: "%", start: 70, perDay: 0.12, noise: 0.005, warn: 80, act: 92,
		warnDo: "Clean up old exports.", actDo: "Extend the data volume by 500 GB."},
	{ci: "srv-00003", metric: "memory_used", unit: "%", start: 52, perDay: 0, dayAmp: 12, weekend: 8, noise: 0.03},
}

// loadCapacity records four months of hourly utilisation for a few
// services and servers, with thresholds, and capacity plans for the
// busiest services.
func loadCapacity(ctx context.Context, db *store.DB) error {
	svc := capacity.NewService(db, nil)
	admin := &auth.Principal{Role: auth.Admin, Email: "admin@steward.demo"}
	rng := rand.New(rand.NewPCG(84, 3))
	now := time.Now().UTC().Truncate(time.Hour)
	from := now.AddDate(0, 0, -120)
	ids := map[string]int64{}
	for _, d := range demoCapacity {
		var batch []capacity.SampleIn
		for t := from; !t.After(now); t = t.Add(time.Hour) {
			days := t.Sub(from).Hours() / 24
			v := d.start + d.perDay*days
			h := float64(t.Hour()) + float64(t.Minute())/60
			if h >= 8 && h < 19 { // the working day's hump
				v += d.dayAmp * math.Sin(math.Pi*(h-8)/11)
			}
			if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
				v -= d.weekend
			}
			v *= 1 + d.noise*rng.NormFloat64()
			in := capacity.SampleIn{Service: d.service, CI: d.ci, Metric: d.metric, Unit: d.unit, At: t.Format(time.RFC3339)}
			in.Value, _ = json.Marshal(math.Round(math.Max(v, 0)*100) / 100)
			batch = append(batch, in)
			if len(batch) == capacity.MaxBatch {
				if _, err := svc.Ingest(ctx, admin, batch); err != nil {
					return fmt.Errorf("demo capacity %s: %w", d.metric, err)
				}
				batch = batch[:0]
			}
		}
		if _, err := svc.Ingest(ctx, admin, batch); err != nil {
			return fmt.Errorf("demo capacity %s: %w", d.metric, err)
		}
		list, err := svc.List(ctx, admin, capacity.Filter{Metric: d.metric})
		if err != nil || len(list) != 1 {
			return fmt.Errorf("demo capacity series %s: %v", d.metric, err)
		}
		ids[d.metric] = list[0].ID
		if d.act == 0 {
			continue
		}
		if _, err := svc.Update(ctx, admin, list[0].ID, capacity.SeriesPatch{WarnAt: &d.warn, WarnAction: &d.warnDo, ActAt: &d.act, ActAction: &d.actDo}, 0); err != nil {
			return err
		}
	}
	return loadCapacityPlans(ctx, db, svc, admin, ids, now)
}

func loadCapacityPlans(ctx context.Context, db *store.DB, svc *capacity.Service, admin *auth.Principal, ids map[string]int64, now time.Time) error {
	plans := []struct {
		service, title, body, demand string
		series                       []string
		reviewedDaysAgo              int
	}{
		{"E-mail", "E-mail capacity 2026", "Mailbox storage grows about half a terabyte a month since the retention policy went to ten years. " +
			"The current array takes 10 TB; the second shelf doubles it. Archive rules are the first lever, the shelf the second.",
			"Mailboxes follow headcount (+40 people planned this year) and the retention policy; tickets stay flat.", []string{"mailbox_storage", "disk_used"}, 40},
		{"VPN", "Remote access capacity", "Licences for 400 concurrent sessions. Working from home on Mondays and Fridays drives the peaks; " +
			"new starters in the autumn add about 60 sessions.", "Peaks grow with hybrid working; expect 10 % more sessions per quarter.", []string{"concurrent_sessions"}, 75},
		{"Website", "Web shop capacity", "Two web nodes handle up to 900 checkout requests a minute; a third node is ready as a template. " +
			"Black Friday is planned separately.", "Seasonal: December doubles checkout traffic; campaigns announced two weeks ahead.",
			[]string{"checkout_requests", "cpu"}, 400},
	}
	for _, p := range plans {
		var sid int64
		if err := db.QueryRow(ctx, `SELECT id FROM services WHERE name = ?`, p.service).Scan(&sid); err != nil {
			return fmt.Errorf("demo capacity plan %s: %w", p.service, err)
		}
		var series []int64
		for _, m := range p.series {
			series = append(series, ids[m])
		}
		reviewed := now.AddDate(0, 0, -p.reviewedDaysAgo).Format(time.DateOnly)
		next := now.AddDate(0, 0, 90-p.reviewedDaysAgo).Format(time.DateOnly)
		title, body, demand := p.title, p.body, p.demand
		if _, err := svc.CreatePlan(ctx, admin, capacity.PlanIn{ServiceID: &sid, Title: &title, Body: &body, Demand: &demand,
			ReviewedOn: &reviewed, NextReviewOn: &next, SeriesIDs: &series}); err != nil {
			return fmt.Errorf("demo capacity plan %s: %w", p.service, err)
		}
	}
	return nil
}
