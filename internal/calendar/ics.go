package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on an imported iCalendar file.
const (
	MaxICSBytes  = 1 << 20
	MaxICSEvents = 2000
	// maxEventDays bounds how many dates one event (a long all-day event,
	// or a yearly rule with COUNT or UNTIL) may expand into.
	maxEventDays = 400
)

// ICSError is a problem with an iCalendar file, at a line of it (1-based;
// 0 when it concerns the file as a whole).
type ICSError struct {
	Line int
	Msg  string
}

func (e *ICSError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

func icsErr(line int, format string, args ...any) error {
	return &ICSError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// contentLine is one unfolded line: NAME;PARAM=VALUE:value.
type contentLine struct {
	no     int // physical line on which it starts
	name   string
	params map[string]string
	value  string
}

// icsEvent is what a VEVENT says about its dates.
type icsEvent struct {
	begin                 int
	start, end, duration  *contentLine
	summary, rrule, state *contentLine
}

// ParseICS reads holidays from an iCalendar (RFC 5545) file, such as a
// public-holiday feed exported from a calendar program. It understands the
// subset such feeds use:
//
//   - all-day events (DTSTART;VALUE=DATE): one holiday per date, DTEND
//     being exclusive, so a three-day event gives three holidays;
//   - timed events (UTC, TZID= or floating times, the last read in loc):
//     converted to loc and cut at local midnight into partial holidays;
//   - RRULE:FREQ=YEARLY on a fixed date: a yearly holiday, or, with COUNT
//     or UNTIL, one holiday per year it covers;
//   - SUMMARY becomes the holiday's name; cancelled events are skipped.
//
// Anything it cannot represent faithfully (other recurrences, exceptions)
// is an error naming the line, rather than a silently different holiday.
func ParseICS(r io.Reader, loc *time.Location) ([]Holiday, error) {
	if loc == nil {
		loc = time.UTC
	}
	raw, err := io.ReadAll(io.LimitReader(r, MaxICSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxICSBytes {
		return nil, icsErr(0, "the file is larger than %d bytes", MaxICSBytes)
	}
	lines, err := unfold(raw)
	if err != nil {
		return nil, err
	}
	return parseComponents(lines, loc)
}

// unfold splits the file into content lines, joining continuation lines
// (those starting with a space or a tab) onto the line before.
func unfold(raw []byte) ([]contentLine, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, icsErr(0, "the file is empty")
	}
	type physical struct {
		no   int
		text string
	}
	var logical []physical
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), MaxICSBytes+1)
	no := 0
	for sc.Scan() {
		no++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if !utf8.ValidString(line) || strings.ContainsAny(line, "\x00") {
			return nil, icsErr(no, "not text: the file is not an iCalendar file")
		}
		for _, c := range line {
			if c < 0x20 && c != '\t' {
				return nil, icsErr(no, "not text: control character %U", c)
			}
		}
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			if len(logical) == 0 {
				return nil, icsErr(no, "a continuation line cannot come first")
			}
			logical[len(logical)-1].text += line[1:]
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		logical = append(logical, physical{no, line})
	}
	if err := sc.Err(); err != nil {
		return nil, icsErr(no+1, "%v", err)
	}
	out := make([]contentLine, 0, len(logical))
	for _, p := range logical {
		cl, err := splitContentLine(p.text)
		if err != nil {
			return nil, icsErr(p.no, "%v", err)
		}
		cl.no = p.no
		out = append(out, cl)
	}
	return out, nil
}

// splitContentLine parses NAME *(;PARAM=VALUE) : value, where parameter
// values may be quoted and may then hold ; : and ,.
func splitContentLine(s string) (contentLine, error) {
	cl := contentLine{params: map[string]string{}}
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return cl, errors.New("not an iCalendar line (NAME:value)")
	}
	cl.name = strings.ToUpper(s[:i])
	for _, c := range cl.name {
		if !(c == '-' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return cl, fmt.Errorf("%q is not a property name", s[:i])
		}
	}
	for s[i] == ';' {
		j := i + 1
		eq := strings.IndexByte(s[j:], '=')
		if eq < 0 {
			return cl, fmt.Errorf("%s: parameter without a value", cl.name)
		}
		pname := strings.ToUpper(s[j : j+eq])
		j += eq + 1
		var pval string
		if j < len(s) && s[j] == '"' {
			end := strings.IndexByte(s[j+1:], '"')
			if end < 0 {
				return cl, fmt.Errorf("%s: unterminated quoted parameter %s", cl.name, pname)
			}
			pval = s[j+1 : j+1+end]
			j += end + 2
		} else {
			end := strings.IndexAny(s[j:], ";:")
			if end < 0 {
				return cl, fmt.Errorf("%s: no ':' before the value", cl.name)
			}
			pval = s[j : j+end]
			j += end
		}
		if j >= len(s) || (s[j] != ';' && s[j] != ':') {
			return cl, fmt.Errorf("%s: no ':' before the value", cl.name)
		}
		cl.params[pname] = pval
		i = j
	}
	cl.value = s[i+1:]
	return cl, nil
}

