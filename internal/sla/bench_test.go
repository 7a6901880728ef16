package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/store"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

// The SLA benchmarks run against a database of closed and open incidents
// with their timers, computed by the real engine from synthetic lives:
// STEWARD_BENCH_SLA_CLOSED closed and STEWARD_BENCH_SLA_OPEN open tickets
// (defaults 20,000 and 2,000; docs/BENCHMARKS.md uses 1,000,000 and 50,000),
// on SQLite in a temporary folder, or on PostgreSQL at
// STEWARD_BENCH_SLA_PG_URL (an empty database or schema of its own). The
// database is seeded once per run and shared by the benchmarks.

var (
	benchWorlds  = map[string]*benchWorld{}
	benchCleanup []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range benchCleanup {
		f()
	}
	os.Exit(code)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n >= 0 {
		return n
	}
	return def
}

type benchWorld struct {
	svc     *Service
	db      *store.DB
	office  int64
	now     time.Time
	defs    []*Definition
	tickets int
}

const benchHolidays = `[{"date":"2026-01-01","yearly":true,"name":"New Year"},{"date":"2026-12-25","yearly":true,"name":"Christmas"},
{"date":"2026-12-26","yearly":true,"name":"Boxing Day"},{"date":"2026-05-01","yearly":true,"name":"Labour Day"},
{"date":"2026-10-03","yearly":true,"name":"Unity Day"},{"date":"2026-04-03","name":"Good Friday"},{"date":"2026-04-06","name":"Easter Monday"}]`

