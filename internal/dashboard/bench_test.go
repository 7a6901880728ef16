package dashboard_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/dashboard"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// benchIncidents is how many incidents the benchmarks write:
// STEWARD_BENCH_INCIDENTS or a million.
func benchIncidents() int {
	if n, err := strconv.Atoi(os.Getenv("STEWARD_BENCH_INCIDENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// bulkIncidents writes n incidents over the two years before today in one
// INSERT ... SELECT, spread over five customers with a requester each,
// five priorities and resolution times of 1 to 100 hours; one in fifty
// is still open.
func bulkIncidents(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	d := &desk{db: db}
	now := store.TS(today)
	var custs []int64
	for i := range 5 {
		c := d.insertB(b, "INSERT INTO customers (name, created_at, updated_at) VALUES (?, ?, ?)", "Customer "+strconv.Itoa(i), now, now)
		d.insertB(b, `INSERT INTO users (email, name, role, customer_id, created_at, updated_at) VALUES (?, 'R', 'requester', ?, ?, ?)`,
			"r"+strconv.Itoa(i)+"@bench.test", c, now, now)
		custs = append(custs, c)
	}
	var q string
	if db.Dialect() == store.Postgres {
		q = `INSERT INTO incidents (title, customer_id, impact, urgency, priority, state, created_at, updated_at, resolved_at)
			SELECT 'Bench', ? + (i % 5), 'low', 'low', 1 + (i % 5), CASE WHEN i % 50 = 0 THEN 'new' ELSE 'resolved' END,
			?::timestamptz - make_interval(mins => (i * 1051) % 1051200), ?::timestamptz,
			CASE WHEN i % 50 = 0 THEN NULL ELSE ?::timestamptz - make_interval(mins => (i * 1051) % 1051200) + make_interval(hours => 1 + i % 100) END
			FROM generate_series(1, ?) AS s(i)`
	} else {
		q = `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
			INSERT INTO incidents (title, customer_id, impact, urgency, priority, state, created_at, updated_at, resolved_at)
			SELECT 'Bench', ? + (i % 5), 'low', 'low', 1 + (i % 5), CASE WHEN i % 50 = 0 THEN 'new' ELSE 'resolved' END,
			strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, '-' || ((i * 1051) % 1051200) || ' minutes'), ?,
			CASE WHEN i % 50 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, '-' || ((i * 1051) % 1051200) || ' minutes',
				'+' || (1 + i % 100) || ' hours') END
			FROM s`
	}
	start := time.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if db.Dialect() == store.Postgres {
			_, err = tx.Exec(ctx, q, custs[0], store.TS(today), store.TS(today), store.TS(today), n)
		} else {
			// SQLite's strftime reads the instant without its fraction.
			base := today.UTC().Format("2006-01-02 15:04:05")
			_, err = tx.Exec(ctx, q, n, custs[0], base, store.TS(today), base)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d incidents written in %s", db.Dialect(), n, time.Since(start).Round(time.Millisecond))
}

func (d *desk) insertB(b *testing.B, q string, args ...any) int64 {
	b.Helper()
	var id int64
	err := d.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), q+" RETURNING id", args...).Scan(&id)
	})
	if err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkSnapshots computes the shipped KPIs over a million incidents:
// "first" is the first run (each closed period of the backfill and the
// current one, over all customers and per customer), "again" a later run
// (the current periods only).
func BenchmarkSnapshots(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			bulkIncidents(b, e.DB, benchIncidents())
			s := newService(e.DB)
			ctx := context.Background()
			start := time.Now()
			n, err := s.Refresh(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("first run: %d snapshots in %s", n, time.Since(start).Round(time.Millisecond))
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Refresh(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDashboard answers a dashboard of twelve tiles from the
// snapshots, for staff and for a requester.
func BenchmarkDashboard(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			bulkIncidents(b, e.DB, min(benchIncidents(), 100_000))
			s := newService(e.DB)
			ctx := context.Background()
			if _, err := s.Refresh(ctx); err != nil {
				b.Fatal(err)
			}
			defs, err := s.Definitions(ctx, e.DB)
			if err != nil {
				b.Fatal(err)
			}
			var keys []string
			for _, d := range defs {
				if len(keys) < 12 {
					keys = append(keys, d.Key)
				}
			}
			staff := dashboard.Viewer{UserID: 1, Role: auth.Admin, KeepsBoards: true}
			if err := s.Arrange(ctx, admin, staff, dashboard.BoardSMSManager, keys); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				board, err := s.Board(ctx, staff, dashboard.BoardSMSManager)
				if err != nil || len(board.Tiles) != 12 {
					b.Fatalf("%d tiles, %v", len(board.Tiles), err)
				}
			}
		})
	}
}
