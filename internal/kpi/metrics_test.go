package kpi_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"steward/internal/kpi"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

var (
	june = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	july = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
)

func at(day, hour int) string { return store.TS(time.Date(2026, 6, day, hour, 0, 0, 0, time.UTC)) }

// fixture writes a small, hand-counted set of records for June 2026, with
// a few outside it on either side.
func fixture(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error { return fill(tx) }); err != nil {
		t.Fatal(err)
	}
}

// fill writes the records; the first failure is returned (a test must
// not stop inside a transaction).
func fill(db *store.Tx) (failed error) {
	ctx := context.Background()
	now := at(1, 0)
	exec := func(q string, args ...any) int64 {
		var id int64
		if err := db.QueryRow(ctx, q+" RETURNING id", args...).Scan(&id); err != nil && failed == nil {
			failed = fmt.Errorf("%s: %w", q, err)
		}
		return id
	}
	user := exec(`INSERT INTO users (email, name, role, created_at, updated_at) VALUES ('o@x.test', 'Owner', 'admin', ?, ?)`, now, now)
	cal := exec(`INSERT INTO calendars (name, time_zone, created_at, updated_at) VALUES ('Test clock', 'UTC', ?, ?)`, now, now)
	agr := exec(`INSERT INTO agreements (kind, name, created_at, updated_at) VALUES ('sla', 'Test agreement', ?, ?)`, now, now)
	def := exec(`INSERT INTO sla_definitions (agreement_id, name, applies_to, metric, created_at, updated_at) VALUES (?, 'Fix', 'incident', 'resolution', ?, ?)`, agr, now, now)
	incident := func(prio int, created, resolved string, reopen int, major bool) int64 {
		var res any
		if resolved != "" {
			res = resolved
		}
		return exec(`INSERT INTO incidents (title, impact, urgency, priority, state, reopen_count, major, created_at, updated_at, resolved_at)
			VALUES ('i', 'high', 'high', ?, 'resolved', ?, ?, ?, ?, ?)`, prio, reopen, major, created, created, res)
	}
	timer := func(inc int64, state, decided string) {
		exec(`INSERT INTO sla_timers (ticket_kind, ticket_id, definition_id, agreement_id, metric, cycle, goal, calendar_id, target_seconds,
			state, running, started_at, decided_at, updated_at) VALUES ('incident', ?, ?, ?, 'resolution', 1, 0, ?, 3600, ?, ?, ?, ?, ?)`,
			inc, def, agr, cal, state, false, now, decided, now)
	}
	i1 := incident(1, at(2, 0), at(3, 0), 0, false) // 24 h, met
	timer(i1, "met", at(3, 0))
	i2 := incident(2, at(5, 0), at(5, 12), 1, true) // 12 h, breached, reopened
	timer(i2, "breached", at(5, 6))
	incident(3, store.TS(june.AddDate(0, 0, -12)), at(10, 0), 0, false) // 504 h, no clock
	i4 := incident(3, at(20, 0), "", 0, false)                          // open; repeats a known error
	incident(3, at(28, 0), store.TS(july.Add(time.Hour)), 0, false)     // resolved after June
	ke := exec(`INSERT INTO problems (title, state, created_at, updated_at, known_error_at) VALUES ('p', 'known_error', ?, ?, ?)`,
		store.TS(june.AddDate(0, -1, 0)), now, at(1, 8))
	exec(`INSERT INTO problems (title, state, created_at, updated_at) VALUES ('q', 'new', ?, ?)`, at(3, 0), now)
	exec(`INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_at) VALUES ('incident', ?, 'caused_by', 'problem', ?, ?)`, i4, ke, now)

	change := func(typ, state, outcome, review, created, closed string) {
		var c any
		if closed != "" {
			c = closed
		}
		exec(`INSERT INTO changes (title, type, state, outcome, review, created_at, updated_at, closed_at) VALUES ('c', ?, ?, ?, ?, ?, ?, ?)`,
			typ, state, outcome, review, created, created, c)
	}
	change("normal", "closed", "successful", "", at(2, 0), at(10, 0))
	change("emergency", "closed", "failed", "Root cause found", at(3, 0), at(11, 0))
	change("normal", "closed", "backed_out", "", at(4, 0), at(12, 0))
	change("emergency", "draft", "", "", at(14, 0), "")

	typ := int64(0)
	if err := db.QueryRow(ctx, "SELECT id FROM ci_types ORDER BY id LIMIT 1").Scan(&typ); err != nil {
		return err
	}
	old := store.TS(june.AddDate(-1, 0, 0))
	ci := func(status string) int64 {
		return exec(`INSERT INTO cis (type_id, name, status, created_at, updated_at) VALUES (?, 'ci', ?, ?, ?)`, typ, status, old, old)
	}
	a, b := ci("in_use"), ci("in_use")
	ci("retired")
	ver := exec(`INSERT INTO ci_verifications (verified_by, created_at) VALUES ('Owner', ?)`, store.TS(june.AddDate(0, -5, 0)))
	for _, x := range []struct {
		ci     int64
		result string
	}{{a, "ok"}, {b, "missing"}} {
		if _, err := db.Exec(ctx, `INSERT INTO ci_verification_items (verification_id, ci_id, result) VALUES (?, ?, ?)`, ver, x.ci, x.result); err != nil {
			return err
		}
	}
	rel := exec(`INSERT INTO releases (title, type, state, created_at, updated_at) VALUES ('r', 'minor', 'deployed', ?, ?)`, now, now)
	deploy := func(day string, verification string, rolledBack any) {
		exec(`INSERT INTO release_deployments (release_id, environment, ci_id, deployed_at, verification, rolled_back_at, created_at, updated_at)
			VALUES (?, 'prod', ?, ?, ?, ?, ?, ?)`, rel, a, day, verification, rolledBack, now, now)
	}
	deploy(at(5, 0), "passed", nil)
	deploy(at(6, 0), "failed", nil)
	deploy(at(7, 0), "passed", at(7, 4))
	deploy(store.TS(june.AddDate(0, -1, 0)), "failed", nil)

	nc := func(raised, closed string) {
		exec(`INSERT INTO nonconformities (title, state, raised_on, closed_at, created_at, updated_at) VALUES ('n', 'closed', ?, ?, ?, ?)`,
			raised, closed, now, now)
	}
	nc("2026-06-01", at(11, 0))  // 10 days
	nc("2026-05-01", at(20, 12)) // 50.5 days
	action := func(due, status string, done any) {
		exec(`INSERT INTO sms_actions (source_kind, source_id, title, owner_id, due_on, status, done_at, created_at, updated_at)
			VALUES ('nonconformity', 1, 'a', ?, ?, ?, ?, ?, ?)`, user, due, status, done, now, now)
	}
	action("2026-06-10", "open", nil)                             // overdue at the end of June
	action("2026-06-10", "done", at(5, 0))                        // done in time
	action("2026-07-15", "open", nil)                             // not due yet
	action("2026-06-20", "done", store.TS(july.AddDate(0, 0, 4))) // done, but late: overdue at the end of June
	return failed
}

