package calendar

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"steward/internal/domainerr"
)

func mustCal(t testing.TB, s Spec) *Calendar {
	t.Helper()
	if s.Name == "" {
		s.Name = "test"
	}
	c, err := Compile(s)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return c
}

func days(names []string, start, end string) []Window {
	var ws []Window
	for _, n := range names {
		ws = append(ws, Window{Weekday: n, Start: start, End: end})
	}
	return ws
}

var (
	weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday"}
	allDays  = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

// at parses a wall-clock time in zone.
func at(t testing.TB, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func berlinOffice() Spec {
	return Spec{TimeZone: "Europe/Berlin", Windows: days(weekdays, "09:00", "17:00"),
		Holidays: []Holiday{
			{Date: "2026-12-24", Start: "12:00", End: "17:00", Name: "Christmas Eve afternoon"},
			{Date: "2026-12-25", Name: "Christmas Day"},
			{Date: "2020-01-01", Yearly: true, Name: "New Year"},
		}}
}

// Sunday DST changes need Sunday windows, including one around the change.
func dstSpec(zone string) Spec {
	ws := days(allDays, "09:00", "17:00")
	ws = append(ws, days(allDays, "01:00", "03:00")...)
	return Spec{TimeZone: zone, Windows: ws}
}

func TestElapsed(t *testing.T) {
	berlin := mustCal(t, berlinOffice())
	split := mustCal(t, Spec{TimeZone: "Europe/Berlin", Windows: append(days(weekdays, "08:00", "12:00"), days(weekdays, "13:00", "17:00")...)})
	dstB := mustCal(t, dstSpec("Europe/Berlin"))
	dstNY := mustCal(t, dstSpec("America/New_York"))
	kolkata := mustCal(t, Spec{TimeZone: "Asia/Kolkata", Windows: days(weekdays, "09:30", "18:00")})
	chatham := mustCal(t, Spec{TimeZone: "Pacific/Chatham", Windows: days(weekdays, "09:00", "17:00")})
	always := mustCal(t, Always24x7())

	B := func(s string) time.Time { return at(t, "Europe/Berlin", s) }
	NY := func(s string) time.Time { return at(t, "America/New_York", s) }
	cases := []struct {
		name string
		cal  *Calendar
		a, b time.Time
		want time.Duration
	}{
		{"one working day", berlin, B("2026-11-23 09:00"), B("2026-11-23 17:00"), 8 * time.Hour},
		{"before and after hours count nothing", berlin, B("2026-11-23 06:00"), B("2026-11-23 20:00"), 8 * time.Hour},
		{"evening to morning is zero", berlin, B("2026-11-23 17:00"), B("2026-11-24 09:00"), 0},
		{"over a weekend", berlin, B("2026-11-27 16:00"), B("2026-11-30 10:00"), 2 * time.Hour},
		{"whole week", berlin, B("2026-11-23 00:00"), B("2026-11-30 00:00"), 40 * time.Hour},
		{"partial and full holiday", berlin, B("2026-12-24 09:00"), B("2026-12-28 10:00"), 4 * time.Hour},
		{"yearly holiday in a later year", berlin, B("2027-12-31 16:00"), B("2028-01-03 10:00"), 2 * time.Hour},
		{"lunch break", split, B("2026-11-23 11:00"), B("2026-11-23 14:00"), 2 * time.Hour},
		{"split day total", split, B("2026-11-23 00:00"), B("2026-11-24 00:00"), 8 * time.Hour},
		{"reversed is zero", berlin, B("2026-11-23 17:00"), B("2026-11-23 09:00"), 0},
		// Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
		{"Berlin spring: 9-17 is 8h", dstB, B("2026-03-29 09:00"), B("2026-03-29 17:00"), 8 * time.Hour},
		{"Berlin spring: 01-03 is 1h", dstB, B("2026-03-29 00:00"), B("2026-03-29 05:00"), 1 * time.Hour},
		{"Berlin spring: whole day", dstB, B("2026-03-29 00:00"), B("2026-03-30 00:00"), 9 * time.Hour},
		{"Berlin autumn: 9-17 is 8h", dstB, B("2026-10-25 09:00"), B("2026-10-25 17:00"), 8 * time.Hour},
		{"Berlin autumn: 01-03 is 3h", dstB, B("2026-10-25 00:00"), B("2026-10-25 05:00"), 3 * time.Hour},
		{"Berlin autumn: whole day", dstB, B("2026-10-25 00:00"), B("2026-10-26 00:00"), 11 * time.Hour},
		{"Berlin autumn: into the repeated hour", dstB, utc(t, "2026-10-24T23:00:00Z"), utc(t, "2026-10-25T01:30:00Z"), 150 * time.Minute},
		// America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
		{"New York spring: 01-03 is 1h", dstNY, NY("2026-03-08 00:00"), NY("2026-03-08 05:00"), 1 * time.Hour},
		{"New York spring: 9-17 is 8h", dstNY, NY("2026-03-08 09:00"), NY("2026-03-08 17:00"), 8 * time.Hour},
		{"New York autumn: 01-03 is 3h", dstNY, utc(t, "2026-11-01T04:00:00Z"), utc(t, "2026-11-01T09:00:00Z"), 3 * time.Hour},
		{"New York autumn: 9-17 is 8h", dstNY, NY("2026-11-01 09:00"), NY("2026-11-01 17:00"), 8 * time.Hour},
		{"Kolkata +05:30", kolkata, utc(t, "2026-11-23T03:00:00Z"), utc(t, "2026-11-23T13:00:00Z"), 8*time.Hour + 30*time.Minute},
		{"Kolkata half-hour edge", kolkata, utc(t, "2026-11-23T04:00:00Z"), utc(t, "2026-11-23T04:30:00Z"), 30 * time.Minute},
		// Chatham is +13:45 in November: 09:00 local is 19:15Z the day before.
		{"Chatham +13:45", chatham, utc(t, "2026-11-22T19:00:00Z"), utc(t, "2026-11-23T03:30:00Z"), 8 * time.Hour},
		{"Chatham partial", chatham, utc(t, "2026-11-22T19:15:00Z"), utc(t, "2026-11-22T20:00:00Z"), 45 * time.Minute},
		{"24x7 is wall time", always, utc(t, "2026-03-28T22:00:00Z"), utc(t, "2026-03-30T01:00:00Z"), 27 * time.Hour},
		{"seconds count", berlin, B("2026-11-23 09:00").Add(-time.Second), B("2026-11-23 09:00").Add(61 * time.Second), 61 * time.Second},
	}
	for _, tc := range cases {
		if got := tc.cal.Elapsed(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: Elapsed(%s, %s) = %s, want %s", tc.name, tc.a, tc.b, got, tc.want)
		}
	}
}

func TestDue(t *testing.T) {
	berlin := mustCal(t, berlinOffice())
	seven := mustCal(t, Spec{TimeZone: "Europe/Berlin", Windows: days(allDays, "09:00", "17:00")})
	kolkata := mustCal(t, Spec{TimeZone: "Asia/Kolkata", Windows: days(weekdays, "09:30", "18:00")})
	chatham := mustCal(t, Spec{TimeZone: "Pacific/Chatham", Windows: days(weekdays, "09:00", "17:00")})
	newYearEve := berlinOffice()
	newYearEve.Holidays = append(newYearEve.Holidays, Holiday{Date: "2026-12-31", Start: "12:00", End: "17:00"})
	nye := mustCal(t, newYearEve)
	B := func(s string) time.Time { return at(t, "Europe/Berlin", s) }
	cases := []struct {
		name string
		cal  *Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"inside a day", berlin, B("2026-11-23 10:00"), 2 * time.Hour, B("2026-11-23 12:00")},
		{"ends exactly at close: 17:00, not next morning", berlin, B("2026-11-23 09:00"), 8 * time.Hour, B("2026-11-23 17:00")},
		{"after hours starts next morning", berlin, B("2026-11-23 18:30"), time.Hour, B("2026-11-24 10:00")},
		{"over a weekend", berlin, B("2026-11-27 16:00"), 2 * time.Hour, B("2026-11-30 10:00")},
		{"over Christmas", berlin, B("2026-12-24 10:00"), 4 * time.Hour, B("2026-12-28 11:00")},
		{"crossing New Year", berlin, B("2026-12-30 15:00"), 8 * time.Hour, B("2026-12-31 15:00")},
		{"crossing New Year with a half day and the holiday", nye, B("2026-12-30 15:00"), 8 * time.Hour, B("2027-01-04 12:00")},
		{"over the spring DST change", seven, B("2026-03-28 16:00"), 2 * time.Hour, B("2026-03-29 10:00")},
		{"over the autumn DST change", seven, B("2026-10-24 16:00"), 2 * time.Hour, B("2026-10-25 10:00")},
		{"Kolkata over a weekend", kolkata, utc(t, "2026-11-27T11:30:00Z"), 2 * time.Hour, utc(t, "2026-11-30T05:00:00Z")},
		{"Chatham full day", chatham, utc(t, "2026-11-22T19:15:00Z"), 8 * time.Hour, utc(t, "2026-11-23T03:15:00Z")},
		{"zero is now", berlin, B("2026-11-28 12:00"), 0, B("2026-11-28 12:00")},
		{"three weeks", berlin, B("2026-11-02 09:00"), 120 * time.Hour, B("2026-11-20 17:00")},
	}
	for _, tc := range cases {
		got, err := tc.cal.Due(tc.from, tc.d)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: Due(%s, %s) = %s, %v; want %s", tc.name, tc.from, tc.d, got, err, tc.want)
		}
	}
}

