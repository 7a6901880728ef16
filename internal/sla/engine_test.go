package sla

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/org"
	"steward/internal/store"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

const officeWindows = `[{"weekday":"monday","start":"09:00","end":"17:00"},{"weekday":"tuesday","start":"09:00","end":"17:00"},
{"weekday":"wednesday","start":"09:00","end":"17:00"},{"weekday":"thursday","start":"09:00","end":"17:00"},
{"weekday":"friday","start":"09:00","end":"17:00"}]`

// engineWorld has an office calendar, one agreement and a resolution
// definition for incidents: P1 4h, anything else 8h.
type engineWorld struct {
	e      storetest.Engine
	svc    *Service
	cal    int64
	def    int64
	group  int64
	member int64
}

func newEngineWorld(t *testing.T, e storetest.Engine) *engineWorld {
	t.Helper()
	ctx := context.Background()
	w := &engineWorld{e: e, svc: NewService(e.DB, nil)}
	g, err := org.Groups.Create(ctx, e.DB, audit.System, "Service Desk")
	if err != nil {
		t.Fatal(err)
	}
	w.group = g.ID
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "agent@example.com", Name: "Agent", Role: auth.Agent, Password: "correct horse battery", GroupIDs: []int64{g.ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.member = u.ID
	now := store.TS(time.Now())
	err = e.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO calendars (name, time_zone, windows, holidays, created_at, updated_at)
			VALUES ('Office', 'Europe/Berlin', ?, '[]', ?, ?) RETURNING id`, officeWindows, now, now).Scan(&w.cal); err != nil {
			return err
		}
		var agr int64
		if err := tx.QueryRow(ctx, `INSERT INTO agreements (kind, name, supplier_name, created_at, updated_at)
			VALUES ('uc', 'Desk contract', 'Acme Field Services', ?, ?) RETURNING id`, now, now).Scan(&agr); err != nil {
			return err
		}
		goals, _ := json.Marshal([]Goal{
			{Match: []Clause{{Field: "priority", Op: "in", Values: []string{"P1"}}}, Target: "4h", CalendarID: w.cal},
			{Target: "8h", CalendarID: w.cal},
		})
		return tx.QueryRow(ctx, `INSERT INTO sla_definitions (agreement_id, name, applies_to, metric, goals, created_at, updated_at)
			VALUES (?, 'Resolution', 'incident', 'resolution', ?, ?, ?) RETURNING id`, agr, string(goals), now, now).Scan(&w.def)
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// change feeds one ticket change to the engine, as the incident service does.
func (w *engineWorld) change(t *testing.T, at time.Time, before, after *ticket.Snapshot) {
	t.Helper()
	err := w.e.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return w.svc.TicketChanged(context.Background(), tx, at, before, after)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sweep runs the escalation job at a Berlin wall time, claiming the
// pending sweep first as the worker would.
func (w *engineWorld) sweep(t *testing.T, at string) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.e.DB.Exec(ctx, `UPDATE jobs SET state = 'running' WHERE kind = ? AND state = 'pending'`, EscalateJob); err != nil {
		t.Fatal(err)
	}
	w.svc.Now = func() time.Time { return bt(t, at) }
	if err := w.svc.Escalate(ctx, jobs.Job{}); err != nil {
		t.Fatal(err)
	}
}

func (w *engineWorld) timers(t *testing.T, id int64, now time.Time) []Timer {
	t.Helper()
	w.svc.Now = func() time.Time { return now }
	ts, err := w.svc.Timers(context.Background(), ticket.Incident, id)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// incidentRow inserts a bare incident for the snapshot to point at.
func (w *engineWorld) incidentRow(t *testing.T, title string) int64 {
	t.Helper()
	var id int64
	now := store.TS(time.Now())
	err := w.e.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO incidents (title, impact, urgency, priority, state, group_id, created_at, updated_at)
			VALUES (?, 'medium', 'medium', 3, 'new', ?, ?, ?) RETURNING id`, title, w.group, now, now).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestEngineStoresTimersAndEscalates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newEngineWorld(t, e)
		id := w.incidentRow(t, "Printer on fire")
		snap := ticket.Snapshot{Kind: ticket.Incident, ID: id, State: "new", Priority: "P3", GroupID: w.group}
		w.change(t, bt(t, "2026-11-23 09:00"), nil, &snap)
		ts := w.timers(t, id, bt(t, "2026-11-23 10:00"))
		if len(ts) != 1 || ts[0].State != Running || ts[0].ElapsedSeconds != 3600 || ts[0].TargetSeconds != 8*3600 {
			t.Fatalf("after creation: %+v", ts)
		}
		wantTime(t, "due_at", ts[0].DueAt, "2026-11-23 17:00")

		// Hold overnight: no business time passes, the due stays put.
		held := snap
		held.State = "on_hold"
		w.change(t, bt(t, "2026-11-23 13:00"), &snap, &held)
		back := held
		back.State = "in_progress"
		w.change(t, bt(t, "2026-11-24 09:00"), &held, &back)
		ts = w.timers(t, id, bt(t, "2026-11-24 09:00"))
		if ts[0].ElapsedSeconds != 4*3600 || ts[0].State != Running {
			t.Fatalf("after the hold: %+v", ts[0])
		}
		wantTime(t, "due_at", ts[0].DueAt, "2026-11-24 13:00")

		// The member reads times in Tokyo; the journal and the feed keep
		// the calendar's zone.
		if _, err := auth.SetPreferences(ctx, e.DB, audit.System, w.member, auth.Preferences{TimeZone: "Asia/Tokyo", Locale: "en-GB"}); err != nil {
			t.Fatal(err)
		}

		// At 12:00 both 50% (Monday 13:00) and 75% (Tuesday 11:00) were
		// crossed since the last look: one note, for the furthest.
		w.sweep(t, "2026-11-24 12:00")
		var body string
		if err := e.DB.QueryRow(ctx, `SELECT body FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT 1`, w.member).Scan(&body); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "due Tue 24 Nov 21:00 JST") {
			t.Errorf("the notification reads %q, want the due instant in the reader's zone, Tue 24 Nov 21:00 JST", body)
		}
		acts, err := activity.List(ctx, e.DB, activity.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want := "Three quarters of the 8-hour resolution target is used; due Tue 24 Nov 13:00 CET."
		if len(acts) != 1 || acts[0].Kind != "sla.warning" || acts[0].Summary != want {
			t.Fatalf("activity after the first sweep: %+v, want one warning %q", acts, want)
		}
		var pending store.Time
		if err := e.DB.QueryRow(ctx, `SELECT run_at FROM jobs WHERE kind = ? AND state = 'pending'`, EscalateJob).Scan(&pending); err != nil {
			t.Fatalf("no sweep scheduled: %v", err)
		}
		if !pending.Equal(bt(t, "2026-11-24 12:12")) { // 90% of 8h = 7h12m
			t.Errorf("next sweep at %s, want the 90%% instant 12:12 Berlin", pending.Time)
		}
		w.sweep(t, "2026-11-24 12:15")
		w.sweep(t, "2026-11-24 13:00")
		acts, _ = activity.List(ctx, e.DB, activity.Filter{After: acts[0].ID})
		want = "The 8-hour resolution target was used up at Tue 24 Nov 13:00 CET; the ticket is overdue."
		if len(acts) != 2 || acts[0].Kind != "sla.warning" || acts[0].Summary[:3] != "90%" || acts[1].Kind != "sla.breach" ||
			acts[1].Ref == "" || acts[1].Summary != want {
			t.Fatalf("activity at 90%% and at the due instant: %+v, want the breach to read %q", acts, want)
		}
		notes := storetest.Count(t, e.DB, `SELECT count(*) FROM incident_journal WHERE incident_id = ? AND author_name = 'SLA'`, id)
		notifications := storetest.Count(t, e.DB, `SELECT count(*) FROM notifications WHERE user_id = ?`, w.member)
		if notes != 3 || notifications != 3 {
			t.Errorf("journal entries %d, notifications %d; want 3 each", notes, notifications)
		}
		w.sweep(t, "2026-11-24 14:00")
		if more, _ := activity.List(ctx, e.DB, activity.Filter{After: acts[1].ID}); len(more) != 0 {
			t.Errorf("raised again: %+v", more)
		}
	})
}

func TestEngineRecomputesOpenTimersOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newEngineWorld(t, e)
		open := w.incidentRow(t, "open")
		done := w.incidentRow(t, "done")
		a := ticket.Snapshot{Kind: ticket.Incident, ID: open, State: "new", Priority: "P3"}
		b := ticket.Snapshot{Kind: ticket.Incident, ID: done, State: "new", Priority: "P3"}
		w.change(t, bt(t, "2026-11-23 09:00"), nil, &a)
		w.change(t, bt(t, "2026-11-23 09:00"), nil, &b)
		resolved := b
		resolved.State = "resolved"
		w.change(t, bt(t, "2026-11-23 12:00"), &b, &resolved)
		before := w.timers(t, done, bt(t, "2026-11-23 12:00"))[0]

		// Monday afternoon becomes a holiday.
		w.svc.Now = func() time.Time { return bt(t, "2026-11-23 10:00") }
		var n int
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE calendars SET holidays = ?, version = version + 1 WHERE id = ?`,
				`[{"date":"2026-11-23","start":"12:00","end":"17:00","yearly":false,"name":"Afternoon off"}]`, w.cal); err != nil {
				return err
			}
			var err error
			n, err = w.svc.RecomputeCalendar(ctx, tx, w.cal)
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("recompute: %d timers, %v", n, err)
		}
		ts := w.timers(t, open, bt(t, "2026-11-23 10:00"))
		wantTime(t, "due_at of the open timer", ts[0].DueAt, "2026-11-24 14:00")
		var stored store.Time
		if err := e.DB.QueryRow(ctx, `SELECT due_at FROM sla_timers WHERE id = ?`, ts[0].ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !stored.Equal(bt(t, "2026-11-24 14:00")) {
			t.Errorf("stored due_at %s, want Tuesday 14:00 Berlin", stored.Time)
		}
		after := w.timers(t, done, bt(t, "2026-11-23 12:00"))[0]
		if after.ElapsedSeconds != before.ElapsedSeconds || after.State != Met || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("the completed timer changed: before %+v after %+v", before, after)
		}
	})
}

// The incident service tells the engine about every write.
func TestIncidentsRunTimers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newEngineWorld(t, e)
		incs := incident.NewService(e.DB, 0)
		incs.Observer = w.svc
		admin := &auth.Principal{UserID: w.member, Role: auth.Admin, Email: "agent@example.com"}
		inc, err := incs.Create(ctx, admin, incident.NewIncident{Title: "Mail down", Impact: incident.High, Urgency: incident.High}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ts := w.timers(t, inc.ID, time.Now())
		if len(ts) != 1 || ts[0].TargetSeconds != 4*3600 || ts[0].Priority != "P1" {
			t.Fatalf("a P1 incident got %+v", ts)
		}
		hold := incident.OnHold
		reason := "awaiting_supplier"
		if _, err := incs.Update(ctx, admin, inc.ID, incident.Patch{State: &hold, HoldReason: &reason}, 0); err != nil {
			t.Fatal(err)
		}
		ts = w.timers(t, inc.ID, time.Now())
		if ts[0].State != Paused || ts[0].Running {
			t.Errorf("on hold: %s", ts[0].State)
		}
	})
}

// Changing a definition's goals re-targets open timers and leaves completed
// ones as they were.
func TestEngineRecomputesOnDefinitionChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newEngineWorld(t, e)
		open := w.incidentRow(t, "open")
		done := w.incidentRow(t, "done")
		a := ticket.Snapshot{Kind: ticket.Incident, ID: open, State: "new", Priority: "P3"}
		b := ticket.Snapshot{Kind: ticket.Incident, ID: done, State: "new", Priority: "P3"}
		w.change(t, bt(t, "2026-11-23 09:00"), nil, &a)
		w.change(t, bt(t, "2026-11-23 09:00"), nil, &b)
		resolved := b
		resolved.State = "resolved"
		w.change(t, bt(t, "2026-11-23 12:00"), &b, &resolved)
		// The incident row must agree with the snapshot for the rematch.
		if _, err := e.DB.Exec(ctx, `UPDATE incidents SET state = 'resolved' WHERE id = ?`, done); err != nil {
			t.Fatal(err)
		}

		goals, _ := json.Marshal([]Goal{{Target: "2h", CalendarID: w.cal}})
		w.svc.Now = func() time.Time { return bt(t, "2026-11-23 10:00") }
		var n int
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE sla_definitions SET goals = ?, version = version + 1 WHERE id = ?`, string(goals), w.def); err != nil {
				return err
			}
			var err error
			n, err = w.svc.RecomputeDefinition(ctx, tx, w.def)
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("recompute: %d timers, %v", n, err)
		}
		ts := w.timers(t, open, bt(t, "2026-11-23 10:30"))
		if ts[0].TargetSeconds != 7200 || ts[0].ElapsedSeconds != 5400 {
			t.Errorf("open timer after the change: target %d elapsed %d", ts[0].TargetSeconds, ts[0].ElapsedSeconds)
		}
		wantTime(t, "due_at", ts[0].DueAt, "2026-11-23 11:00")
		closed := w.timers(t, done, bt(t, "2026-11-23 12:00"))[0]
		if closed.TargetSeconds != 8*3600 || closed.State != Met || closed.ElapsedSeconds != 3*3600 {
			t.Errorf("completed timer changed: %+v", closed)
		}
	})
}

