package incident_test

// Benchmarks of incident management straight on the store, without HTTP:
// create, a filtered list page, a full-text search and the work queues,
// on SQLite in a temporary folder and, when STEWARD_TEST_POSTGRES_URL is
// set, on PostgreSQL in a fresh schema per benchmark. The list, search and
// queue benchmarks seed STEWARD_BENCH_INCIDENTS incidents first (default
// 20000).
//
//	go test -run '^$' -bench . -benchmem ./internal/incident/

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"steward/internal/store/storetest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/demo"
	"steward/internal/incident"
	"steward/internal/store"
)

// benchOrg loads the demo organisation and n seeded incidents, and returns
// the service and the demo admin as a principal.
func benchOrg(b *testing.B, db *store.DB, n int) (*incident.Service, *auth.Principal) {
	b.Helper()
	ctx := context.Background()
	svc := incident.NewService(db, 7*24*time.Hour)
	if n > 0 {
		if err := demo.Seed(ctx, db, svc, n, nil); err != nil {
			b.Fatal(err)
		}
	} else if err := demo.Load(ctx, db, svc); err != nil {
		b.Fatal(err)
	}
	return svc, principal(b, db, "admin@steward.demo", auth.Admin)
}

// principal signs in the user with that e-mail address.
func principal(b *testing.B, db *store.DB, email string, role auth.Role) *auth.Principal {
	b.Helper()
	ctx := context.Background()
	u, err := auth.UserByEmail(ctx, db, email)
	if err != nil {
		b.Fatal(err)
	}
	groups, err := auth.GroupIDs(ctx, db, u.ID)
	if err != nil {
		b.Fatal(err)
	}
	return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, GroupIDs: groups}
}

func benchIncidents(b *testing.B) int {
	if v := os.Getenv("STEWARD_BENCH_INCIDENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("STEWARD_BENCH_INCIDENTS=%q is not a positive number", v)
		}
		return n
	}
	return 20000
}

// firstID returns the smallest id in a table, for filters that need one.
func firstID(b *testing.B, db *store.DB, table string) int64 {
	var id int64
	if err := db.QueryRow(context.Background(), "SELECT MIN(id) FROM "+table).Scan(&id); err != nil {
		b.Fatal(err)
	}
	return id
}

func newIncident(i int64, group int64) incident.NewIncident {
	levels := []incident.Level{incident.High, incident.Medium, incident.Low}
	return incident.NewIncident{
		Title:       fmt.Sprintf("Printer on floor %d shows paper jam", i%7),
		Description: "The printer reports a jam but the tray is empty; jobs stay queued.",
		Category:    "hardware", Impact: levels[i%3], Urgency: levels[(i/3)%3], GroupID: &group,
	}
}

