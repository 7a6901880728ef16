package web

import (
	"net/url"
	"strings"
	"time"

	"steward/internal/i18n"
)

// listDays is a pair of day filters of a list, such as from and to (the
// days a record was raised) or resolved_from and resolved_to: the list
// holds the records whose date falls on or after the first day and on or
// before the last, both read on the organisation's calendar, so that a
// dashboard figure's link to a month shows the month's records exactly.
type listDays struct {
	From, To      string // the parameters' names
	After, Before *time.Time
}

// readListDaysIn fills each pair from q on the calendar of loc and adds to
// msg, the list's message about filters it could not read, those of these
// that are not days or that end before they start, in the language of tx.
func readListDaysIn(tx i18n.Text, q url.Values, loc *time.Location, msg string, pairs ...listDays) string {
	if loc == nil {
		loc = time.UTC
	}
	var bad []string
	for _, p := range pairs {
		var from, to time.Time
		var fromOK, toOK bool
		if s := q.Get(p.From); s != "" {
			t, err := time.ParseInLocation(time.DateOnly, s, loc)
			if fromOK = err == nil; fromOK {
				from, *p.After = t, t.UTC()
			} else {
				bad = append(bad, tx.T("web.list_days.not_a_date", "Param", p.From, "Example", "2026-06-01"))
			}
		}
		if s := q.Get(p.To); s != "" {
			t, err := time.ParseInLocation(time.DateOnly, s, loc)
			if toOK = err == nil; toOK {
				to, *p.Before = t, t.AddDate(0, 0, 1).UTC() // the last day counts whole
			} else {
				bad = append(bad, tx.T("web.list_days.not_a_date", "Param", p.To, "Example", "2026-06-30"))
			}
		}
		if fromOK && toOK && to.Before(from) {
			bad = append(bad, tx.T("web.list_days.before", "To", p.To, "From", p.From))
		}
	}
	if len(bad) == 0 {
		return msg
	}
	more := tx.T("web.list_days.unread", "List", strings.Join(bad, ", "))
	if msg == "" {
		return more
	}
	return msg + " " + more
}