func parseComponents(lines []contentLine, loc *time.Location) ([]Holiday, error) {
	type open struct {
		name string
		line int
	}
	var stack []open
	var ev *icsEvent
	var out []Holiday
	events, calendars := 0, 0
	for i := range lines {
		cl := &lines[i]
		switch cl.name {
		case "BEGIN":
			comp := strings.ToUpper(strings.TrimSpace(cl.value))
			if len(stack) == 0 && comp != "VCALENDAR" {
				return nil, icsErr(cl.no, "BEGIN:%s outside BEGIN:VCALENDAR; this is not an iCalendar file", comp)
			}
			if comp == "VCALENDAR" {
				if len(stack) != 0 {
					return nil, icsErr(cl.no, "BEGIN:VCALENDAR inside %s (line %d)", stack[len(stack)-1].name, stack[len(stack)-1].line)
				}
				calendars++
			}
			if comp == "VEVENT" {
				if len(stack) != 1 {
					return nil, icsErr(cl.no, "BEGIN:VEVENT inside %s (line %d)", stack[len(stack)-1].name, stack[len(stack)-1].line)
				}
				if events++; events > MaxICSEvents {
					return nil, icsErr(cl.no, "more than %d events; split the file", MaxICSEvents)
				}
				ev = &icsEvent{begin: cl.no}
			}
			stack = append(stack, open{comp, cl.no})
		case "END":
			comp := strings.ToUpper(strings.TrimSpace(cl.value))
			if len(stack) == 0 {
				return nil, icsErr(cl.no, "END:%s without a BEGIN", comp)
			}
			top := stack[len(stack)-1]
			if top.name != comp {
				return nil, icsErr(cl.no, "END:%s does not close BEGIN:%s (line %d)", comp, top.name, top.line)
			}
			stack = stack[:len(stack)-1]
			if comp == "VEVENT" {
				hs, err := ev.holidays(loc)
				if err != nil {
					return nil, err
				}
				out = append(out, hs...)
				ev = nil
			}
		default:
			if len(stack) == 0 {
				return nil, icsErr(cl.no, "%s outside BEGIN:VCALENDAR; this is not an iCalendar file", cl.name)
			}
			if ev != nil && len(stack) == 2 {
				if err := ev.add(cl); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return nil, icsErr(top.line, "BEGIN:%s is never closed by END:%s", top.name, top.name)
	}
	if calendars == 0 {
		return nil, icsErr(0, "no BEGIN:VCALENDAR; this is not an iCalendar file")
	}
	if len(out) > MaxHolidays {
		return nil, icsErr(0, "the file holds %d holidays; a calendar takes at most %d", len(out), MaxHolidays)
	}
	if out == nil {
		out = []Holiday{}
	}
	return out, nil
}

// add records one property of the event.
func (ev *icsEvent) add(cl *contentLine) error {
	set := func(p **contentLine) error {
		if *p != nil {
			return icsErr(cl.no, "%s is given twice in the event that starts on line %d", cl.name, ev.begin)
		}
		*p = cl
		return nil
	}
	switch cl.name {
	case "DTSTART":
		return set(&ev.start)
	case "DTEND":
		return set(&ev.end)
	case "DURATION":
		return set(&ev.duration)
	case "SUMMARY":
		return set(&ev.summary)
	case "RRULE":
		return set(&ev.rrule)
	case "STATUS":
		return set(&ev.state)
	case "RDATE", "EXDATE", "RECURRENCE-ID":
		return icsErr(cl.no, "%s: extra dates, exceptions and changed instances of a series are not supported; list each holiday as an event of its own", cl.name)
	}
	return nil
}

// holidays turns a finished event into holidays.
func (ev *icsEvent) holidays(loc *time.Location) ([]Holiday, error) {
	if ev.state != nil && strings.EqualFold(strings.TrimSpace(ev.state.value), "CANCELLED") {
		return nil, nil
	}
	if ev.start == nil {
		return nil, icsErr(ev.begin, "the event has no DTSTART")
	}
	if ev.end != nil && ev.duration != nil {
		return nil, icsErr(ev.duration.no, "DURATION: an event has DTEND or DURATION, not both")
	}
	name := ""
	if ev.summary != nil {
		name = unescapeText(ev.summary.value)
		if r := []rune(name); len(r) > 200 {
			name = string(r[:200])
		}
	}
	start, allDay, err := parseICSTime(ev.start, loc)
	if err != nil {
		return nil, err
	}
	var end time.Time
	switch {
	case ev.end != nil:
		var endAllDay bool
		end, endAllDay, err = parseICSTime(ev.end, loc)
		if err != nil {
			return nil, err
		}
		if endAllDay != allDay {
			return nil, icsErr(ev.end.no, "DTEND: must be a date when DTSTART is a date, and a date-time when it is a date-time")
		}
	case ev.duration != nil:
		d, days, err := parseICSDuration(ev.duration.value)
		if err != nil {
			return nil, icsErr(ev.duration.no, "DURATION: %v", err)
		}
		if allDay && d != 0 {
			return nil, icsErr(ev.duration.no, "DURATION: an all-day event lasts whole days (P1D), not hours")
		}
		end = start.AddDate(0, 0, days).Add(d)
	case allDay:
		end = start.AddDate(0, 0, 1)
	default:
		return nil, icsErr(ev.start.no, "DTSTART: a timed event needs DTEND or DURATION")
	}
	endLine := ev.start.no
	if ev.end != nil {
		endLine = ev.end.no
	} else if ev.duration != nil {
		endLine = ev.duration.no
	}
	if !end.After(start) {
		return nil, icsErr(endLine, "the event ends before it starts, or has no length")
	}
	var pieces []Holiday
	if allDay {
		for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
			if len(pieces) >= maxEventDays {
				return nil, icsErr(endLine, "the event lasts more than %d days", maxEventDays)
			}
			pieces = append(pieces, Holiday{Date: d.Format("2006-01-02"), Name: name})
		}
	} else {
		if pieces, err = cutAtMidnight(start.In(loc), end.In(loc), name); err != nil {
			return nil, icsErr(endLine, "%v", err)
		}
	}
	if ev.rrule == nil {
		return pieces, nil
	}
	years, yearly, err := parseYearlyRule(ev.rrule, start, allDay, loc)
	if err != nil {
		return nil, err
	}
	if yearly {
		for i := range pieces {
			pieces[i].Yearly = true
		}
		return pieces, nil
	}
	var out []Holiday
	for _, add := range years {
		for _, p := range pieces {
			d, _ := time.Parse("2006-01-02", p.Date)
			moved := d.AddDate(add, 0, 0)
			if moved.Day() != d.Day() { // 29 February in a common year
				continue
			}
			p.Date = moved.Format("2006-01-02")
			out = append(out, p)
		}
	}
	return out, nil
}

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

// parseYearlyRule accepts FREQ=YEARLY on the event's own date. Without
// COUNT or UNTIL the holiday is yearly; with one of them it returns the
// offsets in years of each occurrence instead.
func parseYearlyRule(cl *contentLine, start time.Time, allDay bool, loc *time.Location) (years []int, yearly bool, err error) {
	bad := func(format string, args ...any) ([]int, bool, error) {
		return nil, false, icsErr(cl.no, "RRULE: "+format, args...)
	}
	parts := map[string]string{}
	for _, p := range strings.Split(strings.TrimSpace(cl.value), ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return bad("%q is not NAME=VALUE", p)
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		if _, dup := parts[k]; dup {
			return bad("%s is given twice", k)
		}
		parts[k] = strings.ToUpper(strings.TrimSpace(v))
	}
	if parts["FREQ"] != "YEARLY" {
		return bad("only yearly rules on a fixed date (FREQ=YEARLY) are supported, not FREQ=%s; list such holidays one by one", parts["FREQ"])
	}
	local := start
	if !allDay {
		local = start.In(loc)
	}
	for k, v := range parts {
		switch k {
		case "FREQ", "COUNT", "UNTIL", "WKST":
		case "INTERVAL":
			if v != "1" {
				return bad("INTERVAL=%s: only every year (INTERVAL=1) is supported", v)
			}
		case "BYMONTH":
			if v != strconv.Itoa(int(local.Month())) {
				return bad("BYMONTH=%s: the rule must repeat the event's own date; moving dates (such as Easter) must be listed one by one", v)
			}
		case "BYMONTHDAY":
			if v != strconv.Itoa(local.Day()) {
				return bad("BYMONTHDAY=%s: the rule must repeat the event's own date; moving dates must be listed one by one", v)
			}
		default:
			return bad("%s is not supported: only the same date every year can be imported; moving dates (such as the last Monday of May) must be listed one by one", k)
		}
	}
	count, until := parts["COUNT"], parts["UNTIL"]
	switch {
	case count != "" && until != "":
		return bad("COUNT and UNTIL cannot both be given")
	case count != "":
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 || n > 100 {
			return bad("COUNT=%s must be a number from 1 to 100", count)
		}
		for i := 0; i < n; i++ {
			years = append(years, i)
		}
		return years, false, nil
	case until != "":
		u, _, err := parseICSTime(&contentLine{no: cl.no, name: "RRULE: UNTIL", value: until, params: map[string]string{}}, loc)
		if err != nil {
			return nil, false, err
		}
		for i := 0; !start.AddDate(i, 0, 0).After(u); i++ {
			if i == 100 {
				return bad("UNTIL covers more than 100 years")
			}
			years = append(years, i)
		}
		return years, false, nil
	}
	return nil, true, nil
}

// unescapeText undoes RFC 5545 TEXT escaping (\\ \; \, \n) and folds the
// result onto one line, as a holiday's name is.
func unescapeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
