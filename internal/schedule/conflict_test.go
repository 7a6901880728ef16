package schedule_test

import (
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/calendar"
	"steward/internal/cmdb"
	"steward/internal/schedule"
	"steward/internal/store/storetest"
)

// summary is a conflict as a test compares it: kind and the other record.
func summary(list []schedule.Conflict) []string {
	var out []string
	for _, c := range list {
		s := c.Kind
		if c.Change != "" {
			s += " " + c.Change
		}
		out = append(out, s)
	}
	return out
}

func TestConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		app, db, web, cache, host := f.ci("payroll-app"), f.ci("payroll-db"), f.ci("payroll-web"), f.ci("cache"), f.ci("vm-host")
		// app depends on db; app is connected to web (no impact); app runs on
		// host, which hosts nothing else; cache is used by nothing.
		f.relate(app, cmdb.DependsOn, db)
		f.relate(app, cmdb.ConnectedTo, web)
		f.relate(app, cmdb.RunsOn, host)
		alex := f.user("Alex Planner", auth.Agent)
		sam := f.user("Sam Other", auth.Agent)
		payroll, hr := f.service("Payroll"), f.service("HR portal")

		// Each case works on a day of its own, so the records of one never
		// fall in the window of another.
		type tc struct {
			name  string
			setup func(day int) (want []string)
			w     func(day int) schedule.Window
		}
		ten := func(day int, cis ...int64) schedule.Window {
			return schedule.Window{Start: at(day, 10, 0), End: at(day, 12, 0), CIs: cis}
		}
		cases := []tc{
			{"same CI in an overlapping window", func(d int) []string {
				_, n := f.change(change{start: at(d, 11, 0), end: at(d, 13, 0), cis: []int64{app}})
				return []string{"same_ci " + n}
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"a window ending as this one starts does not overlap", func(d int) []string {
				f.change(change{start: at(d, 8, 0), end: at(d, 10, 0), cis: []int64{app}})
				f.change(change{start: at(d, 12, 0), end: at(d, 14, 0), cis: []int64{app}})
				return nil
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"one minute of overlap is a conflict", func(d int) []string {
				_, n := f.change(change{start: at(d, 11, 59), end: at(d, 14, 0), cis: []int64{app}})
				return []string{"same_ci " + n}
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"drafts and every open state occupy their window", func(d int) []string {
				var want []string
				for _, st := range []string{"draft", "assessment", "approval", "scheduled", "implementing", "review"} {
					_, n := f.change(change{state: st, start: at(d, 10, 0), end: at(d, 11, 0), cis: []int64{app}})
					want = append(want, "same_ci "+n)
				}
				return want
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"closed, cancelled and rejected changes do not", func(d int) []string {
				for _, st := range []string{"closed", "cancelled", "rejected"} {
					f.change(change{state: st, start: at(d, 10, 0), end: at(d, 11, 0), cis: []int64{app}, assignee: alex})
				}
				return nil
			}, func(d int) schedule.Window { w := ten(d, app); w.AssigneeID = alex; return w }},
			{"a change without a window occupies nothing", func(d int) []string {
				f.change(change{state: "draft", cis: []int64{app}})
				return nil
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"another change on what this one depends on", func(d int) []string {
				_, n := f.change(change{start: at(d, 9, 0), end: at(d, 10, 30), cis: []int64{db}})
				return []string{"related_ci " + n}
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"another change on what depends on this one", func(d int) []string {
				_, n := f.change(change{start: at(d, 9, 0), end: at(d, 10, 30), cis: []int64{app}})
				return []string{"related_ci " + n}
			}, func(d int) schedule.Window { return ten(d, host) }},
			{"connected_to does not propagate", func(d int) []string {
				f.change(change{start: at(d, 10, 0), end: at(d, 12, 0), cis: []int64{web}})
				return nil
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"unrelated CIs do not clash", func(d int) []string {
				f.change(change{start: at(d, 10, 0), end: at(d, 12, 0), cis: []int64{cache}})
				return nil
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"the assignee implements another change", func(d int) []string {
				_, n := f.change(change{start: at(d, 11, 0), end: at(d, 15, 0), assignee: alex})
				f.change(change{start: at(d, 11, 0), end: at(d, 15, 0), assignee: sam})
				return []string{"assignee_busy " + n}
			}, func(d int) schedule.Window { w := ten(d); w.AssigneeID = alex; return w }},
			{"a freeze over everything", func(d int) []string {
				f.freeze("Year end", at(d, 0, 0), at(d, 11, 0), nil, nil)
				return []string{"freeze"}
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"a freeze that ends as the window starts", func(d int) []string {
				f.freeze("Morning", at(d, 0, 0), at(d, 10, 0), nil, nil)
				return nil
			}, func(d int) schedule.Window { return ten(d, app) }},
			{"a freeze of the change's service", func(d int) []string {
				f.freeze("Payroll run", at(d, 0, 0), at(d, 23, 0), []int64{payroll}, nil)
				f.freeze("HR review", at(d, 0, 0), at(d, 23, 0), []int64{hr}, nil)
				return []string{"freeze"}
			}, func(d int) schedule.Window { w := ten(d); w.Services = []int64{payroll}; return w }},
			{"a freeze of the change's CI", func(d int) []string {
				f.freeze("DB upgrade hold", at(d, 0, 0), at(d, 23, 0), nil, []int64{db})
				f.freeze("Cache hold", at(d, 0, 0), at(d, 23, 0), nil, []int64{cache})
				return []string{"freeze"}
			}, func(d int) schedule.Window { return ten(d, db) }},
			{"a change is never compared with itself", func(d int) []string {
				id, _ := f.change(change{start: at(d, 10, 0), end: at(d, 12, 0), cis: []int64{app}, assignee: alex})
				selfID = id
				return nil
			}, func(d int) schedule.Window {
				w := ten(d, app)
				w.AssigneeID, w.ChangeID = alex, selfID
				return w
			}},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				day := i + 1
				want := c.setup(day)
				got := summary(f.conflicts(c.w(day)))
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("conflicts %v, want %v", got, want)
				}
			})
		}
	})
}

var selfID int64

func TestConflictReasonsNameTheOtherRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		app, db := f.ci("billing-app"), f.ci("billing-db")
		f.relate(app, cmdb.DependsOn, db)
		alex := f.user("Alex Planner", auth.Agent)
		_, same := f.change(change{title: "Patch app", start: at(5, 10, 0), end: at(5, 11, 0), cis: []int64{app}, assignee: alex})
		_, rel := f.change(change{title: "Upgrade db", start: at(5, 10, 0), end: at(5, 11, 0), cis: []int64{db}})
		f.freeze("Quarter close", at(5, 0, 0), at(6, 0, 0), nil, nil)
		got := f.conflicts(schedule.Window{Start: at(5, 10, 30), End: at(5, 12, 0), CIs: []int64{app}, AssigneeID: alex})
		want := map[string]string{
			"same_ci":       same + ` "Patch app" also works on "billing-app" in an overlapping window.`,
			"related_ci":    rel + ` "Upgrade db" works in an overlapping window on "billing-db", which "billing-app", touched by this change, depends on.`,
			"assignee_busy": "Alex Planner implements " + same + ` "Patch app" in an overlapping window.`,
			"freeze":        `The window overlaps the freeze period "Quarter close", which covers every service and CI.`,
		}
		if len(got) != len(want) {
			t.Fatalf("got %d conflicts, want %d: %+v", len(got), len(want), got)
		}
		for _, c := range got {
			if c.Reason != want[c.Kind] {
				t.Errorf("%s: reason %q, want %q", c.Kind, c.Reason, want[c.Kind])
			}
		}
		// Downstream: the change on app depends on what the window touches.
		got = f.conflicts(schedule.Window{Start: at(5, 10, 30), End: at(5, 12, 0), CIs: []int64{db}})
		for _, c := range got {
			if c.Kind == schedule.RelatedCI && !strings.Contains(c.Reason, `"billing-app", which depends on "billing-db", touched by this change`) {
				t.Errorf("downstream reason: %q", c.Reason)
			}
		}
	})
}

func TestOutsideMaintenanceWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		// Sunday nights 01:00-05:00 in Berlin (UTC+1 in January).
		sunday := f.calendar("Sunday nights", calendar.Window{Weekday: "sunday", Start: "01:00", End: "05:00"})
		svc := f.service("Payroll")
		host := f.ci("payroll-host")
		other := f.ci("other")
		if _, err := f.svc.SetServiceMaintenance(f.ctx, auditSystem, svc, sunday); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetCIMaintenance(f.ctx, auditSystem, host, sunday); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name       string
			start, end [2]int // hour, minute UTC on Sunday 2027-01-03
			w          func(schedule.Window) schedule.Window
			want       []string
		}{
			{"inside the service's window", [2]int{0, 0}, [2]int{4, 0}, func(w schedule.Window) schedule.Window { w.Services = []int64{svc}; return w }, nil},
			{"exactly the window", [2]int{0, 0}, [2]int{4, 0}, func(w schedule.Window) schedule.Window { w.CIs = []int64{host}; return w }, nil},
			{"running past its end", [2]int{3, 0}, [2]int{4, 1}, func(w schedule.Window) schedule.Window { w.Services = []int64{svc}; return w },
				[]string{"outside_maintenance_window"}},
			{"the service's and the CI's", [2]int{10, 0}, [2]int{11, 0}, func(w schedule.Window) schedule.Window {
				w.Services, w.CIs = []int64{svc}, []int64{host}
				return w
			}, []string{"outside_maintenance_window", "outside_maintenance_window"}},
			{"a CI without a window", [2]int{10, 0}, [2]int{11, 0}, func(w schedule.Window) schedule.Window { w.CIs = []int64{other}; return w }, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				w := c.w(schedule.Window{Start: at(3, c.start[0], c.start[1]), End: at(3, c.end[0], c.end[1])})
				got := f.conflicts(w)
				if strings.Join(summary(got), ",") != strings.Join(c.want, ",") {
					t.Fatalf("conflicts %v, want %v", summary(got), c.want)
				}
				for _, x := range got {
					if !strings.Contains(x.Reason, `(calendar "Sunday nights")`) {
						t.Errorf("reason %q does not name the calendar", x.Reason)
					}
				}
			})
		}
	})
}

var auditSystem = audit.System

// A long window that started well before the range still counts: range
// scans begin the longest window's length before the range.
func TestLongWindowsStartingEarlier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		app := f.ci("app")
		_, long := f.change(change{title: "Migration", start: at(1, 0, 0).AddDate(0, -2, 0), end: at(20, 0, 0), cis: []int64{app}})
		f.change(change{title: "Short", start: at(1, 0, 0).AddDate(0, -2, 0), end: at(1, 1, 0).AddDate(0, -2, 0), cis: []int64{app}})
		got := summary(f.conflicts(schedule.Window{Start: at(15, 10, 0), End: at(15, 12, 0), CIs: []int64{app}}))
		if strings.Join(got, ",") != "same_ci "+long {
			t.Errorf("conflicts %v, want the two-month migration", got)
		}
		cal, err := f.svc.Calendar(f.ctx, f.db, schedule.CalendarQuery{From: at(15, 0, 0), To: at(16, 0, 0)}, schedule.MaxRange)
		if err != nil || len(cal.Changes) != 1 || cal.Changes[0].Number != long {
			t.Errorf("calendar of the 15th: %+v %v", cal.Changes, err)
		}
	})
}