func TestNextWorking(t *testing.T) {
	berlin := mustCal(t, berlinOffice())
	B := func(s string) time.Time { return at(t, "Europe/Berlin", s) }
	for _, tc := range []struct{ t, want time.Time }{
		{B("2026-11-23 10:00"), B("2026-11-23 10:00")},
		{B("2026-11-23 17:00"), B("2026-11-24 09:00")},
		{B("2026-11-27 17:00"), B("2026-11-30 09:00")},
		{B("2026-12-24 12:00"), B("2026-12-28 09:00")},
		{B("2026-11-23 09:00"), B("2026-11-23 09:00")},
	} {
		got, err := berlin.NextWorking(tc.t)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("NextWorking(%s) = %s, %v; want %s", tc.t, got, err, tc.want)
		}
	}
}

func TestAddBusinessDays(t *testing.T) {
	berlin := mustCal(t, berlinOffice())
	B := func(s string) time.Time { return at(t, "Europe/Berlin", s) }
	for _, tc := range []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"same time next day", B("2026-11-23 10:00"), 1, B("2026-11-24 10:00")},
		{"Friday evening to Monday's close", B("2026-11-27 18:00"), 1, B("2026-11-30 17:00")},
		{"before opening counts as the previous close", B("2026-11-23 08:00"), 1, B("2026-11-23 17:00")},
		{"Saturday", B("2026-11-28 11:00"), 3, B("2026-12-02 17:00")},
		{"three days over a weekend", B("2026-11-26 14:30"), 3, B("2026-12-01 14:30")},
		{"skips the holiday", B("2026-12-24 10:00"), 1, B("2026-12-28 10:00")},
		{"capped by a half day", B("2026-12-23 16:00"), 1, B("2026-12-24 12:00")},
		{"over New Year", B("2026-12-31 10:00"), 1, B("2027-01-04 10:00")},
	} {
		got, err := berlin.AddBusinessDays(tc.from, tc.n)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: AddBusinessDays(%s, %d) = %s, %v; want %s", tc.name, tc.from, tc.n, got, err, tc.want)
		}
	}
}