func seedBench(b *testing.B) *benchWorld {
	b.Helper()
	closed, open := envInt("STEWARD_BENCH_SLA_CLOSED", 20000), envInt("STEWARD_BENCH_SLA_OPEN", 2000)
	if w := benchWorlds[fmt.Sprint(closed, open)]; w != nil {
		return w // seeded once per run, shared by the benchmarks
	}
	ctx := context.Background()
	opts := store.Options{DatabaseURL: os.Getenv("STEWARD_BENCH_SLA_PG_URL"), ReadConns: 4}
	name := "postgres"
	if opts.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "steward-sla-bench-")
		if err != nil {
			b.Fatal(err)
		}
		opts.DataDir, name = dir, "sqlite"
		benchCleanup = append(benchCleanup, func() { os.RemoveAll(dir) })
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	e := storetest.Engine{Name: name, DB: db}
	w := &benchWorld{svc: NewService(e.DB, nil), db: e.DB, now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	w.svc.Now = func() time.Time { return w.now }
	start := time.Now()
	ts := store.TS(w.now)
	// Four customers, each with an SLA: response and resolution by priority.
	err = e.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO calendars (name, time_zone, windows, holidays, created_at, updated_at)
			VALUES ('Office', 'Europe/Berlin', ?, ?, ?, ?) RETURNING id`, officeWindows, benchHolidays, ts, ts).Scan(&w.office); err != nil {
			return err
		}
		for c := 1; c <= 4; c++ {
			var cust, agr int64
			if err := tx.QueryRow(ctx, `INSERT INTO customers (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`,
				fmt.Sprintf("Customer %d", c), ts, ts).Scan(&cust); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `INSERT INTO agreements (kind, name, customer_id, created_at, updated_at)
				VALUES ('sla', ?, ?, ?, ?) RETURNING id`, fmt.Sprintf("SLA Customer %d", c), cust, ts, ts).Scan(&agr); err != nil {
				return err
			}
			filter := []Clause{{Field: "customer_id", Op: "in", Values: []string{strconv.FormatInt(cust, 10)}}}
			for _, m := range []struct {
				metric  Metric
				targets []string
			}{{Response, []string{"15m", "1h", "4h", "8h", "2bd"}}, {Resolution, []string{"4h", "8h", "3bd", "5bd", "10bd"}}} {
				d := &Definition{AgreementID: agr, Name: string(m.metric), AppliesTo: ticket.Incident, Metric: m.metric,
					Filter: filter, Active: true}
				for i, t := range m.targets {
					cal := w.office
					if i == 0 {
						cal = BuiltinCalendarID
					}
					d.Goals = append(d.Goals, Goal{Match: []Clause{{Field: "priority", Op: "in", Values: []string{fmt.Sprintf("P%d", i+1)}}},
						Target: t, CalendarID: cal})
				}
				d.Normalize()
				fj, _ := json.Marshal(d.Filter)
				cj, _ := json.Marshal(d.Conditions)
				gj, _ := json.Marshal(d.Goals)
				if err := tx.QueryRow(ctx, `INSERT INTO sla_definitions (agreement_id, name, applies_to, metric, filter, conditions, goals, created_at, updated_at)
					VALUES (?, ?, 'incident', ?, ?, ?, ?, ?, ?) RETURNING id`, agr, d.Name, string(d.Metric), string(fj), string(cj), string(gj), ts, ts).Scan(&d.ID); err != nil {
					return err
				}
				w.defs = append(w.defs, d)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	cals := w.svc.calendars(ctx, e.DB)
	r := rand.New(rand.NewPCG(7, 11))
	prios := []string{"P1", "P2", "P2", "P3", "P3", "P3", "P3", "P4", "P4", "P5"}
	yearAgo := w.now.AddDate(-1, 0, 0)
	const batch = 5000
	total := closed + open
	for done := 0; done < total; done += batch {
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			for i := done; i < min(done+batch, total); i++ {
				isOpen := i >= closed
				var created time.Time
				if isOpen {
					created = w.now.Add(-time.Duration(r.Int64N(int64(14 * 24 * time.Hour))))
				} else {
					created = yearAgo.Add(time.Duration(r.Int64N(int64(w.now.Sub(yearAgo) - 30*24*time.Hour))))
				}
				created = created.Truncate(time.Second)
				cust := int64(i%4 + 1)
				prio := prios[r.IntN(len(prios))]
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, customer_id, created_at, updated_at)
					VALUES (?, 'medium', 'medium', ?, 'new', ?, ?, ?) RETURNING id`, "Synthetic incident", prio[1:], cust,
					store.TS(created), store.TS(created)).Scan(&id); err != nil {
					return err
				}
				s := ticket.Snapshot{Kind: ticket.Incident, ID: id, State: "new", Priority: prio, CustomerID: cust}
				// The life: first response, maybe a hold, then resolution.
				steps := []struct {
					at    time.Time
					state string
				}{{created, "new"}}
				t := created.Add(time.Duration(5+r.IntN(240)) * time.Minute)
				steps = append(steps, struct {
					at    time.Time
					state string
				}{t, "in_progress"})
				if r.IntN(5) == 0 {
					t = t.Add(time.Duration(30+r.IntN(600)) * time.Minute)
					steps = append(steps, struct {
						at    time.Time
						state string
					}{t, "on_hold"})
					t = t.Add(time.Duration(60+r.IntN(3000)) * time.Minute)
					steps = append(steps, struct {
						at    time.Time
						state string
					}{t, "in_progress"})
				}
				if !isOpen {
					t = t.Add(time.Duration(30+r.IntN(4000)) * time.Minute)
					steps = append(steps, struct {
						at    time.Time
						state string
					}{t, "resolved"})
				}
				timers := map[int64]*Timer{}
				var prev *ticket.Snapshot
				for _, st := range steps {
					if isOpen && st.at.After(w.now) {
						break
					}
					s.State = st.state
					for _, d := range w.defs[(i%4)*2 : (i%4)*2+2] {
						changed, err := Apply(d, timers[d.ID], prev, &s, st.at, cals)
						if err != nil {
							return err
						}
						for _, x := range changed {
							timers[d.ID] = x
						}
					}
					snap := s
					prev = &snap
				}
				if _, err := tx.Exec(ctx, `UPDATE incidents SET state = ? WHERE id = ?`, s.State, id); err != nil {
					return err
				}
				for _, x := range timers {
					if x.Open() {
						if err := x.Schedule(cals, DefaultWarnings, w.now); err != nil {
							return err
						}
					}
					if err := saveTimer(ctx, tx, x, w.now); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	w.tickets = total
	benchWorlds[fmt.Sprint(closed, open)] = w
	if err := e.DB.Optimize(ctx); err != nil {
		b.Logf("optimize: %v", err)
	}
	b.Logf("%s: seeded %d closed and %d open incidents with their timers in %s", e.Name, closed, open, time.Since(start).Round(time.Second))
	return w
}

// BenchmarkSLAMonthlyReport is the report for last month, every agreement.
func BenchmarkSLAMonthlyReport(b *testing.B) {
	w := seedBench(b)
	p, err := ParsePeriod("2026-10", "Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var rows, tickets int
	for i := 0; i < b.N; i++ {
		rep, err := w.svc.Report(context.Background(), ReportFilter{Period: p})
		if err != nil {
			b.Fatal(err)
		}
		rows, tickets = len(rep.Rows), 0
		for _, r := range rep.Rows {
			tickets += r.Tickets
		}
	}
	b.ReportMetric(float64(tickets), "timers/report")
	b.ReportMetric(float64(rows), "rows/report")
}

// BenchmarkSLARecomputeHoliday adds (and in the next round removes) a
// holiday on the calendar every open timer uses and recomputes them all
// in the same transaction, as saving the calendar does.
func BenchmarkSLARecomputeHoliday(b *testing.B) {
	w := seedBench(b)
	ctx := context.Background()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		hol := benchHolidays
		if i%2 == 0 {
			hol = hol[:len(hol)-1] + `,{"date":"2026-11-24","name":"Extra day off"}]`
		}
		err := w.db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE calendars SET holidays = ?, version = version + 1 WHERE id = ?`, hol, w.office); err != nil {
				return err
			}
			var err error
			n, err = w.svc.RecomputeCalendar(ctx, tx, w.office)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "timers/recompute")
}

// BenchmarkIncidentCreateWithTimers is incident.BenchmarkCreate with an
// SLA in force: each creation also starts a response and a resolution
// timer and schedules the escalation. Compare the two to see the engine's
// cost per ticket write.
func BenchmarkIncidentCreateWithTimers(b *testing.B) {
	e := storetest.SQLite(b)
	ctx := context.Background()
	svc := NewService(e.DB, nil)
	now := store.TS(time.Now())
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		var cal, agr int64
		if err := tx.QueryRow(ctx, `INSERT INTO calendars (name, time_zone, windows, holidays, created_at, updated_at)
			VALUES ('Office', 'Europe/Berlin', ?, ?, ?, ?) RETURNING id`, officeWindows, benchHolidays, now, now).Scan(&cal); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO agreements (kind, name, supplier_name, created_at, updated_at)
			VALUES ('uc', 'Contract', 'Acme', ?, ?) RETURNING id`, now, now).Scan(&agr); err != nil {
			return err
		}
		for _, m := range []string{"response", "resolution"} {
			goals := fmt.Sprintf(`[{"match":[{"field":"priority","op":"in","values":["P1"]}],"target":"1h","calendar_id":%d},{"match":[],"target":"8h","calendar_id":%d}]`, cal, cal)
			if _, err := tx.Exec(ctx, `INSERT INTO sla_definitions (agreement_id, name, applies_to, metric, goals, created_at, updated_at)
				VALUES (?, ?, 'incident', ?, ?, ?, ?)`, agr, m, m, goals, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	incs := incident.NewService(e.DB, 0)
	incs.Observer = svc
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "bench@example.com", Name: "Bench", Role: auth.Admin, Password: "a-long-password"})
	if err != nil {
		b.Fatal(err)
	}
	p := &auth.Principal{UserID: u.ID, Role: auth.Admin, Email: u.Email}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := incs.Create(ctx, p, incident.NewIncident{Title: "Printer jammed again"}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	timers := storetest.Count(b, e.DB, `SELECT count(*) FROM sla_timers`)
	b.ReportMetric(float64(timers)/float64(b.N), "timers/op")
}