// A list page's clocks need one read connection, not two: TimersFor closes
// the timers' rows before it reads their calendars. It used to read each
// calendar inside the open result set, and a server with as many list
// requests at once as read connections stopped answering.
func TestTimersForOnOneReadConnection(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w := newEngineWorld(t, storetest.Engine{Name: "sqlite", DB: db})
	var ids []int64
	for _, title := range []string{"Printer on fire", "Mail is down"} {
		id := w.incidentRow(t, title)
		snap := ticket.Snapshot{Kind: ticket.Incident, ID: id, State: "new", Priority: "P3", GroupID: w.group}
		w.change(t, bt(t, "2026-11-23 09:00"), nil, &snap)
		ids = append(ids, id)
	}
	w.svc.Now = func() time.Time { return bt(t, "2026-11-23 10:00") }
	// A guard against hanging, not a measure: a read that waits on itself
	// gives up when this ends.
	limited, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	got, err := w.svc.TimersFor(limited, ticket.Incident, ids)
	if err != nil {
		t.Fatalf("the clocks of a list on one read connection: %v", err)
	}
	for _, id := range ids {
		if ts := got[id]; len(ts) != 1 || ts[0].State != Running || ts[0].ElapsedSeconds != 3600 {
			t.Errorf("incident %d: %+v, want one running clock an hour in", id, ts)
		}
	}
}