func TestNoWorkingTime(t *testing.T) {
	if _, err := Compile(Spec{Name: "x", TimeZone: "UTC"}); err == nil {
		t.Error("a calendar without windows was accepted")
	}
	empty := mustCal(t, Spec{TimeZone: "UTC", Windows: []Window{{"monday", "09:00", "10:00"}}, Holidays: []Holiday{{Date: "2026-01-05", Yearly: true}}})
	if got := empty.Elapsed(utc(t, "2026-01-05T08:00:00Z"), utc(t, "2026-01-05T11:00:00Z")); got != 0 {
		t.Errorf("elapsed on a holiday Monday = %s", got)
	}
	// Windows, but every date a yearly holiday: nothing can ever be due.
	empty = mustCal(t, Spec{TimeZone: "UTC", Windows: []Window{{"monday", "09:00", "10:00"}}, Holidays: everyDate()})
	if _, err := empty.Due(utc(t, "2026-01-01T00:00:00Z"), time.Hour); !errors.Is(err, ErrNoWorkingTime) {
		t.Errorf("Due on a calendar without windows: %v, want ErrNoWorkingTime", err)
	}
	if got := empty.Elapsed(utc(t, "2026-01-01T00:00:00Z"), utc(t, "2027-01-01T00:00:00Z")); got != 0 {
		t.Errorf("Elapsed without windows = %s", got)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		field string
	}{
		{"unknown zone", Spec{Name: "x", TimeZone: "Mars/Olympus"}, "time_zone"},
		{"missing zone", Spec{Name: "x"}, "time_zone"},
		{"local zone", Spec{Name: "x", TimeZone: "Local"}, "time_zone"},
		{"end before start", Spec{Name: "x", TimeZone: "UTC", Windows: []Window{{"monday", "17:00", "09:00"}}}, "windows[0].end"},
		{"empty window", Spec{Name: "x", TimeZone: "UTC", Windows: []Window{{"monday", "09:00", "09:00"}}}, "windows[0].end"},
		{"overlap", Spec{Name: "x", TimeZone: "UTC", Windows: []Window{{"monday", "09:00", "13:00"}, {"tuesday", "09:00", "13:00"}, {"monday", "12:00", "17:00"}}}, "windows[2]"},
		{"bad weekday", Spec{Name: "x", TimeZone: "UTC", Windows: []Window{{"moonday", "09:00", "17:00"}}}, "windows[0].weekday"},
		{"bad clock", Spec{Name: "x", TimeZone: "UTC", Windows: []Window{{"monday", "9am", "17:00"}}}, "windows[0].start"},
		{"after midnight", Spec{Name: "x", TimeZone: "UTC", Windows: []Window{{"monday", "09:00", "24:30"}}}, "windows[0].end"},
		{"bad holiday date", Spec{Name: "x", TimeZone: "UTC", Holidays: []Holiday{{Date: "2026-02-30"}}}, "holidays[0].date"},
		{"half a partial holiday", Spec{Name: "x", TimeZone: "UTC", Holidays: []Holiday{{Date: "2026-02-03", Start: "12:00"}}}, "holidays[0].end"},
		{"partial holiday reversed", Spec{Name: "x", TimeZone: "UTC", Holidays: []Holiday{{Date: "2026-02-03", Start: "12:00", End: "10:00"}}}, "holidays[0].end"},
		{"no name", Spec{TimeZone: "UTC"}, "name"},
	} {
		err := tc.spec.Validate()
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !inv.Has(tc.field) {
			t.Errorf("%s: Validate() = %v, want a message for %s", tc.name, err, tc.field)
		}
	}
	ok := berlinOffice()
	ok.Name = "office"
	ok.Windows = append(ok.Windows, Window{"saturday", "00:00", "24:00"})
	if err := ok.Validate(); err != nil {
		t.Errorf("valid calendar refused: %v", err)
	}
}

