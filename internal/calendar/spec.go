// Package calendar is business-time arithmetic: working windows per weekday
// in an IANA time zone, minus holidays, turned into the instants at which
// work is done. It answers how much business time lies between two
// instants and when a given amount of business time will have passed. It is
// pure Go and touches no database; everything that stores calendars lives
// in internal/sla.
package calendar

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
)

// Spec is a calendar as users write it and the API carries it.
type Spec struct {
	Name     string    `json:"name"`
	TimeZone string    `json:"time_zone"`
	Windows  []Window  `json:"windows"`
	Holidays []Holiday `json:"holidays"`
}

// Window is working time on one weekday, local wall-clock time in the
// calendar's zone. End may be "24:00" (midnight at the end of the day).
type Window struct {
	Weekday string `json:"weekday"` // monday .. sunday
	Start   string `json:"start"`   // HH:MM
	End     string `json:"end"`     // HH:MM, after Start
}

// Holiday removes working time on one date: the whole day, or Start-End
// when both are given. A yearly holiday recurs on the same month and day.
type Holiday struct {
	Date   string `json:"date"` // YYYY-MM-DD
	Start  string `json:"start,omitempty"`
	End    string `json:"end,omitempty"`
	Yearly bool   `json:"yearly"`
	Name   string `json:"name"`
}

// Weekdays names the days as Window.Weekday spells them, Sunday first as
// time.Weekday numbers them.
var Weekdays = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// MaxWindows and MaxHolidays bound a calendar's size.
const (
	MaxWindows  = 70
	MaxHolidays = 2000
)

// span is [From, To) in seconds since local midnight.
type span struct{ From, To int32 }

func weekdayNumber(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, d := range Weekdays {
		if d == s || d[:3] == s {
			return i, true
		}
	}
	return 0, false
}

// parseClock reads HH:MM (00:00-24:00) as seconds since midnight.
func parseClock(s string) (int32, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, fmt.Errorf("must be a time of day as HH:MM")
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("must be a time of day between 00:00 and 24:00")
	}
	return int32(hh*3600 + mm*60), nil
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be a date as YYYY-MM-DD")
	}
	return d, nil
}

// LoadZone resolves an IANA zone name. "Local" is refused: a calendar's
// meaning must not depend on the server it runs on.
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("is required (an IANA time zone such as Europe/Berlin)")
	}
	if name == "Local" {
		return nil, fmt.Errorf("must name a zone, such as Europe/Berlin, not the server's local time")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a known IANA time zone", name)
	}
	return loc, nil
}

// Normalize trims and lower-cases what users type loosely, so that stored
// calendars compare equal when they mean the same.
func (s *Spec) Normalize() {
	s.Name = strings.TrimSpace(s.Name)
	s.TimeZone = strings.TrimSpace(s.TimeZone)
	for i := range s.Windows {
		w := &s.Windows[i]
		if n, ok := weekdayNumber(w.Weekday); ok {
			w.Weekday = Weekdays[n]
		}
		w.Start, w.End = strings.TrimSpace(w.Start), strings.TrimSpace(w.End)
	}
	for i := range s.Holidays {
		h := &s.Holidays[i]
		h.Date, h.Start, h.End = strings.TrimSpace(h.Date), strings.TrimSpace(h.Start), strings.TrimSpace(h.End)
		h.Name = strings.TrimSpace(h.Name)
	}
	if s.Windows == nil {
		s.Windows = []Window{}
	}
	if s.Holidays == nil {
		s.Holidays = []Holiday{}
	}
}

// Validate reports every problem with the spec, naming each field by its
// path (windows[2].end, holidays[0].date), or nil.
func (s *Spec) Validate() error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", s.Name, true, domainerr.MaxName)
	if _, err := LoadZone(s.TimeZone); err != nil {
		v.Add("time_zone", "%s", err)
	}
	if len(s.Windows) > MaxWindows {
		v.Add("windows", "at most %d windows", MaxWindows)
	}
	if len(s.Windows) == 0 {
		v.Add("windows", "a calendar needs at least one working window, or nothing could ever be due")
	}
	type placed struct {
		i int
		span
	}
	perDay := map[int][]placed{}
	for i, w := range s.Windows {
		f := fmt.Sprintf("windows[%d]", i)
		d, ok := weekdayNumber(w.Weekday)
		if !ok {
			v.Add(f+".weekday", "must be a day of the week (monday to sunday)")
		}
		from, err := parseClock(w.Start)
		if err != nil {
			v.Add(f+".start", "%s", err)
		}
		to, err2 := parseClock(w.End)
		if err2 != nil {
			v.Add(f+".end", "%s", err2)
		}
		if err != nil || err2 != nil || !ok {
			continue
		}
		if to <= from {
			v.Add(f+".end", "must be after the start (%s)", w.Start)
			continue
		}
		perDay[d] = append(perDay[d], placed{i, span{from, to}})
	}
	for _, ws := range perDay {
		sort.Slice(ws, func(a, b int) bool { return ws[a].From < ws[b].From })
		for k := 1; k < len(ws); k++ {
			if ws[k].From < ws[k-1].To {
				a, b := ws[k-1].i, ws[k].i
				if a > b {
					a, b = b, a
				}
				v.Add(fmt.Sprintf("windows[%d]", b), "overlaps windows[%d] on %s (%s-%s)",
					a, s.Windows[a].Weekday, s.Windows[a].Start, s.Windows[a].End)
			}
		}
	}
	if len(s.Holidays) > MaxHolidays {
		v.Add("holidays", "at most %d holidays", MaxHolidays)
	}
	for i, h := range s.Holidays {
		f := fmt.Sprintf("holidays[%d]", i)
		if _, err := ParseDate(h.Date); err != nil {
			v.Add(f+".date", "%s", err)
		}
		domainerr.Text(v, f+".name", h.Name, false, domainerr.MaxName)
		if (h.Start == "") != (h.End == "") {
			v.Add(f+".end", "a partial holiday needs both start and end; leave both empty for the whole day")
			continue
		}
		if h.Start == "" {
			continue
		}
		from, err := parseClock(h.Start)
		if err != nil {
			v.Add(f+".start", "%s", err)
		}
		to, err2 := parseClock(h.End)
		if err2 != nil {
			v.Add(f+".end", "%s", err2)
		}
		if err == nil && err2 == nil && to <= from {
			v.Add(f+".end", "must be after the start (%s)", h.Start)
		}
	}
	return v.Err()
}

// Always24x7 is the built-in calendar in which every instant is working time.
func Always24x7() Spec {
	s := Spec{Name: "24x7", TimeZone: "UTC", Holidays: []Holiday{}}
	for _, d := range Weekdays {
		s.Windows = append(s.Windows, Window{Weekday: d, Start: "00:00", End: "24:00"})
	}
	return s
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
