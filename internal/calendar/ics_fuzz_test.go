package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParseICS feeds the .ics reader what an upload may hold: it must
// answer every input with holidays or an error naming a line, never a
// panic, and the holidays it returns must have real dates.
func FuzzParseICS(f *testing.F) {
	for _, s := range []string{germanHolidays, ukBankHolidays,
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Europe/Berlin:20260403T120000\nDTEND;TZID=Europe/Berlin:20260403T170000\nSUMMARY:Half day\nEND:VEVENT\nEND:VCALENDAR\n",
		"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101T000000Z\nDURATION:P2D\nSUMMARY:Long\\, folded\n line\nEND:VEVENT\nEND:VCALENDAR\n",
		"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260431\nEND:VEVENT\nEND:VCALENDAR\n",
		"", "BEGIN:VCALENDAR", "\xff\xfe"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Skip("no time zone data")
	}
	f.Fuzz(func(t *testing.T, in string) {
		hs, err := ParseICS(strings.NewReader(in), loc)
		var ie *ICSError
		if err != nil {
			if errors.As(err, &ie) && ie.Line < 0 {
				t.Fatalf("error on line %d: %v", ie.Line, err)
			}
			return
		}
		for _, h := range hs {
			if _, err := time.Parse("2006-01-02", h.Date); err != nil {
				t.Fatalf("holiday %+v: %v", h, err)
			}
			if (h.Start == "") != (h.End == "") {
				t.Fatalf("holiday %+v has a start without an end", h)
			}
		}
	})
}