// Every metric over June 2026, counted by hand from the fixture.
func TestMetricsOnHandMadeRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		fixture(t, e.DB)
		for _, c := range []struct {
			key   string
			value float64
			n     int
		}{
			{"incident.within_sla", 50, 2},
			{"incident.p1_within_sla", 100, 1},
			{"incident.mttr_hours", (24 + 12 + 504) / 3.0, 3},
			{"incident.reopened_pct", 100.0 / 3, 3},
			{"incident.major_count", 1, 4},
			{"request.within_target", 0, 0},
			{"request.mean_fulfilment_hours", 0, 0},
			{"problem.known_errors", 1, 2},
			{"problem.repeat_incident_pct", 25, 4},
			{"change.success_rate", 100.0 / 3, 3},
			{"change.emergency_pct", 100.0 / 3, 3},
			{"change.failed_reviewed_pct", 50, 2},
			{"release.change_failure_rate", 200.0 / 3, 3},
			{"cmdb.verified_pct", 50, 2},
			{"sla.targets_met_pct", 50, 2},
			{"nc.mean_days_to_close", 30.25, 2},
			{"nc.overdue_actions", 2, 4},
		} {
			t.Run(c.key, func(t *testing.T) {
				m, ok := kpi.Get(c.key)
				if !ok {
					t.Fatalf("no metric %s", c.key)
				}
				v, err := m.Compute(context.Background(), e.DB, june, july)
				if err != nil {
					t.Fatal(err)
				}
				if v.N != c.n || math.Abs(v.Value-c.value) > 1e-9 {
					t.Errorf("got %.4f over %d records, want %.4f over %d", v.Value, v.N, c.value, c.n)
				}
				if v.Link == "" {
					t.Error("no link to the records behind it")
				}
			})
		}
	})
}

// On a database without records no metric claims a figure.
func TestMetricsWithoutRecordsHaveNoData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		for _, m := range kpi.All() {
			v, err := m.Compute(context.Background(), e.DB, june, july)
			if err != nil {
				t.Fatalf("%s: %v", m.Key, err)
			}
			if !v.NoData() || v.Value != 0 {
				t.Errorf("%s: %v over %d records on an empty database", m.Key, v.Value, v.N)
			}
		}
	})
}

func TestSeriesBuckets(t *testing.T) {
	e := storetest.SQLite(t)
	fixture(t, e.DB)
	m, _ := kpi.Get("change.success_rate")
	pts, err := kpi.Series(context.Background(), e.DB, m, june, july, "week")
	if err != nil {
		t.Fatal(err)
	}
	// June 2026 starts on a Monday: 1, 8, 15, 22 and 29 June.
	if len(pts) != 5 || !pts[0].From.Equal(june) || !pts[4].To.Equal(july) {
		t.Fatalf("weeks: %+v", pts)
	}
	// Changes closed on 10, 11 and 12 June: all in the second week.
	if pts[1].N != 3 || pts[0].N != 0 || pts[2].N != 0 {
		t.Errorf("week counts %d %d %d, want 0 3 0", pts[0].N, pts[1].N, pts[2].N)
	}
	if _, err := kpi.Series(context.Background(), e.DB, m, july, june, "month"); err == nil {
		t.Error("a range ending before it starts was accepted")
	}
	if _, err := kpi.Series(context.Background(), e.DB, m, june.AddDate(-20, 0, 0), july, "month"); err == nil {
		t.Error("a series of 240 months was accepted")
	}
}
