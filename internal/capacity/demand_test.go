package capacity

import (
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Incidents are counted per complete week; the trend through 1, 2, 3, 4,
// 5, 6 a week is one more a week, and the next weeks continue it.
func TestDemandTrendsFromTickets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e) // Wednesday 4 March 2026
		monday := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		add := func(at time.Time) {
			if _, err := x.db.Exec(x.ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, service_id, created_at, updated_at)
				VALUES ('Slow', 'low', 'low', 4, 'new', ?, ?, ?)`, x.service, store.TS(at), store.TS(at)); err != nil {
				t.Fatal(err)
			}
		}
		for w := 1; w <= 6; w++ { // six weeks ago had 1, last week 6
			start := monday.AddDate(0, 0, -7*(7-w))
			for i := 0; i < w; i++ {
				add(start.Add(time.Duration(i) * 20 * time.Hour))
			}
		}
		add(monday.Add(time.Hour)) // this week: not complete, not counted
		got, err := x.svc.DemandTrends(x.ctx, auditor, x.service, 6)
		if err != nil || len(got) != 1 {
			t.Fatalf("%v %v", got, err)
		}
		d := got[0]
		if d.Status != Forecasted || d.Total != 21 || d.PerWeek != 1 || d.Weeks[0].Start != "2026-01-19" || d.Weeks[5].Incidents != 6 {
			t.Fatalf("demand %+v", d)
		}
		if len(d.Ahead) != 4 || d.Ahead[0].Start != "2026-03-02" || d.Ahead[0].Forecast != 7 || d.Ahead[3].Forecast != 10 {
			t.Fatalf("ahead %+v", d.Ahead)
		}
		// A service without tickets has no trend.
		var quiet int64
		if err := x.db.InTx(x.ctx, func(tx *store.Tx) error {
			return tx.QueryRow(x.ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at)
			VALUES ('Quiet', 'live', 'low', ?, ?) RETURNING id`, store.TS(x.now), store.TS(x.now)).Scan(&quiet)
		}); err != nil {
			t.Fatal(err)
		}
		d2, _ := x.svc.DemandTrends(x.ctx, auditor, quiet, 4)
		if len(d2) != 1 || d2[0].Status != NotEnoughData || len(d2[0].Ahead) != 0 {
			t.Fatalf("quiet service: %+v", d2)
		}
		if _, err := x.svc.DemandTrends(x.ctx, auditor, x.service, 2); err == nil {
			t.Fatal("a two-week window was accepted")
		}
	})
}
