package schedule_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"steward/internal/schedule"
)

// icsProp is one unfolded content line.
type icsProp struct{ name, params, value string }

// parseICS reads an iCalendar body strictly: every line ends in CRLF, no
// physical line is longer than 75 octets, a fold never splits a UTF-8
// character, BEGIN and END nest, and every VEVENT has UID, DTSTAMP and
// DTSTART. It returns the events' properties.
func parseICS(t *testing.T, body []byte) []map[string]icsProp {
	t.Helper()
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Fatal("body does not end with CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
	var lines []string
	for i, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Fatalf("line %d is %d octets long", i+1, len(l))
		}
		if !utf8.ValidString(l) {
			t.Fatalf("line %d splits a UTF-8 character: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") {
			if len(lines) == 0 {
				t.Fatal("body starts with a continuation line")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	var stack []string
	var events []map[string]icsProp
	var cur map[string]icsProp
	for _, l := range lines {
		head, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("content line without a colon: %q", l)
		}
		name, params, _ := strings.Cut(head, ";")
		switch name {
		case "BEGIN":
			stack = append(stack, value)
			if value == "VEVENT" {
				cur = map[string]icsProp{}
			}
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				t.Fatalf("END:%s does not close %v", value, stack)
			}
			stack = stack[:len(stack)-1]
			if value == "VEVENT" {
				for _, req := range []string{"UID", "DTSTAMP", "DTSTART"} {
					if _, ok := cur[req]; !ok {
						t.Fatalf("event without %s: %v", req, cur)
					}
				}
				events = append(events, cur)
			}
		default:
			if cur != nil && len(stack) > 0 && stack[len(stack)-1] == "VEVENT" {
				cur[name] = icsProp{name, params, value}
			}
		}
	}
	if len(stack) != 0 || lines[0] != "BEGIN:VCALENDAR" {
		t.Fatalf("calendar not closed or not opened: %v", stack)
	}
	return events
}

// unescape reads a TEXT value back.
func unescape(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ',' || c == ';' {
			t.Fatalf("unescaped %q in TEXT value %q", c, s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case '\\', ';', ',':
			b.WriteByte(s[i])
		default:
			t.Fatalf("bad escape \\%c in %q", s[i], s)
		}
	}
	return b.String()
}

func TestICSRoundTrip(t *testing.T) {
	title := "Replace the core switch; then reboot, check \\ logs\nand tell the désk — ünïcödé everywhere, " + strings.Repeat("ü", 40)
	start := time.Date(2027, 3, 28, 0, 30, 0, 0, time.UTC)
	cal := schedule.ChangeCalendar{
		Changes: []schedule.CalendarChange{
			{ID: 7, Number: "CHG-000007", Title: title, Type: "normal", State: "draft", Start: start, End: start.Add(90 * time.Minute)},
			{ID: 8, Number: "CHG-000008", Title: "Plain", Type: "emergency", State: "implementing", Start: start, End: start.Add(time.Hour)},
		},
		FreezePeriods: []schedule.FreezePeriod{{ID: 3, Name: "Year end, all", Start: start, End: start.Add(48 * time.Hour)}},
	}
	var buf bytes.Buffer
	now := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	if err := schedule.WriteICS(&buf, cal, "https://desk.example.com", now); err != nil {
		t.Fatal(err)
	}
	events := parseICS(t, buf.Bytes())
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	first := events[0]
	if got := unescape(t, first["SUMMARY"].value); got != "CHG-000007 "+title {
		t.Errorf("summary reads back as %q", got)
	}
	for k, want := range map[string]string{"UID": "change-7@steward", "DTSTAMP": "20270301T080000Z", "DTSTART": "20270328T003000Z",
		"DTEND": "20270328T020000Z", "STATUS": "TENTATIVE", "URL": "https://desk.example.com/changes/CHG-000007"} {
		if first[k].value != want {
			t.Errorf("%s = %q, want %q", k, first[k].value, want)
		}
	}
	if events[1]["STATUS"].value != "CONFIRMED" {
		t.Errorf("an implementing change is %s", events[1]["STATUS"].value)
	}
	if got := unescape(t, events[2]["SUMMARY"].value); got != "Change freeze: Year end, all" || events[2]["UID"].value != "freeze-3@steward" {
		t.Errorf("freeze event: %v", events[2])
	}
	if !bytes.Contains(buf.Bytes(), []byte("VERSION:2.0\r\nPRODID:")) {
		t.Error("no VERSION and PRODID")
	}
}

func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		`a,b;c\d`:    `a\,b\;c\\d`,
		"one\r\ntwo": `one\ntwo`,
		"bell\x07":   "bell ",
		"tab\there":  "tab\there",
	} {
		if got := schedule.EscapeText(in); got != want {
			t.Errorf("EscapeText(%q) = %q, want %q", in, got, want)
		}
	}
}
