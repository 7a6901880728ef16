package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/calendar"
	"steward/internal/domainerr"
	"steward/internal/schedule"
	"steward/internal/store/storetest"
)

func TestCalendarRangeErrors(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	jan := at(1, 0, 0)
	for _, c := range []struct {
		name  string
		q     schedule.CalendarQuery
		field string
	}{
		{"no from", schedule.CalendarQuery{To: jan}, "from"},
		{"no to", schedule.CalendarQuery{From: jan}, "to"},
		{"to before from", schedule.CalendarQuery{From: jan, To: jan.Add(-time.Hour)}, "to"},
		{"empty range", schedule.CalendarQuery{From: jan, To: jan}, "to"},
		{"too long", schedule.CalendarQuery{From: jan, To: jan.AddDate(0, 0, 101)}, "to"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Calendar(f.ctx, f.db, c.q, schedule.MaxRange)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || inv.Fields[c.field] == "" {
				t.Fatalf("err %v, want a message on %s", err, c.field)
			}
		})
	}
}

func TestCalendarContents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		app, db := f.ci("app"), f.ci("db")
		payroll, hr := f.service("Payroll"), f.service("HR")
		alex := f.user("Alex", "agent")
		_, open := f.change(change{title: "Open", start: at(4, 10, 0), end: at(4, 12, 0), cis: []int64{app}, services: []int64{payroll}, assignee: alex})
		_, closed := f.change(change{title: "Done", state: "closed", start: at(5, 10, 0), end: at(5, 12, 0), cis: []int64{db}, services: []int64{hr}})
		f.change(change{title: "Dropped", state: "cancelled", start: at(5, 10, 0), end: at(5, 12, 0), cis: []int64{app}})
		_, clash := f.change(change{title: "Same app", state: "draft", start: at(4, 11, 0), end: at(4, 13, 0), cis: []int64{app}})
		_, outside := f.change(change{title: "Next month", start: at(31, 23, 0), end: time.Date(2027, 2, 1, 1, 0, 0, 0, time.UTC), cis: []int64{app}})
		f.freeze("Everything", at(20, 0, 0), at(22, 0, 0), nil, nil)
		f.freeze("HR only", at(4, 0, 0), at(6, 0, 0), []int64{hr}, nil)
		nights := f.calendar("Nights", calendar.Window{Weekday: "monday", Start: "22:00", End: "24:00"}, calendar.Window{Weekday: "tuesday", Start: "00:00", End: "02:00"})
		if _, err := f.svc.SetServiceMaintenance(f.ctx, auditSystem, payroll, nights); err != nil {
			t.Fatal(err)
		}

		month := schedule.CalendarQuery{From: at(1, 0, 0), To: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)}
		numbers := func(cal schedule.ChangeCalendar) string {
			var s []string
			for _, c := range cal.Changes {
				s = append(s, c.Number)
			}
			return strings.Join(s, ",")
		}
		cal, err := f.svc.Calendar(f.ctx, f.db, month, schedule.MaxRange)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := numbers(cal), strings.Join([]string{open, clash, closed, outside}, ","); got != want {
			t.Errorf("changes %s, want %s (closed shown, cancelled not)", got, want)
		}
		if len(cal.FreezePeriods) != 2 {
			t.Errorf("%d freezes, want 2", len(cal.FreezePeriods))
		}
		// Monday 22:00 to Tuesday 02:00 in Berlin is one window a week,
		// 21:00-01:00 UTC in winter: Mondays 4, 11, 18 and 25 January.
		if len(cal.MaintenanceWindows) != 4 {
			t.Fatalf("%d maintenance windows, want 4: %+v", len(cal.MaintenanceWindows), cal.MaintenanceWindows)
		}
		mw := cal.MaintenanceWindows[0]
		if !mw.Start.Equal(at(4, 21, 0)) || !mw.End.Equal(at(5, 1, 0)) || mw.ServiceID != payroll || mw.CalendarName != "Nights" {
			t.Errorf("first maintenance window %+v, want Monday 4 Jan 21:00-01:00 UTC of Payroll", mw)
		}

		byService := month
		byService.ServiceID = hr
		cal, err = f.svc.Calendar(f.ctx, f.db, byService, schedule.MaxRange)
		if err != nil {
			t.Fatal(err)
		}
		if got := numbers(cal); got != closed {
			t.Errorf("HR's changes %s, want %s", got, closed)
		}
		if len(cal.FreezePeriods) != 2 || len(cal.MaintenanceWindows) != 0 {
			t.Errorf("HR's freezes %d (want 2: everything and HR's), maintenance windows %d (want 0)", len(cal.FreezePeriods), len(cal.MaintenanceWindows))
		}
		byCI := month
		byCI.CIID = app
		cal, err = f.svc.Calendar(f.ctx, f.db, byCI, schedule.MaxRange)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := numbers(cal), strings.Join([]string{open, clash, outside}, ","); got != want {
			t.Errorf("app's changes %s, want %s", got, want)
		}
		if len(cal.FreezePeriods) != 1 {
			t.Errorf("app's freezes %d, want 1 (everything)", len(cal.FreezePeriods))
		}

		cal, _ = f.svc.Calendar(f.ctx, f.db, month, schedule.MaxRange)
		if err := f.svc.MarkClashes(f.ctx, f.db, &cal); err != nil {
			t.Fatal(err)
		}
		for _, c := range cal.Changes {
			switch c.Number {
			case open:
				if len(c.Clashes) != 1 || !strings.Contains(c.Clashes[0], clash) {
					t.Errorf("%s clashes %v, want one naming %s", open, c.Clashes, clash)
				}
			case closed, outside:
				if len(c.Clashes) != 0 {
					t.Errorf("%s clashes %v, want none", c.Number, c.Clashes)
				}
			}
		}
	})
}

