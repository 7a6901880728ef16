package schedule_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/config"
	"steward/internal/schedule"
	"steward/internal/store"
)

// The benchmarks run on a generated CMDB fleet (cmdb.GenerateFleet) of
// STEWARD_BENCH_SCHEDULE_CIS CIs (default 20,000) and
// STEWARD_BENCH_SCHEDULE_CHANGES changes (default 100,000) spread over
// the five years 2022-2026, each touching one to five CIs (mostly
// applications, servers, databases, switches and gateways, some
// sensors), one or two services, and assigned among 60 people. Changes
// before 2026-07-01 are mostly closed; later ones are open in every
// state, drafts included. The data lives in STEWARD_BENCH_SCHEDULE_DIR (a
// temporary folder when unset; a kept folder is reused on the next run).

type benchData struct {
	a        *app.App
	svc      *schedule.Service
	hot      []int64 // CIs changes touch most
	services []int64
	users    []int64
	session  string
	feed     string
}

var bench *benchData

const benchNow = "2026-07-01T00:00:00Z"

func benchInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func openBench(b *testing.B) *benchData {
	b.Helper()
	if bench != nil {
		return bench
	}
	ctx := context.Background()
	dir := os.Getenv("STEWARD_BENCH_SCHEDULE_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	cfg := config.Config{DataDir: dir, LogLevel: "error", LogFormat: "text", CookieSecure: "auto", ReadConns: 4}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	a := app.New(cfg, db, log)
	d := &benchData{a: a, svc: a.Schedule}
	var cis, changes int
	db.QueryRow(ctx, "SELECT count(*) FROM cis").Scan(&cis)
	db.QueryRow(ctx, "SELECT count(*) FROM changes").Scan(&changes)
	if cis == 0 {
		n := benchInt("STEWARD_BENCH_SCHEDULE_CIS", 20000)
		start := time.Now()
		tmp := b.TempDir()
		cf, _ := os.Create(filepath.Join(tmp, "cis.csv"))
		rf, _ := os.Create(filepath.Join(tmp, "rels.csv"))
		counts, err := cmdb.GenerateFleet(cmdb.FleetSpec{CIs: n, Seed: 1}, cf, rf)
		cf.Close()
		rf.Close()
		if err != nil {
			b.Fatal(err)
		}
		cf, _ = os.Open(filepath.Join(tmp, "cis.csv"))
		rf, _ = os.Open(filepath.Join(tmp, "rels.csv"))
		if _, err := a.CMDB.Import(ctx, audit.System, cmdb.ImportOptions{CIs: cf, Relationships: rf}); err != nil {
			b.Fatal(err)
		}
		cf.Close()
		rf.Close()
		b.Logf("fleet of %d CIs and %d relationships imported in %s", counts.CIs, counts.Relationships, time.Since(start).Round(time.Second))
	}
	d.hot = benchIDs(b, db, `SELECT c.id FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE t.name <> 'Sensor' ORDER BY c.id`)
	sensors := benchIDs(b, db, `SELECT c.id FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE t.name = 'Sensor' ORDER BY c.id LIMIT 20000`)
	if changes == 0 {
		d.seed(b, sensors, benchInt("STEWARD_BENCH_SCHEDULE_CHANGES", 100000))
		if err := db.Optimize(ctx); err != nil {
			b.Fatal(err)
		}
	}
	d.services = benchIDs(b, db, "SELECT id FROM services ORDER BY id")
	d.users = benchIDs(b, db, "SELECT id FROM users WHERE role = 'agent' ORDER BY id")
	var email string
	if err := db.QueryRow(ctx, "SELECT email FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").Scan(&email); err != nil {
		b.Fatal(err)
	}
	tok, _, err := a.SignIn.Login(ctx, email, "a-long-password", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	d.session = tok
	var admin int64
	db.QueryRow(ctx, "SELECT id FROM users WHERE email = ?", email).Scan(&admin)
	if d.feed, _, err = d.svc.CreateFeedToken(ctx, audit.System, admin); err != nil {
		b.Fatal(err)
	}
	var n int
	db.QueryRow(ctx, "SELECT count(*) FROM changes").Scan(&n)
	cis = 0
	db.QueryRow(ctx, "SELECT count(*) FROM cis").Scan(&cis)
	b.Logf("%d changes, %d CIs (%d not sensors)", n, cis, len(d.hot))
	bench = d
	return d
}

func benchIDs(b *testing.B, db *store.DB, q string) []int64 {
	b.Helper()
	rows, err := db.Query(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		out = append(out, id)
	}
	return out
}

// seed writes the services, people and changes.
func (d *benchData) seed(b *testing.B, sensors []int64, n int) {
	ctx := context.Background()
	db := d.a.DB
	start := time.Now()
	for i := 0; i < 60; i++ {
		role := auth.Agent
		if i == 0 {
			role = auth.Admin
		}
		if _, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: fmt.Sprintf("person%d@bench.test", i),
			Name: fmt.Sprintf("Person %d", i), Role: role, Password: "a-long-password"}); err != nil {
			b.Fatal(err)
		}
	}
	users := benchIDs(b, db, "SELECT id FROM users ORDER BY id")
	var services []int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < 40; i++ {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES (?, 'live', 'high', ?, ?) RETURNING id`,
				fmt.Sprintf("Service %d", i), benchNow, benchNow).Scan(&id); err != nil {
				return err
			}
			services = append(services, id)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	from := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Sub(from)
	now, _ := time.Parse(time.RFC3339, benchNow)
	open := []string{"draft", "assessment", "approval", "scheduled", "scheduled", "scheduled"}
	const batch = 5000
	for done := 0; done < n; done += batch {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := done; i < min(done+batch, n); i++ {
				st := from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(15 * time.Minute)
				en := st.Add(time.Duration(1+rng.IntN(8)) * time.Hour)
				state := "closed"
				switch {
				case st.After(now):
					state = open[rng.IntN(len(open))]
				case rng.IntN(20) == 0:
					state = []string{"cancelled", "rejected", "review"}[rng.IntN(3)]
				}
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, assignee_id, planned_start, planned_end, created_at, updated_at)
					VALUES (?, 'normal', ?, ?, ?, ?, ?, ?) RETURNING id`, fmt.Sprintf("Bench change %d", i), state, users[rng.IntN(len(users))],
					store.TS(st), store.TS(en), store.TS(st.AddDate(0, 0, -7)), store.TS(st)).Scan(&id); err != nil {
					return err
				}
				seen := map[int64]bool{}
				for k := 1 + rng.IntN(5); k > 0; k-- {
					ci := d.hot[rng.IntN(len(d.hot))]
					if rng.IntN(4) == 0 && len(sensors) > 0 {
						ci = sensors[rng.IntN(len(sensors))]
					}
					if seen[ci] {
						continue
					}
					seen[ci] = true
					if _, err := tx.Exec(ctx, "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('change', ?, ?, ?)", id, ci, store.TS(st)); err != nil {
						return err
					}
				}
				for _, s := range []int64{services[rng.IntN(len(services))], services[rng.IntN(len(services))]}[:1+rng.IntN(2)] {
					tx.Exec(ctx, "INSERT INTO change_services (change_id, service_id) VALUES (?, ?) ON CONFLICT DO NOTHING", id, s)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d changes written in %s", n, time.Since(start).Round(time.Second))
}

// timed runs op b.N times and reports p50 and p99 besides the mean.
func timed(b *testing.B, op func(i int) int) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	found := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		found += op(i)
		durs = append(durs, time.Since(t))
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[(len(durs)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(found)/float64(b.N), "items/op")
}

// BenchmarkConflicts50CIs: the conflicts of a change touching 50 CIs,
// planned for four hours at a random time in the half year after now
// (where the open changes are), with two services and an assignee.
func BenchmarkConflicts50CIs(b *testing.B) {
	d := openBench(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	now, _ := time.Parse(time.RFC3339, benchNow)
	if _, err := d.a.CMDB.Stats(ctx); err != nil { // loads the impact graph
		b.Fatal(err)
	}
	timed(b, func(i int) int {
		w := schedule.Window{Start: now.Add(time.Duration(rng.Int64N(int64(180 * 24 * time.Hour)))).Truncate(time.Hour),
			Services: []int64{d.services[rng.IntN(len(d.services))], d.services[rng.IntN(len(d.services))]}, AssigneeID: d.users[rng.IntN(len(d.users))]}
		w.End = w.Start.Add(4 * time.Hour)
		for len(w.CIs) < 50 {
			w.CIs = append(w.CIs, d.hot[rng.IntN(len(d.hot))])
		}
		list, err := d.svc.Conflicts(ctx, d.a.DB, w)
		if err != nil {
			b.Fatal(err)
		}
		return len(list)
	})
}

// get answers one request through the whole HTTP stack.
func (d *benchData) get(b *testing.B, path string, cookie bool) []byte {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if cookie {
		req.AddCookie(&http.Cookie{Name: "steward_session", Value: d.session})
	}
	rec := httptest.NewRecorder()
	d.a.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// months are the 60 months of the five years, in random order.
func months() []time.Time {
	var out []time.Time
	for m := 0; m < 60; m++ {
		out = append(out, time.Date(2022, time.Month(1+m), 1, 0, 0, 0, 0, time.UTC))
	}
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// BenchmarkMonthPage: the month view page of a random month of the five
// years, rendered for a signed-in admin, with the clashes marked.
func BenchmarkMonthPage(b *testing.B) {
	d := openBench(b)
	ms := months()
	timed(b, func(i int) int {
		body := d.get(b, "/change-calendar?view=month&date="+ms[i%len(ms)].Format("2006-01-02"), true)
		return strings.Count(string(body), `class="cal-item cal-change`)
	})
}

// BenchmarkMonthAPI: the JSON calendar of a random month.
func BenchmarkMonthAPI(b *testing.B) {
	d := openBench(b)
	ms := months()
	timed(b, func(i int) int {
		cal, err := d.svc.Calendar(context.Background(), d.a.DB, schedule.CalendarQuery{From: ms[i%len(ms)], To: ms[i%len(ms)].AddDate(0, 1, 0)}, schedule.MaxRange)
		if err != nil {
			b.Fatal(err)
		}
		return len(cal.Changes)
	})
}

// BenchmarkFeedMonth: the iCalendar feed of a random month, through the
// HTTP stack with a feed token.
func BenchmarkFeedMonth(b *testing.B) {
	d := openBench(b)
	ms := months()
	timed(b, func(i int) int {
		m := ms[i%len(ms)]
		body := d.get(b, "/calendar/changes.ics?token="+d.feed+"&from="+m.Format("2006-01-02")+"&to="+m.AddDate(0, 1, 0).Format("2006-01-02"), false)
		return strings.Count(string(body), "BEGIN:VEVENT")
	})
}