// Business time is additive and monotonic, and Due inverts Elapsed, for
// random instants on calendars with DST, holidays and split days.
func TestElapsedIsAdditive(t *testing.T) {
	cals := []*Calendar{
		mustCal(t, berlinOffice()),
		mustCal(t, dstSpec("America/New_York")),
		mustCal(t, Spec{TimeZone: "Pacific/Chatham", Windows: append(days(weekdays, "08:00", "12:00"), days(weekdays, "13:00", "17:30")...)}),
		mustCal(t, Always24x7()),
	}
	r := rand.New(rand.NewPCG(1, 2))
	base := utc(t, "2025-01-01T00:00:00Z").Unix()
	span := int64(3 * 365 * 86400)
	for i := 0; i < 20000; i++ {
		c := cals[i%len(cals)]
		xs := []int64{base + r.Int64N(span), base + r.Int64N(span), base + r.Int64N(span)}
		if i%3 == 0 { // short spans, the common case
			xs[1], xs[2] = xs[0]+r.Int64N(5*86400), xs[0]+r.Int64N(5*86400)
		}
		sortInts(xs)
		a, b, cc := time.Unix(xs[0], 0), time.Unix(xs[1], 0), time.Unix(xs[2], 0)
		ab, bc, ac := c.Elapsed(a, b), c.Elapsed(b, cc), c.Elapsed(a, cc)
		if ab+bc != ac {
			t.Fatalf("not additive: elapsed(%s,%s)=%s + elapsed(%s,%s)=%s != elapsed(%s,%s)=%s", a, b, ab, b, cc, bc, a, cc, ac)
		}
		if ab < 0 || ab > b.Sub(a) {
			t.Fatalf("elapsed(%s,%s)=%s outside [0, wall time]", a, b, ab)
		}
		if ab > 0 {
			due, err := c.Due(a, ab)
			if err != nil || due.After(b) || c.Elapsed(a, due) != ab {
				t.Fatalf("Due(%s, %s) = %s, %v; want an instant no later than %s with that much business time", a, ab, due, err, b)
			}
		}
	}
}