func TestFreezeValidation(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	svc := f.service("Payroll")
	name, blank := "Year end", "  "
	start, end := at(20, 0, 0), at(27, 0, 0)
	missing := []int64{svc + 100}
	for _, c := range []struct {
		name  string
		in    schedule.FreezeInput
		field string
	}{
		{"no name", schedule.FreezeInput{Name: &blank, Start: &start, End: &end}, "name"},
		{"end before start", schedule.FreezeInput{Name: &name, Start: &end, End: &start}, "end"},
		{"end at start", schedule.FreezeInput{Name: &name, Start: &start, End: &start}, "end"},
		{"no end", schedule.FreezeInput{Name: &name, Start: &start}, "end"},
		{"unknown service", schedule.FreezeInput{Name: &name, Start: &start, End: &end, ServiceIDs: &missing}, "service_ids"},
		{"unknown CI", schedule.FreezeInput{Name: &name, Start: &start, End: &end, CIIDs: &missing}, "ci_ids"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.CreateFreeze(f.ctx, auditSystem, c.in)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || inv.Fields[c.field] == "" {
				t.Fatalf("err %v, want a message on %s", err, c.field)
			}
		})
	}
	list, err := schedule.ListFreezes(f.ctx, f.db, time.Time{}, time.Time{}, 10)
	if err != nil || len(list) != 0 {
		t.Fatalf("refused freezes were stored: %v %v", list, err)
	}
}

// A calendar that is a maintenance window cannot be deleted under it.
func TestMaintenanceCalendarKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		cal := f.calendar("Nights", calendar.Window{Weekday: "monday", Start: "00:00", End: "04:00"})
		if _, err := f.svc.SetCIMaintenance(f.ctx, auditSystem, f.ci("host"), cal); err != nil {
			t.Fatal(err)
		}
		err := f.sla.DeleteCalendar(f.ctx, auditSystem, cal)
		var c *domainerr.Conflict
		if !errors.As(err, &c) || !strings.Contains(c.Message, "maintenance window") {
			t.Fatalf("deleting the calendar: %v", err)
		}
	})
}
