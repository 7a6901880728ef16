package schedule

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// The iCalendar (RFC 5545) feed of the change calendar: one VEVENT per
// change and per freeze period, in UTC, with lines ended by CRLF, folded
// at 75 octets without splitting a character, and text escaped.

const icsStamp = "20060102T150405Z"

// WriteICS writes cal as an iCalendar body. base is the site's address
// (https://desk.example.com), for links back to each change; now is the
// DTSTAMP of every event.
func WriteICS(w io.Writer, cal ChangeCalendar, base string, now time.Time) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	e := icsWriter{w: bw}
	stamp := now.UTC().Format(icsStamp)
	e.line("BEGIN", "VCALENDAR")
	e.line("VERSION", "2.0")
	e.line("PRODID", "-//Steward//Change calendar//EN")
	e.line("CALSCALE", "GREGORIAN")
	e.line("METHOD", "PUBLISH")
	e.text("X-WR-CALNAME", "Change calendar")
	for _, c := range cal.Changes {
		e.line("BEGIN", "VEVENT")
		e.line("UID", fmt.Sprintf("change-%d@steward", c.ID))
		e.line("DTSTAMP", stamp)
		e.line("DTSTART", c.Start.UTC().Format(icsStamp))
		e.line("DTEND", c.End.UTC().Format(icsStamp))
		e.text("SUMMARY", c.Number+" "+c.Title)
		e.text("DESCRIPTION", fmt.Sprintf("%s change, %s.", humanCode(c.Type), strings.ToLower(humanCode(c.State))))
		e.text("CATEGORIES", "Change")
		e.line("STATUS", icsStatus(c.State))
		if base != "" {
			e.line("URL", base+"/changes/"+c.Number)
		}
		e.line("END", "VEVENT")
	}
	for _, f := range cal.FreezePeriods {
		e.line("BEGIN", "VEVENT")
		e.line("UID", fmt.Sprintf("freeze-%d@steward", f.ID))
		e.line("DTSTAMP", stamp)
		e.line("DTSTART", f.Start.UTC().Format(icsStamp))
		e.line("DTEND", f.End.UTC().Format(icsStamp))
		e.text("SUMMARY", "Change freeze: "+f.Name)
		scope := "Covers every service and CI."
		if !f.Everything() {
			scope = fmt.Sprintf("Covers %d service(s) and %d CI(s).", len(f.ServiceIDs), len(f.CIIDs))
		}
		e.text("DESCRIPTION", scope)
		e.text("CATEGORIES", "Freeze")
		e.line("STATUS", "CONFIRMED")
		e.line("END", "VEVENT")
	}
	e.line("END", "VCALENDAR")
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

// icsStatus is a change's state as an event status: planned but not yet
// approved is tentative.
func icsStatus(state string) string {
	switch state {
	case "draft", "assessment", "approval":
		return "TENTATIVE"
	}
	return "CONFIRMED"
}

func humanCode(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

type icsWriter struct {
	w   *bufio.Writer
	err error
}

// text writes a TEXT property, escaped.
func (e *icsWriter) text(name, value string) { e.line(name, EscapeText(value)) }

// line writes NAME:value folded to lines of at most 75 octets.
func (e *icsWriter) line(name, value string) {
	if e.err != nil {
		return
	}
	e.err = writeFolded(e.w, name+":"+value)
}

// EscapeText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon,
// comma and newlines; other control characters, which TEXT may not hold,
// become spaces.
func EscapeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == utf8.RuneError && n == 1, r < 0x20 && r != '\t', r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes one content line: at most 75 octets a line, the
// rest continued on lines that start with a space, never inside a UTF-8
// sequence, each ended by CRLF.
func writeFolded(w *bufio.Writer, s string) error {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	w.WriteString(s)
	_, err := w.WriteString("\r\n")
	return err
}
