package calendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// The dates and times of an iCalendar file: DTSTART/DTEND values, TZIDs,
// durations and yearly rules, turned into holidays in a calendar's zone.

// cutAtMidnight splits a timed event, given in the calendar's zone, into
// one holiday per local date: partial ones where it starts or ends within
// a day, whole ones for the days it covers entirely.
func cutAtMidnight(start, end time.Time, name string) ([]Holiday, error) {
	var out []Holiday
	loc := start.Location()
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	for day.Before(end) {
		next := day.AddDate(0, 0, 1)
		from, to := start, end
		if from.Before(day) {
			from = day
		}
		if to.After(next) {
			to = next
		}
		if to.After(from) {
			h := Holiday{Date: day.Format("2006-01-02"), Name: name}
			if !from.Equal(day) || !to.Equal(next) {
				h.Start = clockOf(from, day, false)
				h.End = clockOf(to, day, true)
				if h.Start == h.End { // shorter than a minute
					h.Start, h.End = "", ""
					day = next
					continue
				}
			}
			out = append(out, h)
		}
		if len(out) > maxEventDays {
			return nil, fmt.Errorf("the event lasts more than %d days", maxEventDays)
		}
		day = next
	}
	if len(out) == 0 {
		return nil, errors.New("the event is shorter than a minute")
	}
	return out, nil
}

