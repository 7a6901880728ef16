package schedule_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/calendar"
	"steward/internal/cmdb"
	"steward/internal/schedule"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// fixture is a schedule service over a fresh database, with helpers that
// write changes the way the change records keep them.
type fixture struct {
	t    testing.TB
	ctx  context.Context
	db   *store.DB
	cmdb *cmdb.Service
	sla  *sla.Service
	svc  *schedule.Service
	now  time.Time
}

func newFixture(t testing.TB, e storetest.Engine) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fixture{t: t, ctx: context.Background(), db: e.DB, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.cmdb = cmdb.NewService(e.DB, log)
	f.sla = sla.NewService(e.DB, log)
	f.svc = schedule.NewService(e.DB, f.cmdb, f.sla)
	f.svc.Now = func() time.Time { return f.now }
	return f
}

func (f *fixture) ci(name string) int64 {
	f.t.Helper()
	c, err := f.cmdb.CreateCI(f.ctx, audit.System, cmdb.NewCI{Type: "Application", Name: name}, nil)
	if err != nil {
		f.t.Fatalf("CI %s: %v", name, err)
	}
	return c.ID
}

func (f *fixture) relate(source int64, typ cmdb.RelType, target int64) {
	f.t.Helper()
	if _, err := f.cmdb.Relate(f.ctx, audit.System, cmdb.NewRelationship{SourceID: source, TargetID: target, Type: typ}, nil); err != nil {
		f.t.Fatalf("relate: %v", err)
	}
}

func (f *fixture) service(name string) int64 {
	f.t.Helper()
	var id int64
	err := f.write(`INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES (?, 'live', 'high', ?, ?) RETURNING id`,
		&id, name, store.TS(f.now), store.TS(f.now))
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) user(name string, role auth.Role) int64 {
	f.t.Helper()
	u, err := auth.CreateUser(f.ctx, f.db, audit.System, auth.NewUser{Email: strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@schedule.test", Name: name, Role: role, Password: "a-long-password"})
	if err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

// change is a change record as the changes table holds it.
type change struct {
	title      string
	state      string
	start, end time.Time
	assignee   int64
	cis        []int64
	services   []int64
}

func (f *fixture) change(c change) (int64, string) {
	f.t.Helper()
	if c.state == "" {
		c.state = "scheduled"
	}
	if c.title == "" {
		c.title = "Change " + c.state
	}
	var asg any
	if c.assignee != 0 {
		asg = c.assignee
	}
	var id int64
	err := f.write(`INSERT INTO changes (title, type, state, assignee_id, planned_start, planned_end, created_at, updated_at)
		VALUES (?, 'normal', ?, ?, ?, ?, ?, ?) RETURNING id`, &id, c.title, c.state, asg, store.NullTS(c.start), store.NullTS(c.end),
		store.TS(f.now), store.TS(f.now))
	if err != nil {
		f.t.Fatal(err)
	}
	for _, ci := range c.cis {
		if _, err := f.db.Exec(f.ctx, "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('change', ?, ?, ?)", id, ci, store.TS(f.now)); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, s := range c.services {
		if _, err := f.db.Exec(f.ctx, "INSERT INTO change_services (change_id, service_id) VALUES (?, ?)", id, s); err != nil {
			f.t.Fatal(err)
		}
	}
	return id, fmt.Sprintf("CHG-%06d", id)
}

func (f *fixture) calendar(name string, windows ...calendar.Window) int64 {
	f.t.Helper()
	c, err := f.sla.CreateCalendar(f.ctx, audit.System, calendar.Spec{Name: name, TimeZone: "Europe/Berlin", Windows: windows})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

func (f *fixture) freeze(name string, start, end time.Time, services, cis []int64) int64 {
	f.t.Helper()
	fp, err := f.svc.CreateFreeze(f.ctx, audit.System, schedule.FreezeInput{Name: &name, Start: &start, End: &end, ServiceIDs: &services, CIIDs: &cis})
	if err != nil {
		f.t.Fatal(err)
	}
	return fp.ID
}

func (f *fixture) conflicts(w schedule.Window) []schedule.Conflict {
	f.t.Helper()
	out, err := f.svc.Conflicts(f.ctx, f.db, w)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// at is 2027-01-day at hh:mm UTC.
func at(day, hh, mm int) time.Time { return time.Date(2027, 1, day, hh, mm, 0, 0, time.UTC) }

// write runs an INSERT ... RETURNING id on the write connection.
func (f *fixture) write(sql string, id *int64, args ...any) error {
	return f.db.InTx(f.ctx, func(tx *store.Tx) error { return tx.QueryRow(f.ctx, sql, args...).Scan(id) })
}
