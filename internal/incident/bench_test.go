package incident_test

// Benchmarks of incident management straight on the store, without HTTP:
// create, a filtered list page and a full-text search, on SQLite in a
// temporary folder and, when STEWARD_TEST_POSTGRES_URL is set, on
// PostgreSQL in a fresh schema per benchmark. The list and search
// benchmarks seed STEWARD_BENCH_INCIDENTS incidents first (default 20000).
//
//	go test -run '^$' -bench . -benchmem ./internal/incident/

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"steward/internal/store/storetest"
	"strconv"
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
	u, err := auth.UserByEmail(ctx, db, "admin@steward.demo")
	if err != nil {
		b.Fatal(err)
	}
	groups, err := auth.GroupIDs(ctx, db, u.ID)
	if err != nil {
		b.Fatal(err)
	}
	return svc, &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: auth.Admin, GroupIDs: groups}
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