// clockOf is t as HH:MM on the local date that starts at day, rounded
// outwards to whole minutes so that the holiday covers the event; the end
// of the day is 24:00.
func clockOf(t, day time.Time, roundUp bool) string {
	if t.Equal(day.AddDate(0, 0, 1)) {
		return "24:00"
	}
	h, m, s := t.Clock()
	if roundUp && (s > 0 || t.Nanosecond() > 0) {
		m++
		if m == 60 {
			h, m = h+1, 0
		}
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

// parseICSTime reads DTSTART or DTEND: a date (VALUE=DATE, or eight
// digits), or a date-time in UTC (trailing Z), in the zone TZID names, or
// floating (read in loc). Dates come back at midnight UTC.
func parseICSTime(cl *contentLine, loc *time.Location) (time.Time, bool, error) {
	v := strings.TrimSpace(cl.value)
	kind := strings.ToUpper(cl.params["VALUE"])
	if kind == "DATE" || (kind == "" && len(v) == 8) {
		d, err := time.Parse("20060102", v)
		if err != nil {
			return time.Time{}, false, icsErr(cl.no, "%s: %q is not a date as YYYYMMDD", cl.name, v)
		}
		if d.Year() < 1970 || d.Year() > 2200 {
			return time.Time{}, false, icsErr(cl.no, "%s: the year must be between 1970 and 2200", cl.name)
		}
		return d, true, nil
	}
	if kind != "" && kind != "DATE-TIME" {
		return time.Time{}, false, icsErr(cl.no, "%s: VALUE=%s is not a date or a date-time", cl.name, kind)
	}
	zone := loc
	if tzid := cl.params["TZID"]; tzid != "" {
		z, err := loadICSZone(tzid)
		if err != nil {
			return time.Time{}, false, icsErr(cl.no, "%s: %v", cl.name, err)
		}
		zone = z
	}
	var t time.Time
	var err error
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		t, err = time.Parse("20060102T150405", s)
	} else {
		t, err = time.ParseInLocation("20060102T150405", v, zone)
	}
	if err != nil {
		return time.Time{}, false, icsErr(cl.no, "%s: %q is not a date-time as YYYYMMDDTHHMMSS, with Z for UTC", cl.name, v)
	}
	if t.Year() < 1970 || t.Year() > 2200 {
		return time.Time{}, false, icsErr(cl.no, "%s: the year must be between 1970 and 2200", cl.name)
	}
	return t, false, nil
}

// loadICSZone resolves a TZID. Some programs prefix the IANA name with a
// path of their own (/mozilla.org/20050126_1/Europe/Berlin).
func loadICSZone(tzid string) (*time.Location, error) {
	tzid = strings.TrimSpace(tzid)
	if z, err := LoadZone(tzid); err == nil {
		return z, nil
	}
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for i := 1; i < len(parts); i++ {
		if z, err := LoadZone(strings.Join(parts[i:], "/")); err == nil {
			return z, nil
		}
	}
	return nil, fmt.Errorf("TZID %q is not a known IANA time zone", tzid)
}

// parseICSDuration reads the simple forms of an RFC 5545 duration:
// PnW, PnD, PTnHnMnS, PnDTnH... Negative durations are refused.
func parseICSDuration(s string) (time.Duration, int, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "+")
	if strings.HasPrefix(s, "-") {
		return 0, 0, errors.New("must not be negative")
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, 0, fmt.Errorf("%q is not a duration such as P1D or PT2H", s)
	}
	var d time.Duration
	days := 0
	inTime := false
	num := ""
	for _, c := range rest {
		switch {
		case c >= '0' && c <= '9':
			num += string(c)
			continue
		case c == 'T' && !inTime && num == "":
			inTime = true
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n > 100000 {
			return 0, 0, fmt.Errorf("%q is not a duration such as P1D or PT2H", s)
		}
		num = ""
		switch {
		case !inTime && c == 'W':
			days += 7 * n
		case !inTime && c == 'D':
			days += n
		case inTime && c == 'H':
			d += time.Duration(n) * time.Hour
		case inTime && c == 'M':
			d += time.Duration(n) * time.Minute
		case inTime && c == 'S':
			d += time.Duration(n) * time.Second
		default:
			return 0, 0, fmt.Errorf("%q is not a duration such as P1D or PT2H", s)
		}
	}
	if num != "" {
		return 0, 0, fmt.Errorf("%q is not a duration such as P1D or PT2H", s)
	}
	return d, days, nil
}

// ruleYears is how many years of an endless moving rule are imported,
// from the start of the current year: re-import the feed to extend them.
const ruleYears = 10

// maxOccurrences bounds what one event's rule may add to a calendar.
const maxOccurrences = 200

// expandRule reads an event's RRULE with the recurrence library. The same
// date every year, without end, is reported as yearly; any other rule gives
// the start instant of each occurrence (of an endless rule, those from the
// start of now's year for ruleYears years).
func expandRule(cl *contentLine, start time.Time, allDay bool, loc *time.Location, now time.Time) (occurrences []time.Time, yearly bool, err error) {
	bad := func(format string, args ...any) ([]time.Time, bool, error) {
		return nil, false, icsErr(cl.no, "RRULE: "+format, args...)
	}
	value := strings.TrimSpace(cl.value)
	zone := loc
	if allDay {
		zone = start.Location()
	}
	opt, err := rrule.StrToROptionInLocation(value, zone)
	if err != nil {
		return bad("%v", err)
	}
	if opt.Freq > rrule.DAILY {
		return bad("a holiday repeats at most daily, not %s", strings.ToLower(opt.Freq.String()))
	}
	local := start
	if !allDay {
		local = start.In(loc)
	}
	opt.Dtstart = local
	sameDate := opt.Freq == rrule.YEARLY && opt.Interval <= 1 && len(opt.Byweekday) == 0 && len(opt.Bysetpos) == 0 &&
		len(opt.Byyearday) == 0 && len(opt.Byweekno) == 0 && len(opt.Byeaster) == 0 &&
		len(opt.Byhour) == 0 && len(opt.Byminute) == 0 && len(opt.Bysecond) == 0 &&
		(len(opt.Bymonth) == 0 || len(opt.Bymonth) == 1 && opt.Bymonth[0] == int(local.Month())) &&
		(len(opt.Bymonthday) == 0 || len(opt.Bymonthday) == 1 && opt.Bymonthday[0] == local.Day())
	endless := opt.Count == 0 && opt.Until.IsZero()
	if sameDate && endless {
		return nil, true, nil
	}
	rule, err := rrule.NewRRule(*opt)
	if err != nil {
		return bad("%v", err)
	}
	// A rule must begin with the event itself; what a rule out of step
	// with its DTSTART means is left undefined by the standard.
	if first, ok := rule.Iterator()(); !ok || !first.Equal(local) {
		return bad("the rule does not include the event's own date, %s; start the event on its first occurrence", local.Format("2006-01-02"))
	}
	from, to := local, time.Time{}
	if endless {
		y := now.In(zone).Year()
		from = time.Date(y, 1, 1, 0, 0, 0, 0, zone)
		to = time.Date(y+ruleYears, 1, 1, 0, 0, 0, 0, zone)
		if local.After(from) {
			from = local
		}
	}
	next := rule.Iterator()
	for {
		o, ok := next()
		if !ok || !to.IsZero() && !o.Before(to) {
			break
		}
		if o.Before(from) {
			continue
		}
		if len(occurrences) == maxOccurrences {
			return bad("the rule gives more than %d dates; a calendar keeps holidays, not a timetable", maxOccurrences)
		}
		occurrences = append(occurrences, o)
	}
	return occurrences, false, nil
}
