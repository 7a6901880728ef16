package sla_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/calendar"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// fixture is a migrated database with a customer, a group and a service.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	db       *store.DB
	svc      *sla.Service
	customer int64
	group    int64
}

func newFixture(t *testing.T, e storetest.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, db: e.DB, svc: sla.NewService(e.DB, nil)}
	f.svc.Now = func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	c, err := org.Customers.Create(ctx, e.DB, audit.System, "Northwind")
	if err != nil {
		t.Fatal(err)
	}
	g, err := org.Groups.Create(ctx, e.DB, audit.System, "Service Desk")
	if err != nil {
		t.Fatal(err)
	}
	f.customer, f.group = c.ID, g.ID
	return f
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// wantFields fails unless err is a validation error naming every field.
func wantFields(t *testing.T, err error, fields ...string) *domainerr.Invalid {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("error %v (%T), want a validation error on %v", err, err, fields)
	}
	for _, f := range fields {
		if _, ok := inv.Fields[f]; !ok {
			t.Errorf("no message for %s in %v", f, inv.Fields)
		}
	}
	return inv
}

func officeHours() calendar.Spec {
	s := calendar.Spec{Name: "Office hours", TimeZone: "Europe/Berlin"}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		s.Windows = append(s.Windows, calendar.Window{Weekday: d, Start: "09:00", End: "17:00"})
	}
	return s
}

