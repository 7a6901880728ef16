package cmdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// The impact benchmarks run on a generated fleet (GenerateFleet, imported
// with Import): STEWARD_BENCH_CMDB_CIS CIs (default 20,000;
// docs/BENCHMARKS.md uses 1,000,000, about 3,000,000 relationships). On
// SQLite in STEWARD_BENCH_CMDB_DIR (a temporary folder when unset; a kept
// folder is reused on the next run), or on PostgreSQL at
// STEWARD_BENCH_CMDB_PG_URL (a database or schema of its own, reused too).
// The database stays open across the benchmarks of one run.

type fleetBench struct {
	svc      *Service
	db       *store.DB
	gateways []int64
	services []int64
	sensors  []int64
}

var (
	benchFleets  = map[string]*fleetBench{}
	benchCleanup []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range benchCleanup {
		f()
	}
	os.Exit(code)
}

func benchEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func openFleet(b *testing.B) *fleetBench {
	b.Helper()
	n := benchEnvInt("STEWARD_BENCH_CMDB_CIS", 20000)
	key := fmt.Sprint(os.Getenv("STEWARD_BENCH_CMDB_PG_URL"), n)
	if f := benchFleets[key]; f != nil {
		return f
	}
	ctx := context.Background()
	opts := store.Options{DataDir: os.Getenv("STEWARD_BENCH_CMDB_DIR"), DatabaseURL: os.Getenv("STEWARD_BENCH_CMDB_PG_URL"), ReadConns: 4}
	if opts.DatabaseURL == "" && opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "steward-cmdb-bench-")
		if err != nil {
			b.Fatal(err)
		}
		opts.DataDir = dir
		benchCleanup = append(benchCleanup, func() { os.RemoveAll(dir) })
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var have int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM cis`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have == 0 {
		dir := b.TempDir()
		cf, _ := os.Create(filepath.Join(dir, "cis.csv"))
		rf, _ := os.Create(filepath.Join(dir, "rels.csv"))
		start := time.Now()
		counts, err := GenerateFleet(FleetSpec{CIs: n, Seed: 1}, cf, rf)
		cf.Close()
		rf.Close()
		if err != nil {
			b.Fatal(err)
		}
		cf, _ = os.Open(filepath.Join(dir, "cis.csv"))
		rf, _ = os.Open(filepath.Join(dir, "rels.csv"))
		svc := NewService(db, nil)
		if _, err := svc.Import(ctx, audit.System, ImportOptions{CIs: cf, Relationships: rf}); err != nil {
			b.Fatal(err)
		}
		cf.Close()
		rf.Close()
		b.Logf("generated and imported %d CIs and %d relationships in %s", counts.CIs, counts.Relationships, time.Since(start).Round(time.Second))
	}
	f := &fleetBench{svc: NewService(db, nil), db: db}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	st, err := f.svc.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.Logf("graph of %d CIs and %d impact edges loaded in %s, heap +%d MB", st.CIs, st.Edges,
		time.Since(start).Round(time.Millisecond), (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20)
	pick := func(typ string, limit int) []int64 {
		rows, err := db.Query(ctx, `SELECT c.id FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE t.name = ? ORDER BY c.id`, typ)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
		}
		r := rand.New(rand.NewPCG(3, 4))
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		if len(ids) > limit {
			ids = ids[:limit]
		}
		return ids
	}
	f.gateways, f.services, f.sensors = pick("IoT gateway", 500), pick("Business service", 200), pick("Sensor", 10000)
	benchFleets[key] = f
	return f
}

// timed runs op b.N times and reports p50 and p99 besides the mean.
func timed(b *testing.B, op func(i int) int) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	reached := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		reached += op(i)
		durs = append(durs, time.Since(t))
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[(len(durs)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(reached)/float64(b.N), "cis/op")
}

// BenchmarkImpactGatewayDown: everything a failing gateway takes down, up
// to the business services and customers.
func BenchmarkImpactGatewayDown(b *testing.B) {
	f := openFleet(b)
	ctx := context.Background()
	timed(b, func(i int) int {
		res, err := f.svc.Impact(ctx, ImpactQuery{Failed: []int64{f.gateways[i%len(f.gateways)]}, Limit: 1000})
		if err != nil {
			b.Fatal(err)
		}
		return res.Total
	})
}

// BenchmarkImpactServiceUp: what a business service depends on, first
// page of 100 (the whole set is counted).
func BenchmarkImpactServiceUp(b *testing.B) {
	f := openFleet(b)
	ctx := context.Background()
	timed(b, func(i int) int {
		res, err := f.svc.Impact(ctx, ImpactQuery{Failed: []int64{f.services[i%len(f.services)]}, Direction: Up, Limit: 100})
		if err != nil {
			b.Fatal(err)
		}
		return res.Total
	})
}

// BenchmarkImpact10kDevices: 10,000 sensors failing at once.
func BenchmarkImpact10kDevices(b *testing.B) {
	f := openFleet(b)
	ctx := context.Background()
	n := min(10000, len(f.sensors))
	timed(b, func(i int) int {
		res, err := f.svc.Impact(ctx, ImpactQuery{Failed: f.sensors[:n], Limit: 1000})
		if err != nil {
			b.Fatal(err)
		}
		return res.Total
	})
}

// The same traversals as one recursive SQL query each, for comparison:
// plain reachability along the impact direction (no redundancy rules, no
// paths), counting distinct CIs reached. SQLite takes two recursive terms;
// PostgreSQL takes one, joining on either edge direction (a BitmapOr over
// the source and target indexes).
const (
	pgRecursiveDown = `WITH RECURSIVE down(id, depth) AS (
	SELECT CAST(? AS BIGINT), 0
	UNION
	SELECT CASE WHEN r.target_id = d.id THEN r.source_id ELSE r.target_id END, d.depth + 1
	FROM down d JOIN ci_relationships r
		ON (r.target_id = d.id AND r.type IN ('depends_on', 'runs_on'))
		OR (r.source_id = d.id AND r.type IN ('used_by', 'hosts', 'member_of'))
	WHERE d.depth < 64
) SELECT count(DISTINCT id) - 1 FROM down`
	pgRecursiveUp = `WITH RECURSIVE up(id, depth) AS (
	SELECT CAST(? AS BIGINT), 0
	UNION
	SELECT CASE WHEN r.source_id = u.id THEN r.target_id ELSE r.source_id END, u.depth + 1
	FROM up u JOIN ci_relationships r
		ON (r.source_id = u.id AND r.type IN ('depends_on', 'runs_on'))
		OR (r.target_id = u.id AND r.type IN ('used_by', 'hosts', 'member_of'))
	WHERE u.depth < 64
) SELECT count(DISTINCT id) - 1 FROM up`
	recursiveDown = `WITH RECURSIVE down(id, depth) AS (
	SELECT CAST(? AS BIGINT), 0
	UNION
	SELECT r.source_id, d.depth + 1 FROM down d JOIN ci_relationships r
		ON r.target_id = d.id AND r.type IN ('depends_on', 'runs_on') WHERE d.depth < 64
	UNION
	SELECT r.target_id, d.depth + 1 FROM down d JOIN ci_relationships r
		ON r.source_id = d.id AND r.type IN ('used_by', 'hosts', 'member_of') WHERE d.depth < 64
) SELECT count(DISTINCT id) - 1 FROM down`
	recursiveUp = `WITH RECURSIVE up(id, depth) AS (
	SELECT CAST(? AS BIGINT), 0
	UNION
	SELECT r.target_id, u.depth + 1 FROM up u JOIN ci_relationships r
		ON r.source_id = u.id AND r.type IN ('depends_on', 'runs_on') WHERE u.depth < 64
	UNION
	SELECT r.source_id, u.depth + 1 FROM up u JOIN ci_relationships r
		ON r.target_id = u.id AND r.type IN ('used_by', 'hosts', 'member_of') WHERE u.depth < 64
) SELECT count(DISTINCT id) - 1 FROM up`
)

func BenchmarkRecursiveSQLGatewayDown(b *testing.B) {
	f := openFleet(b)
	ctx := context.Background()
	timed(b, func(i int) int {
		var n int
		q := recursiveDown
		if f.db.Dialect() == store.Postgres {
			q = pgRecursiveDown
		}
		if err := f.db.QueryRow(ctx, q, f.gateways[i%len(f.gateways)]).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	})
}

func BenchmarkRecursiveSQLServiceUp(b *testing.B) {
	f := openFleet(b)
	ctx := context.Background()
	timed(b, func(i int) int {
		var n int
		q := recursiveUp
		if f.db.Dialect() == store.Postgres {
			q = pgRecursiveUp
		}
		if err := f.db.QueryRow(ctx, q, f.services[i%len(f.services)]).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	})
}