// BenchmarkCreate creates incidents one after another through the service,
// as one API request does: validation, the write transaction with journal
// and audit entry, and reading the incident back.
func BenchmarkCreate(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		// Set up outside b.Run: the body of a benchmark may run more than once.
		svc, admin := benchOrg(b, e.DB, 0)
		group := firstID(b, e.DB, "support_groups")
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			var i int64
			for b.Loop() {
				i++
				if _, err := svc.Create(ctx, admin, newIncident(i, group), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreateParallel creates from 16 goroutines at once, like 16 API
// clients: on SQLite the writers queue for the single write connection.
func BenchmarkCreateParallel(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		// Set up outside b.Run: the body of a benchmark may run more than once.
		svc, admin := benchOrg(b, e.DB, 0)
		group := firstID(b, e.DB, "support_groups")
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			var n atomic.Int64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := svc.Create(ctx, admin, newIncident(n.Add(1), group), nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// benchFilters are the list views the HTTP load test cycles through.
func benchFilters(group, customer int64) []struct {
	name string
	f    incident.Filter
} {
	return []struct {
		name string
		f    incident.Filter
	}{
		{"open", incident.Filter{States: incident.OpenStates}},
		{"open_P1_P2", incident.Filter{States: incident.OpenStates, Priorities: []incident.Priority{1, 2}}},
		{"open_group", incident.Filter{States: incident.OpenStates, GroupIDs: []int64{group}}},
		{"open_unassigned", incident.Filter{States: incident.OpenStates, Unassigned: true}},
		{"open_by_updated", incident.Filter{States: incident.OpenStates, Sort: "-updated_at"}},
		{"customer", incident.Filter{CustomerID: customer}},
		{"group_unassigned_by_updated", incident.Filter{States: incident.OpenStates, GroupIDs: []int64{group}, Unassigned: true, Sort: "-updated_at"}},
	}
}

// BenchmarkList reads one page of 50 for each filter.
func BenchmarkList(b *testing.B) {
	n := benchIncidents(b)
	for _, e := range storetest.Engines(b) {
		svc, admin := benchOrg(b, e.DB, n)
		group, customer := firstID(b, e.DB, "support_groups"), firstID(b, e.DB, "customers")
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			for _, c := range benchFilters(group, customer) {
				b.Run(c.name, func(b *testing.B) {
					c.f.Limit = 50
					for b.Loop() {
						page, err := svc.List(ctx, admin, c.f)
						if err != nil {
							b.Fatal(err)
						}
						if len(page.Items) == 0 {
							b.Fatal("empty page")
						}
					}
				})
			}
		})
	}
}

// BenchmarkSearch runs full-text searches for words in the seeded data.
func BenchmarkSearch(b *testing.B) {
	n := benchIncidents(b)
	for _, e := range storetest.Engines(b) {
		svc, admin := benchOrg(b, e.DB, n)
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			for _, c := range []struct {
				name string
				f    incident.Filter
			}{
				{"printer", incident.Filter{Query: "printer"}},
				{"vpn", incident.Filter{Query: "vpn"}},
				{"prefix_outl", incident.Filter{Query: "outl*"}},
				{"timeout_open", incident.Filter{Query: "timeout", States: incident.OpenStates}},
				{"two_words", incident.Filter{Query: "disk full"}},
			} {
				b.Run(c.name, func(b *testing.B) {
					c.f.Limit = 50
					for b.Loop() {
						if _, err := svc.List(ctx, admin, c.f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// queueShape is one queue as the product asks for it.
type queueShape struct {
	name string
	f    incident.Filter
}

// queueShapes are the queues the product ships, as agent sees them: the
// tabs of the incident page (my open, my groups, unassigned, major, all
// open, all) and the group filter on the open and unassigned tabs, each in
// every order the page offers (last update first, the default; longest
// untouched; newest; oldest; priority), and the API filters of the
// `steward bench` list run that the tabs do not cover. big and small are
// the groups with the most and the fewest incidents.
func queueShapes(agent *auth.Principal, big, small, customer int64) []queueShape {
	open := incident.OpenStates
	yes := true
	queues := []queueShape{
		{"mine", incident.Filter{States: open, AssigneeID: agent.UserID}},
		{"groups", incident.Filter{States: open, GroupIDs: agent.GroupIDs}},
		{"unassigned", incident.Filter{States: open, Unassigned: true}},
		{"unassigned_group_big", incident.Filter{States: open, Unassigned: true, GroupIDs: []int64{big}}},
		{"unassigned_group_small", incident.Filter{States: open, Unassigned: true, GroupIDs: []int64{small}}},
		{"major", incident.Filter{States: open, Major: &yes}},
		{"open", incident.Filter{States: open}},
		{"open_group_big", incident.Filter{States: open, GroupIDs: []int64{big}}},
		{"open_group_small", incident.Filter{States: open, GroupIDs: []int64{small}}},
		{"all", incident.Filter{}},
	}
	var out []queueShape
	for _, q := range queues {
		for _, sort := range []string{"-updated_at", "updated_at", "-created_at", "created_at", "priority"} {
			f := q.f
			f.Sort = sort
			out = append(out, queueShape{q.name + "/" + sort, f})
		}
	}
	return append(out,
		queueShape{"api_open_P1_P2/-created_at", incident.Filter{States: open, Priorities: []incident.Priority{1, 2}}},
		queueShape{"api_customer/-created_at", incident.Filter{CustomerID: customer}},
	)
}

// queueEngines are the databases BenchmarkQueues runs on: the one named by
// STEWARD_BENCH_QUEUES_DB (a SQLite data folder or a PostgreSQL URL, seeded
// beforehand with `steward seed --desk`), or fresh ones seeded here.
func queueEngines(b *testing.B) []storetest.Engine {
	ctx := context.Background()
	target := os.Getenv("STEWARD_BENCH_QUEUES_DB")
	if target == "" {
		engines := storetest.Engines(b)
		for _, e := range engines {
			svc := incident.NewService(e.DB, 7*24*time.Hour)
			if err := demo.SeedDesk(ctx, e.DB, svc, benchIncidents(b), nil); err != nil {
				b.Fatal(err)
			}
		}
		return engines
	}
	opts, name := store.Options{DataDir: target}, "sqlite"
	if n, err := strconv.Atoi(os.Getenv("STEWARD_BENCH_READ_CONNS")); err == nil {
		opts.ReadConns = n
	}
	if strings.HasPrefix(target, "postgres") {
		opts, name = store.Options{DatabaseURL: target}, "postgres"
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return []storetest.Engine{{Name: name, DB: db}}
}

// BenchmarkQueues reads the first page (50) of every shipped queue from 16
// clients at once and reports, per queue, the median and 99th percentile
// of one page, and the rows it showed. The data is a desk's year
// (demo.SeedDesk), and the planner's statistics are refreshed first, as
// the server does when it starts.
//
//	STEWARD_BENCH_INCIDENTS=100000 go test -run '^$' -bench Queues -benchtime 2000x ./internal/incident/
func BenchmarkQueues(b *testing.B) {
	ctx := context.Background()
	for _, e := range queueEngines(b) {
		if err := e.DB.Optimize(ctx); err != nil {
			b.Fatal(err)
		}
		if e.DB.Dialect() == store.Postgres {
			if _, err := e.DB.Exec(ctx, "ANALYZE incidents"); err != nil {
				b.Fatal(err)
			}
		}
		svc := incident.NewService(e.DB, 7*24*time.Hour)
		agent := principal(b, e.DB, "agent@steward.demo", auth.Agent)
		big, small := groupBySize(b, e.DB, "DESC"), groupBySize(b, e.DB, "ASC")
		customer := firstID(b, e.DB, "customers")
		b.Run(e.Name, func(b *testing.B) {
			for _, q := range queueShapes(agent, big, small, customer) {
				b.Run(q.name, func(b *testing.B) {
					q.f.Limit = 50
					p50, p99, rows := pagesAtOnce(b, 16, func() (int, error) {
						page, err := svc.List(ctx, agent, q.f)
						return len(page.Items), err
					})
					b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
					b.ReportMetric(float64(rows), "rows")
				})
			}
		})
	}
}

// pagesAtOnce runs b.N pages from the given number of clients at once and
// returns the median and 99th percentile of one page, and the rows of the
// last one. Every client first reads a few pages unmeasured, as a running
// server has: PostgreSQL plans a prepared statement afresh for its first
// five runs on each connection before it keeps one plan.
func pagesAtOnce(b *testing.B, clients int, page func() (int, error)) (p50, p99 time.Duration, rows int) {
	var warm sync.WaitGroup
	for range clients {
		warm.Go(func() {
			for range 8 {
				if _, err := page(); err != nil {
					b.Error(err)
				}
			}
		})
	}
	warm.Wait()
	var mu sync.Mutex
	var took []time.Duration
	var last atomic.Int64
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			n, err := page()
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
			last.Store(int64(n))
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(took) == 0 {
		return 0, 0, 0
	}
	slices.Sort(took)
	return took[len(took)/2], took[(len(took)*99+99)/100-1], int(last.Load())
}

// groupBySize returns the group with the most incidents (dir DESC) or the
// fewest (ASC).
func groupBySize(b *testing.B, db *store.DB, dir string) int64 {
	var id int64
	err := db.QueryRow(context.Background(), "SELECT group_id FROM incidents WHERE group_id IS NOT NULL GROUP BY group_id ORDER BY COUNT(*) "+dir+", group_id LIMIT 1").Scan(&id)
	if err != nil {
		b.Fatal(err)
	}
	return id
}