func sortInts(xs []int64) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

func FuzzElapsed(f *testing.F) {
	c := mustCal(f, dstSpec("Europe/Berlin"))
	h := berlinOffice()
	h.Name = "h"
	ch := mustCal(f, h)
	f.Add(int64(1774746000), int64(3600), int64(7200))
	f.Add(int64(1792000000), int64(86400), int64(1))
	f.Fuzz(func(t *testing.T, a, d1, d2 int64) {
		if a < 0 || d1 < 0 || d2 < 0 || a > 7e9 || d1 > 4e8 || d2 > 4e8 {
			return
		}
		for _, cal := range []*Calendar{c, ch} {
			x, y, z := time.Unix(a, 0), time.Unix(a+d1, 0), time.Unix(a+d1+d2, 0)
			if cal.Elapsed(x, y)+cal.Elapsed(y, z) != cal.Elapsed(x, z) {
				t.Fatalf("not additive at %s %s %s", x, y, z)
			}
			if e := cal.Elapsed(x, z); e > 0 {
				due, err := cal.Due(x, e)
				if err != nil || due.After(z) || cal.Elapsed(x, due) != e {
					t.Fatalf("Due(%s,%s)=%s,%v", x, e, due, err)
				}
			}
		}
	})
}

// everyDate is a yearly holiday on every date of the year.
func everyDate() []Holiday {
	var hs []Holiday
	for d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2024; d = d.AddDate(0, 0, 1) {
		hs = append(hs, Holiday{Date: d.Format("2006-01-02"), Yearly: true})
	}
	return hs
}