func TestCalendars(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		ctx := f.ctx
		actor := audit.Actor{Type: "user", ID: 1, Name: "admin@test"}

		spec := officeHours()
		spec.Windows[0].Weekday = " Mon "
		spec.Holidays = []calendar.Holiday{{Date: "2026-12-25", Yearly: true, Name: " Christmas "}}
		c, err := f.svc.CreateCalendar(ctx, actor, spec)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID <= sla.DefaultCalendarID || c.Version != 1 || c.Builtin || c.Windows[0].Weekday != "monday" || c.Holidays[0].Name != "Christmas" {
			t.Fatalf("created: %+v", c)
		}

		t.Run("refused input saves nothing", func(t *testing.T) {
			before := f.count("SELECT COUNT(*) FROM calendars")
			cases := []struct {
				name   string
				edit   func(s *calendar.Spec)
				fields []string
			}{
				{"name taken, in any case", func(s *calendar.Spec) { s.Name = "OFFICE HOURS" }, []string{"name"}},
				{"overlapping windows", func(s *calendar.Spec) {
					s.Windows = append(s.Windows, calendar.Window{Weekday: "monday", Start: "16:00", End: "18:00"})
				}, []string{"windows[5]"}},
				{"end before start", func(s *calendar.Spec) { s.Windows[1].End = "08:00" }, []string{"windows[1].end"}},
				{"unknown zone", func(s *calendar.Spec) { s.TimeZone = "Mars/Olympus_Mons" }, []string{"time_zone"}},
				{"bad holiday", func(s *calendar.Spec) {
					s.Holidays = []calendar.Holiday{{Date: "2026-02-30"}, {Date: "2026-05-01", Start: "12:00"}}
				}, []string{"holidays[0].date", "holidays[1].end"}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					s := officeHours()
					s.Name = "Another"
					c.edit(&s)
					_, err := f.svc.CreateCalendar(ctx, actor, s)
					wantFields(t, err, c.fields...)
				})
			}
			if n := f.count("SELECT COUNT(*) FROM calendars"); n != before {
				t.Fatalf("%d calendars, want %d", n, before)
			}
		})

		t.Run("update with versions", func(t *testing.T) {
			s := c.Spec
			s.Windows = append(s.Windows, calendar.Window{Weekday: "saturday", Start: "10:00", End: "14:00"})
			if _, _, err := f.svc.UpdateCalendar(ctx, actor, c.ID, s, c.Version+1); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("stale version: %v", err)
			}
			got, _, err := f.svc.UpdateCalendar(ctx, actor, c.ID, s, c.Version)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 2 || len(got.Windows) != 6 {
				t.Fatalf("updated: %+v", got)
			}
			c = got
			if _, _, err := f.svc.UpdateCalendar(ctx, actor, c.ID, s, 1); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("old version accepted: %v", err)
			}
			if _, _, err := f.svc.UpdateCalendar(ctx, actor, 9999, s, 0); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown calendar: %v", err)
			}
		})

		t.Run("the built-in calendar is read-only", func(t *testing.T) {
			b, err := sla.GetCalendar(ctx, f.db, sla.DefaultCalendarID)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Builtin || b.Name != "24x7" || len(b.Windows) != 7 {
				t.Fatalf("built-in: %+v", b)
			}
			var conflict *domainerr.Conflict
			if _, _, err := f.svc.UpdateCalendar(ctx, actor, b.ID, officeHours(), 0); !errors.As(err, &conflict) {
				t.Fatalf("update of the built-in calendar: %v", err)
			}
			if err := f.svc.DeleteCalendar(ctx, actor, b.ID); !errors.As(err, &conflict) {
				t.Fatalf("delete of the built-in calendar: %v", err)
			}
			if _, err := f.svc.ImportHolidays(ctx, actor, b.ID, strings.NewReader(ics2026), 0); !errors.As(err, &conflict) {
				t.Fatalf("import into the built-in calendar: %v", err)
			}
		})

		t.Run("holiday import", func(t *testing.T) {
			res, err := f.svc.ImportHolidays(ctx, actor, c.ID, strings.NewReader(ics2026), c.Version)
			if err != nil {
				t.Fatal(err)
			}
			// Christmas was already there as a yearly holiday, with the same name.
			if res.Added != 2 || res.Duplicates != 1 || len(res.Calendar.Holidays) != 3 || res.Calendar.Version != c.Version+1 {
				t.Fatalf("first import: %+v", res)
			}
			again, err := f.svc.ImportHolidays(ctx, actor, c.ID, strings.NewReader(ics2026), 0)
			if err != nil {
				t.Fatal(err)
			}
			if again.Added != 0 || again.Duplicates != 3 || again.Calendar.Version != res.Calendar.Version {
				t.Fatalf("second import changed the calendar: %+v", again)
			}
			c = again.Calendar
			inv := wantFields(t, func() error {
				_, err := f.svc.ImportHolidays(ctx, actor, c.ID, strings.NewReader("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261301\nEND:VEVENT\nEND:VCALENDAR\n"), 0)
				return err
			}(), "file")
			if !strings.HasPrefix(inv.Fields["file"], "line 3: DTSTART") {
				t.Errorf("message %q should name the line", inv.Fields["file"])
			}
			if _, err := f.svc.ImportHolidays(ctx, actor, c.ID, strings.NewReader(ics2026), 1); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("stale import: %v", err)
			}
			now, _ := sla.GetCalendar(ctx, f.db, c.ID)
			if now.Version != c.Version || len(now.Holidays) != 3 {
				t.Fatalf("refused imports changed the calendar: %+v", now)
			}
		})

		t.Run("list and delete", func(t *testing.T) {
			other := officeHours()
			other.Name = "Another"
			o, err := f.svc.CreateCalendar(ctx, actor, other)
			if err != nil {
				t.Fatal(err)
			}
			page, err := sla.ListCalendars(ctx, f.db, "", 0, 2)
			if err != nil || len(page) != 2 || page[0].Name != "24x7" || page[1].Name != "Another" {
				t.Fatalf("first page: %v %+v", err, page)
			}
			page, err = sla.ListCalendars(ctx, f.db, page[1].Name, page[1].ID, 2)
			if err != nil || len(page) != 1 || page[0].ID != c.ID {
				t.Fatalf("second page: %v %+v", err, page)
			}
			if err := f.svc.DeleteCalendar(ctx, actor, o.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := sla.GetCalendar(ctx, f.db, o.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("deleted calendar: %v", err)
			}
		})

		t.Run("audited", func(t *testing.T) {
			if n := f.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'calendar'"); n != 5 {
				t.Fatalf("%d audit entries for calendars, want 5 (two creates, update, import, delete)", n)
			}
			if ok, err := audit.Verify(ctx, f.db); err != nil {
				t.Fatalf("audit chain: %d %v", ok, err)
			}
		})
	})
}

const ics2026 = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261225
RRULE:FREQ=YEARLY
SUMMARY:Christmas
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260403
SUMMARY:Good Friday
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260406
SUMMARY:Easter Monday
END:VEVENT
END:VCALENDAR
`
