package availability_test

import (
	"testing"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Round the clock: overlapping outages count once, a partial one at its
// weight, an approved change's window is neither agreed time nor
// downtime (a draft's is), and an outage begun the day before counts
// from the period's start.
func TestAvailabilityRoundTheClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFx(t, e)
		svc := f.service("Portal")
		f.target(svc, 99.9, nil)
		f.outage(svc, at(1, 9, 0), at(1, 10, 0), 1)
		f.outage(svc, at(1, 9, 30), at(1, 10, 30), 1) // 09:00-10:30, one outage of 90 min
		f.outage(svc, at(1, 12, 0), at(1, 13, 0), .5) // 30 min down, 60 min long
		f.outage(svc, at(1, 20, 0), at(1, 22, 0), 1)  // half inside maintenance: 60 min
		f.outage(svc, at(0, 23, 0), at(1, 0, 30), 1)  // 30 min in the period
		f.change("scheduled", svc, at(1, 21, 0), at(1, 23, 0))
		f.change("draft", svc, at(1, 5, 0), at(1, 6, 0))
		got := f.report(svc, at(1, 0, 0), at(2, 0, 0))
		if got.AgreedMinutes != 1320 || got.MaintenanceMinutes != 120 || got.DowntimeMinutes != 210 {
			t.Errorf("agreed %v, maintenance %v, down %v; want 1320, 120, 210", got.AgreedMinutes, got.MaintenanceMinutes, got.DowntimeMinutes)
		}
		if val(got.Availability) != 84.091 || got.Status != "below" || val(got.Target) != 99.9 || got.Hours != "24x7" {
			t.Errorf("availability %v (%s) against %v over %s; want 84.091 below 99.9 over 24x7", val(got.Availability), got.Status, val(got.Target), got.Hours)
		}
		if got.Outages != 4 || val(got.MTRSMinutes) != 60 || val(got.MTBFHours) != 4.5 {
			t.Errorf("outages %d, MTRS %v min, MTBF %v h; want 4, 60, 4.5", got.Outages, val(got.MTRSMinutes), val(got.MTBFHours))
		}
		if len(got.Series) != 1 || val(got.Series[0].Availability) != 84.091 {
			t.Errorf("series %+v", got.Series)
		}
		// Without a target it is measured all the same.
		other := f.service("Mail")
		if g := f.report(other, at(1, 0, 0), at(2, 0, 0)); g.Status != "no_target" || val(g.Availability) != 100 || g.Outages != 0 || g.MTBFHours != nil {
			t.Errorf("service without target or outages: %+v", g)
		}
	})
}

// Over business hours (09:00-17:00 Berlin, weekdays) only the outage's
// part inside them counts; a weekend outage counts for nothing.
func TestAvailabilityOverBusinessHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFx(t, e)
		svc := f.service("Payroll")
		cal := f.id(`INSERT INTO calendars (name, time_zone, windows, created_at, updated_at) VALUES ('Office', 'Europe/Berlin', ?, ?, ?)`,
			`[{"weekday":"monday","start":"09:00","end":"17:00"},{"weekday":"tuesday","start":"09:00","end":"17:00"},{"weekday":"wednesday","start":"09:00","end":"17:00"},{"weekday":"thursday","start":"09:00","end":"17:00"},{"weekday":"friday","start":"09:00","end":"17:00"}]`,
			store.TS(at(0, 0, 0)), store.TS(at(0, 0, 0)))
		f.target(svc, 97.5, &cal)
		f.outage(svc, at(2, 15, 0), at(2, 18, 0), 1) // Tuesday 16:00-19:00 Berlin: 60 min in hours
		f.outage(svc, at(6, 10, 0), at(6, 12, 0), 1) // Saturday
		got := f.report(svc, at(1, 0, 0), at(8, 0, 0))
		if got.AgreedMinutes != 2400 || got.DowntimeMinutes != 60 || val(got.Availability) != 97.5 || got.Status != "met" || got.Hours != "Office" {
			t.Errorf("agreed %v, down %v, availability %v (%s) over %s; want 2400, 60, 97.5 met over Office",
				got.AgreedMinutes, got.DowntimeMinutes, val(got.Availability), got.Status, got.Hours)
		}
		if got.Outages != 1 || val(got.MTRSMinutes) != 60 || val(got.MTBFHours) != 39 {
			t.Errorf("outages %d, MTRS %v, MTBF %v; want 1, 60, 39", got.Outages, val(got.MTRSMinutes), val(got.MTBFHours))
		}
		if len(got.Series) != 7 || val(got.Series[0].Availability) != 100 || val(got.Series[1].Availability) != 87.5 || got.Series[5].Availability != nil {
			t.Errorf("daily series %v %v %v (of %d)", val(got.Series[0].Availability), val(got.Series[1].Availability), got.Series[5].Availability, len(got.Series))
		}
	})
}

// A change on a CI the service is built on is the service's maintenance
// too.
func TestMaintenanceOnACIReachesTheService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFx(t, e)
		svc := f.service("Shop")
		bs, app := f.standsOn(svc)
		_ = bs
		chg := f.change("closed", 0, at(1, 2, 0), at(1, 4, 0))
		f.exec("INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('change', ?, ?, ?)", chg, app, store.TS(at(0, 0, 0)))
		f.outage(svc, at(1, 3, 0), at(1, 5, 0), 1)
		got := f.report(svc, at(1, 0, 0), at(2, 0, 0))
		if got.MaintenanceMinutes != 120 || got.AgreedMinutes != 1320 || got.DowntimeMinutes != 60 {
			t.Errorf("maintenance %v, agreed %v, down %v; want 120, 1320, 60", got.MaintenanceMinutes, got.AgreedMinutes, got.DowntimeMinutes)
		}
	})
}

// A service review's pack reads each of the customer's services with a
// target, and "not measured" when none has one.
func TestPackFigure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFx(t, e)
		svc, other := f.service("Portal"), f.service("Intranet")
		cust := f.id("INSERT INTO customers (name, created_at, updated_at) VALUES ('Acme', ?, ?)", store.TS(f.now), store.TS(f.now))
		f.exec("INSERT INTO service_customers (service_id, customer_id) VALUES (?, ?)", svc, cust)
		got, err := f.svc.PackFigure(f.ctx, f.db, &cust, at(1, 0, 0), at(2, 0, 0))
		if err != nil || got != "not measured" {
			t.Fatalf("without targets: %q %v", got, err)
		}
		f.target(svc, 99, nil)
		f.target(other, 99, nil)
		f.outage(svc, at(1, 9, 0), at(1, 9, 36), 1)
		got, err = f.svc.PackFigure(f.ctx, f.db, &cust, at(1, 0, 0), at(2, 0, 0))
		if want := "Portal 97.5 % against 99 % (below target; 36 min down in 1 outage)"; err != nil || got != want {
			t.Errorf("pack figure %q %v, want %q", got, err, want)
		}
	})
}
