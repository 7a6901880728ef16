package availability_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/availability"
	"steward/internal/cmdb"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// fx is a database with people, services and the availability service.
type fx struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	svc   *availability.Service
	cmdb  *cmdb.Service
	admin *auth.Principal
	owner *auth.Principal // an agent owning the services made by service()
	other *auth.Principal // an agent owning none
	audit *auth.Principal
	now   time.Time
}

// at is an instant on Monday 2 March 2026, UTC.
func at(day, h, m int) time.Time { return time.Date(2026, 3, 1+day, h, m, 0, 0, time.UTC) }

func newFx(t *testing.T, e storetest.Engine) *fx {
	t.Helper()
	f := &fx{t: t, ctx: context.Background(), db: e.DB, now: at(30, 0, 0)}
	f.cmdb = cmdb.NewService(e.DB, nil)
	f.svc = availability.NewService(e.DB, nil)
	f.svc.Calendars, f.svc.Impact = sla.NewService(e.DB, nil), f.cmdb
	f.svc.Now = func() time.Time { return f.now }
	mk := func(email string, role auth.Role) *auth.Principal {
		u, err := auth.CreateUser(f.ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: email, Role: role, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role}
	}
	f.admin, f.owner, f.other, f.audit = mk("admin@x.test", auth.Admin), mk("owner@x.test", auth.Agent), mk("other@x.test", auth.Agent), mk("auditor@x.test", auth.Auditor)
	return f
}

func (f *fx) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Exec(f.ctx, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fx) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.InTx(f.ctx, func(tx *store.Tx) error { return tx.QueryRow(f.ctx, q+" RETURNING id", args...).Scan(&id) }); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

// service makes a live service owned by f.owner.
func (f *fx) service(name string) int64 {
	return f.id(`INSERT INTO services (name, status, criticality, owner_id, created_at, updated_at) VALUES (?, 'live', 'high', ?, ?, ?)`,
		name, f.owner.UserID, store.TS(at(0, 0, 0)), store.TS(at(0, 0, 0)))
}

func (f *fx) outage(svc int64, from, to time.Time, w float64) {
	f.exec(`INSERT INTO outages (service_id, started_at, ended_at, weight, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		svc, store.TS(from), store.TS(to), w, store.TS(from), store.TS(from))
}

func (f *fx) target(svc int64, pct float64, cal *int64) {
	f.t.Helper()
	if _, err := f.svc.SetTarget(f.ctx, f.admin, svc, availability.TargetInput{Percent: pct, CalendarID: cal}); err != nil {
		f.t.Fatal(err)
	}
}

// change makes an approved change on svc with a planned window.
func (f *fx) change(state string, svc int64, from, to time.Time) int64 {
	id := f.id(`INSERT INTO changes (title, type, state, planned_start, planned_end, created_at, updated_at) VALUES ('Patch', 'normal', ?, ?, ?, ?, ?)`,
		state, store.TS(from), store.TS(to), store.TS(from), store.TS(from))
	if svc != 0 {
		f.exec("INSERT INTO change_services (change_id, service_id) VALUES (?, ?)", id, svc)
	}
	return id
}

func (f *fx) report(svc int64, from, to time.Time) availability.Figures {
	f.t.Helper()
	rep, err := f.svc.Report(f.ctx, f.admin, availability.ReportQuery{ServiceID: svc, From: from, To: to})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(rep.Services) != 1 {
		f.t.Fatalf("%d services in the report", len(rep.Services))
	}
	return rep.Services[0]
}

func val(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// standsOn gives svc a business service CI depending on an application
// CI, and answers both.
func (f *fx) standsOn(svc int64) (bs, app int64) {
	f.t.Helper()
	b := f.ci(cmdb.NewCI{Type: "Business service", Name: "bs-" + itoa(svc), ServiceID: &svc})
	a := f.ci(cmdb.NewCI{Type: "Application", Name: "app-" + itoa(svc)})
	f.relate(b, a, cmdb.DependsOn)
	return b, a
}

func (f *fx) ci(in cmdb.NewCI) int64 {
	f.t.Helper()
	c, err := f.cmdb.CreateCI(f.ctx, f.admin.Actor(), in, nil)
	if err != nil {
		f.t.Fatalf("create %s: %v", in.Name, err)
	}
	return c.ID
}

func (f *fx) relate(from, to int64, typ cmdb.RelType) {
	f.t.Helper()
	if _, err := f.cmdb.Relate(f.ctx, f.admin.Actor(), cmdb.NewRelationship{SourceID: from, TargetID: to, Type: typ}, nil); err != nil {
		f.t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
