package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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
//   - RRULE, read by a maintained recurrence library: the same date every
//     year without end is a yearly holiday; any other rule (the fourth
//     Thursday of November, Easter-bound days listed by date, COUNT or
//     UNTIL) gives one holiday per occurrence, and a rule without end
//     gives those of this year and the nine after it;
//   - SUMMARY becomes the holiday's name; cancelled events are skipped.
//
// Anything it cannot represent faithfully (exceptions, rules that repeat
// more often than holidays do) is an error naming the line, rather than a
// silently different holiday.
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
	pieces, err := eventPieces(start, end, allDay, name, loc)
	if err != nil {
		return nil, icsErr(endLine, "%v", err)
	}
	if ev.rrule == nil {
		return pieces, nil
	}
	occurrences, yearly, err := expandRule(ev.rrule, start, allDay, loc, time.Now())
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
	for _, o := range occurrences {
		ps, err := eventPieces(o, o.Add(end.Sub(start)), allDay, name, loc)
		if err != nil {
			return nil, icsErr(endLine, "%v", err)
		}
		out = append(out, ps...)
	}
	return out, nil
}

// eventPieces turns one occurrence of an event into holidays: a whole day
// per date of an all-day event (its end exclusive), or partial days cut
// at local midnight for a timed one.
func eventPieces(start, end time.Time, allDay bool, name string, loc *time.Location) ([]Holiday, error) {
	if !allDay {
		return cutAtMidnight(start.In(loc), end.In(loc), name)
	}
	var pieces []Holiday
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		if len(pieces) >= maxEventDays {
			return nil, fmt.Errorf("the event lasts more than %d days", maxEventDays)
		}
		pieces = append(pieces, Holiday{Date: d.Format("2006-01-02"), Name: name})
	}
	return pieces, nil
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
