package availability

import (
	"context"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Overlapping outages count once, at the heaviest weight covering each
// minute, and only their part inside the window counts.
func TestDowntimeMergesOverlapsAndClipsToTheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
		var svc int64
		if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES ('Portal', 'live', 'high', ?, ?) RETURNING id`,
				store.TS(at(0, 0)), store.TS(at(0, 0))).Scan(&svc)
		}); err != nil {
			t.Fatal(err)
		}
		add := func(from, to time.Time, w float64) {
			if _, err := e.DB.Exec(ctx, `INSERT INTO outages (service_id, started_at, ended_at, weight, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				svc, store.TS(from), store.TS(to), w, store.TS(from), store.TS(from)); err != nil {
				t.Fatal(err)
			}
		}
		add(at(9, 0), at(10, 0), 1)     // 60 min full
		add(at(9, 30), at(10, 30), 1)   // overlaps: +30 min
		add(at(10, 30), at(11, 30), .5) // partial: 60 min at half = 30
		add(at(7, 0), at(8, 30), 1)     // half outside the window: 30 min
		add(at(12, 0), at(12, 40), .5)  // partial under a full one
		add(at(12, 10), at(12, 20), 1)  // 10 full + 30 half = 25
		got, err := Downtime(ctx, e.DB, svc, at(8, 0), at(13, 0))
		if err != nil {
			t.Fatal(err)
		}
		if want := (60 + 30 + 30 + 30 + 25) * time.Minute; got != want {
			t.Fatalf("downtime %v, want %v", got, want)
		}
	})
}
