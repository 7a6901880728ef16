package calendar

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// germanHolidays is shaped like the public-holiday feed a calendar program
// exports: CRLF line ends, a folded line, a VTIMEZONE block, a reminder
// nested in an event, yearly rules for fixed dates and one-off dates for
// those that move with Easter.
var germanHolidays = strings.ReplaceAll(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Org//Holiday Feed 3.1//DE
CALSCALE:GREGORIAN
X-WR-CALNAME:Feiertage Deutschland
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:neujahr@feed.example
DTSTAMP:20251101T120000Z
DTSTART;VALUE=DATE:20260101
DTEND;VALUE=DATE:20260102
RRULE:FREQ=YEARLY
SUMMARY;LANGUAGE=de:Neujahr
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:karfreitag-2026@feed.example
DTSTAMP:20251101T120000Z
DTSTART;VALUE=DATE:20260403
DTEND;VALUE=DATE:20260404
SUMMARY:Karfreitag
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER:-PT15H
DESCRIPTION:Reminder
DTSTART:20260402T090000
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:ostermontag-2026@feed.example
DTSTAMP:20251101T120000Z
DTSTART;VALUE=DATE:20260406
DTEND;VALUE=DATE:20260407
SUMMARY:Ostermontag
END:VEVENT
BEGIN:VEVENT
UID:tag-der-arbeit@feed.example
DTSTAMP:20251101T120000Z
DTSTART;VALUE=DATE:20260501
DTEND;VALUE=DATE:20260502
RRULE:FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1
SUMMARY:Tag der Arbeit
END:VEVENT
BEGIN:VEVENT
UID:einheit@feed.example
DTSTAMP:20251101T120000Z
DTSTART;VALUE=DATE:20261003
DTEND;VALUE=DATE:20261004
RRULE:FREQ=YEARLY;INTERVAL=1
SUMMARY:Tag der Deutschen
  Einheit
END:VEVENT
BEGIN:VEVENT
UID:weihnachten@feed.example
DTSTAMP:20251101T120000Z
DTSTART;VALUE=DATE:20261225
DTEND;VALUE=DATE:20261227
RRULE:FREQ=YEARLY
SUMMARY:Weihnachten\, 1. und 2. Feiertag
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n")

// ukBankHolidays is shaped like a government bank-holiday feed: LF line
// ends, one event per date, no recurrence.
const ukBankHolidays = `BEGIN:VCALENDAR
VERSION:2.0
METHOD:PUBLISH
PRODID:-//Example Gov//Bank Holidays//EN
CALSCALE:GREGORIAN
BEGIN:VEVENT
DTEND;VALUE=DATE:20260102
DTSTART;VALUE=DATE:20260101
SUMMARY:New Year’s Day
UID:2026-01-01-ew@bank-holidays.example
SEQUENCE:0
DTSTAMP:20251201T000000Z
END:VEVENT
BEGIN:VEVENT
DTEND;VALUE=DATE:20260526
DTSTART;VALUE=DATE:20260525
SUMMARY:Spring bank holiday
UID:2026-05-25-ew@bank-holidays.example
SEQUENCE:0
DTSTAMP:20251201T000000Z
END:VEVENT
BEGIN:VEVENT
DTEND;VALUE=DATE:20261229
DTSTART;VALUE=DATE:20261228
SUMMARY:Boxing Day (substitute day)
UID:2026-12-28-ew@bank-holidays.example
SEQUENCE:0
DTSTAMP:20251201T000000Z
END:VEVENT
END:VCALENDAR
`

func wrap(events string) string {
	return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + events + "END:VCALENDAR\n"
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseICS(t *testing.T) {
	loc := berlin(t)
	cases := []struct {
		name string
		in   string
		want []Holiday
	}{
		{"German public holidays", germanHolidays, []Holiday{
			{Date: "2026-01-01", Yearly: true, Name: "Neujahr"},
			{Date: "2026-04-03", Name: "Karfreitag"},
			{Date: "2026-04-06", Name: "Ostermontag"},
			{Date: "2026-05-01", Yearly: true, Name: "Tag der Arbeit"},
			{Date: "2026-10-03", Yearly: true, Name: "Tag der Deutschen Einheit"},
			{Date: "2026-12-25", Yearly: true, Name: "Weihnachten, 1. und 2. Feiertag"},
			{Date: "2026-12-26", Yearly: true, Name: "Weihnachten, 1. und 2. Feiertag"},
		}},
		{"UK bank holidays", ukBankHolidays, []Holiday{
			{Date: "2026-01-01", Name: "New Year’s Day"},
			{Date: "2026-05-25", Name: "Spring bank holiday"},
			{Date: "2026-12-28", Name: "Boxing Day (substitute day)"},
		}},
		{"all-day event without DTEND is one day", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nSUMMARY:Summer closing\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-08-03", Name: "Summer closing"}}},
		{"a date without VALUE=DATE", wrap("BEGIN:VEVENT\nDTSTART:20260803\nDTEND:20260805\nSUMMARY:Closed\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-08-03", Name: "Closed"}, {Date: "2026-08-04", Name: "Closed"}}},
		{"duration in days", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261224\nDURATION:P3D\nSUMMARY:Winter break\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-12-24", Name: "Winter break"}, {Date: "2026-12-25", Name: "Winter break"}, {Date: "2026-12-26", Name: "Winter break"}}},
		{"timed in UTC becomes local time", wrap("BEGIN:VEVENT\nDTSTART:20260715T120000Z\nDTEND:20260715T150000Z\nSUMMARY:Staff meeting\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-07-15", Start: "14:00", End: "17:00", Name: "Staff meeting"}}},
		{"timed in another zone", wrap("BEGIN:VEVENT\nDTSTART;TZID=America/New_York:20260115T080000\nDTEND;TZID=\"America/New_York\":20260115T100000\nSUMMARY:Town hall\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-01-15", Start: "14:00", End: "16:00", Name: "Town hall"}}},
		{"TZID with a program's prefix", wrap("BEGIN:VEVENT\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20261224T120000\nDTEND;TZID=/mozilla.org/20050126_1/Europe/Berlin:20261224T235959\nSUMMARY:Christmas Eve afternoon\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-12-24", Start: "12:00", End: "24:00", Name: "Christmas Eve afternoon"}}},
		{"floating time is the calendar's", wrap("BEGIN:VEVENT\nDTSTART:20261231T120000\nDURATION:PT12H\nSUMMARY:New Year's Eve\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-12-31", Start: "12:00", End: "24:00", Name: "New Year's Eve"}}},
		{"timed across midnight is cut", wrap("BEGIN:VEVENT\nDTSTART:20260320T220000\nDTEND:20260323T060000\nSUMMARY:Data centre move\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-03-20", Start: "22:00", End: "24:00", Name: "Data centre move"}, {Date: "2026-03-21", Name: "Data centre move"},
				{Date: "2026-03-22", Name: "Data centre move"}, {Date: "2026-03-23", Start: "00:00", End: "06:00", Name: "Data centre move"}}},
		{"across the DST change, in local hours", wrap("BEGIN:VEVENT\nDTSTART:20260329T000000Z\nDTEND:20260329T030000Z\nSUMMARY:Maintenance\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-03-29", Start: "01:00", End: "05:00", Name: "Maintenance"}}},
		{"yearly timed holiday", wrap("BEGIN:VEVENT\nDTSTART:20261231T130000\nDTEND:20261231T170000\nRRULE:FREQ=YEARLY\nSUMMARY:New Year's Eve afternoon\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-12-31", Start: "13:00", End: "17:00", Yearly: true, Name: "New Year's Eve afternoon"}}},
		{"yearly with COUNT gives one date per year", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260617\nRRULE:FREQ=YEARLY;COUNT=3\nSUMMARY:Company day\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-06-17", Name: "Company day"}, {Date: "2027-06-17", Name: "Company day"}, {Date: "2028-06-17", Name: "Company day"}}},
		{"yearly with UNTIL", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260617\nRRULE:FREQ=YEARLY;UNTIL=20270617\nSUMMARY:Company day\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-06-17", Name: "Company day"}, {Date: "2027-06-17", Name: "Company day"}}},
		{"29 February only in leap years, COUNT counting those", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20280229\nRRULE:FREQ=YEARLY;COUNT=3\nSUMMARY:Leap day\nEND:VEVENT\n"),
			[]Holiday{{Date: "2028-02-29", Name: "Leap day"}, {Date: "2032-02-29", Name: "Leap day"}, {Date: "2036-02-29", Name: "Leap day"}}},
		{"the last Monday of May, twice", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260525\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO;COUNT=2\nSUMMARY:Spring bank holiday\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-05-25", Name: "Spring bank holiday"}, {Date: "2027-05-31", Name: "Spring bank holiday"}}},
		{"every other year until a date", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260617\nRRULE:FREQ=YEARLY;INTERVAL=2;UNTIL=20310101\nSUMMARY:Jubilee\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-06-17", Name: "Jubilee"}, {Date: "2028-06-17", Name: "Jubilee"}, {Date: "2030-06-17", Name: "Jubilee"}}},
		{"a monthly closing afternoon, three times", wrap("BEGIN:VEVENT\nDTSTART:20260130T130000\nDTEND:20260130T170000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3\nSUMMARY:Month-end close\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-01-30", Start: "13:00", End: "17:00", Name: "Month-end close"}, {Date: "2026-02-27", Start: "13:00", End: "17:00", Name: "Month-end close"},
				{Date: "2026-03-27", Start: "13:00", End: "17:00", Name: "Month-end close"}}},
		{"cancelled events are skipped", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nSTATUS:CANCELLED\nSUMMARY:Gone\nEND:VEVENT\n"), []Holiday{}},
		{"escapes in the summary", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nSUMMARY:Plant\\; site A\\, B\\nand C \\\\ D\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-08-03", Name: `Plant; site A, B and C \ D`}}},
		{"folding with a tab and a byte order mark", "\xef\xbb\xbf" + wrap("BEGIN:VEVENT\nDTST\n\tART;VALUE=DATE:20260803\nSUMMARY:A\n  B\nEND:VEVENT\n"),
			[]Holiday{{Date: "2026-08-03", Name: "A B"}}},
		{"an empty calendar", wrap(""), []Holiday{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseICS(strings.NewReader(c.in), loc)
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
			// Whatever is imported must make a valid calendar.
			s := Spec{Name: "x", TimeZone: "Europe/Berlin", Holidays: got, Windows: []Window{{"monday", "09:00", "17:00"}}}
			s.Normalize()
			if err := s.Validate(); err != nil {
				t.Fatalf("imported holidays do not validate: %v", err)
			}
		})
	}
}

func TestParseICSRefuses(t *testing.T) {
	loc := berlin(t)
	many := strings.Repeat("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nEND:VEVENT\n", MaxICSEvents+1)
	cases := []struct {
		name string
		in   string
		want string // the error message, or a part of it
	}{
		{"empty", "", "the file is empty"},
		{"no VCALENDAR", "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nEND:VEVENT\n", "line 1: BEGIN:VEVENT outside BEGIN:VCALENDAR"},
		{"not iCalendar at all", "date,name\n2026-01-01,New Year\n", "line 1: not an iCalendar line"},
		{"binary", "BEGIN:VCALENDAR\n\x89PNG\x00\x01\x02\n", "line 2: not text"},
		{"unterminated VEVENT", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nEND:VCALENDAR\n", "line 4: END:VCALENDAR does not close BEGIN:VEVENT (line 2)"},
		{"truncated file", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\n", "line 2: BEGIN:VEVENT is never closed"},
		{"event inside event", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nBEGIN:VEVENT\n", "line 4: BEGIN:VEVENT inside VEVENT (line 2)"},
		{"stray END", wrap("END:VEVENT\n"), "line 4: END:VEVENT does not close BEGIN:VCALENDAR"},
		{"text after the calendar", wrap("") + "SUMMARY:x\n", "line 5: SUMMARY outside BEGIN:VCALENDAR"},
		{"bad date", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261332\nEND:VEVENT\n"), `line 5: DTSTART: "20261332" is not a date as YYYYMMDD`},
		{"bad date-time", wrap("BEGIN:VEVENT\nDTSTART:2026-08-03T10:00\nDTEND:20260803T120000\nEND:VEVENT\n"), "line 5: DTSTART: "},
		{"no DTSTART", wrap("BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n"), "line 4: the event has no DTSTART"},
		{"end before start", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nDTEND;VALUE=DATE:20260801\nEND:VEVENT\n"), "line 6: the event ends before it starts"},
		{"timed without end", wrap("BEGIN:VEVENT\nDTSTART:20260803T100000Z\nEND:VEVENT\n"), "line 5: DTSTART: a timed event needs DTEND or DURATION"},
		{"mixed date and date-time", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nDTEND:20260803T120000Z\nEND:VEVENT\n"), "line 6: DTEND: must be a date"},
		{"unknown zone", wrap("BEGIN:VEVENT\nDTSTART;TZID=W. Europe Standard Time:20260803T100000\nDTEND;TZID=W. Europe Standard Time:20260803T120000\nEND:VEVENT\n"), `line 5: DTSTART: TZID "W. Europe Standard Time" is not a known IANA time zone`},
		{"hourly rule", wrap("BEGIN:VEVENT\nDTSTART:20260803T100000Z\nDTEND:20260803T103000Z\nRRULE:FREQ=HOURLY\nEND:VEVENT\n"), "line 7: RRULE: a holiday repeats at most daily, not hourly"},
		{"a rule that is not one", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260525\nRRULE:FREQ=FORTNIGHTLY\nEND:VEVENT\n"), "line 6: RRULE: "},
		{"rule for another date", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260525\nRRULE:FREQ=YEARLY;BYMONTH=6\nEND:VEVENT\n"), "line 6: RRULE: the rule does not include the event's own date, 2026-05-25"},
		{"a daily rule without end", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260525\nRRULE:FREQ=DAILY\nEND:VEVENT\n"), "line 6: RRULE: the rule gives more than 200 dates"},
		{"exceptions", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260525\nRRULE:FREQ=YEARLY\nEXDATE;VALUE=DATE:20270525\nEND:VEVENT\n"), "line 7: EXDATE: "},
		{"DTSTART twice", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260525\nDTSTART;VALUE=DATE:20260526\nEND:VEVENT\n"), "line 6: DTSTART is given twice"},
		{"unterminated quote", wrap("BEGIN:VEVENT\nDTSTART;TZID=\"Europe/Berlin:20260803T100000\nEND:VEVENT\n"), "line 5: DTSTART: unterminated quoted parameter TZID"},
		{"too many events", wrap(many), "more than 2000 events"},
		{"too large", wrap("X-PAD:" + strings.Repeat("a", MaxICSBytes) + "\n"), "larger than 1048576 bytes"},
		{"too long an event", wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20280101\nEND:VEVENT\n"), "line 6: the event lasts more than 400 days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseICS(strings.NewReader(c.in), loc)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			var ie *ICSError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not an ICSError", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// A public-holiday feed publishes Thanksgiving as a rule without end: it
// becomes the fourth Thursday of November of this year and the nine after.
func TestParseICSMovingHolidayWithoutEnd(t *testing.T) {
	loc, _ := time.LoadLocation("America/New_York")
	in := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20001123\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\r\nSUMMARY:Thanksgiving Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	got, err := ParseICS(strings.NewReader(in), loc)
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().In(loc).Year()
	var want []Holiday
	for y := year; y < year+10; y++ {
		d := time.Date(y, time.November, 1, 0, 0, 0, 0, time.UTC)
		for d.Weekday() != time.Thursday {
			d = d.AddDate(0, 0, 1)
		}
		want = append(want, Holiday{Date: d.AddDate(0, 0, 21).Format("2006-01-02"), Name: "Thanksgiving Day"})
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}
