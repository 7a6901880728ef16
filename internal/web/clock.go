package web

import (
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// clock writes instants and words the way one viewer reads them: in their
// time zone, their date format and their language. Every date on a page
// goes through it, and every message through its catalogue.
type clock struct {
	loc    *time.Location
	locale string
	lang   string
}

func clockFor(p auth.Preferences) clock {
	c := clock{loc: p.Location(), locale: p.Locale, lang: p.Language}
	if !auth.ValidLocale(c.locale) {
		c.locale = auth.DefaultLocale
	}
	if !i18n.Valid(c.lang) {
		c.lang = i18n.Default
	}
	return c
}

// text is the message catalogue in the viewer's language.
func (c clock) text() i18n.Text { return i18n.For(c.lang) }

// dateTimeLocal is how a datetime-local field writes an instant, in the
// viewer's zone.
const dateTimeLocal = "2006-01-02T15:04"

var layouts = map[string]struct{ full, day string }{
	"en-GB": {"Mon 2 Jan 2006, 15:04", "2 Jan 2006"},
	"en-US": {"Mon, Jan 2, 2006, 3:04 PM", "Jan 2, 2006"},
	"de-DE": {"02.01.2006, 15:04", "02.01.2006"},
	"iso":   {"2006-01-02 15:04", "2006-01-02"},
}

// full is the date and time in the viewer's zone.
func (c clock) full(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format(layouts[c.locale].full)
}

// zoned is full with the zone named, for instants where it matters (due
// dates, windows).
func (c clock) zoned(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return c.full(t) + " " + t.In(c.loc).Format("MST")
}

// day is the date alone in the viewer's zone.
func (c clock) day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format(layouts[c.locale].day)
}

// date writes a stored YYYY-MM-DD date the way the viewer reads dates; a
// date is a day wherever one is, so it is read in the viewer's own zone.
func (c clock) date(s string) string {
	t, err := time.ParseInLocation(time.DateOnly, s, c.loc)
	if err != nil {
		return s
	}
	return c.day(t)
}

// ago is a short relative time for dense lists; past a month, the date.
func (c clock) ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	tx := c.text()
	switch {
	case d < time.Minute:
		return tx.T("time.just_now")
	case d < time.Hour:
		return tx.T("time.minutes_ago", "N", int(d.Minutes()))
	case d < 24*time.Hour:
		return tx.T("time.hours_ago", "N", int(d.Hours()))
	case d < 30*24*time.Hour:
		return tx.T("time.days_ago", "N", int(d.Hours()/24))
	}
	return c.day(t)
}

// inZone is an instant measured by a calendar in zone: in the viewer's
// zone, with the calendar's own time beside it only when it reads
// differently there.
func (c clock) inZone(t time.Time, zone string) string {
	if t.IsZero() {
		return ""
	}
	s := c.zoned(t)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return s
	}
	mine, theirs := t.In(c.loc), t.In(loc)
	if mine.Format("15:04 MST") == theirs.Format("15:04 MST") {
		return s
	}
	other := clock{loc: loc, locale: c.locale}
	if mine.YearDay() == theirs.YearDay() {
		return s + " (" + theirs.Format(timeOnly(c.locale)) + " " + theirs.Format("MST") + " calendar time)"
	}
	return s + " (" + other.zoned(t) + " calendar time)"
}

func timeOnly(locale string) string {
	if locale == "en-US" {
		return "3:04 PM"
	}
	return "15:04"
}

// atMost reads the length limit out of "must be at most 200 characters".
func atMost(msg string) (int, bool) {
	var n int
	if _, err := fmt.Sscanf(msg, "must be at most %d characters", &n); err != nil {
		return 0, false
	}
	return n, true
}

// funcs binds the template functions that write dates to this clock.
func (c clock) funcs() template.FuncMap {
	fm := maps.Clone(funcs)
	fm["when"] = c.full
	fm["zoned"] = c.zoned
	fm["day"] = c.day
	fm["date"] = c.date
	fm["ago"] = c.ago
	fm["inzone"] = c.inZone
	tx := c.text()
	fm["t"] = tx.T
	fm["human"] = func(v any) string { return tx.Label(fmt.Sprint(v)) }
	fm["lang"] = func() string { return tx.Lang }
	// notice words a notification's title or body in the viewer's
	// language when it was written from values, else as it was written.
	fm["notice"] = func(kind, part, written string, params map[string]string) string {
		if params == nil {
			return written
		}
		return tx.Words("notify."+kind+"."+part, params, written)
	}
	// errtext is a field's error as a sentence, in the viewer's language
	// where the catalogue has it ("err.<message>").
	fm["errtext"] = func(msg string) string { return errText(tx, msg) }
	// tl reads words that come from code (a link's label, a page's title)
	// in the viewer's language where the catalogue has them as
	// "<prefix>.<words>".
	fm["tl"] = func(prefix, words string) string { return tx.Or(prefix+"."+words, words) }
	for name, bind := range textFuncs {
		fm[name] = bind(tx)
	}
	// jswords are the catalogue's "js.<word>" messages, which the
	// page's scripts read through stewardWord (app.js).
	// They are looked up once, when a clock's templates are bound.
	words := make(map[string]string, len(scriptWords))
	for _, id := range scriptWords {
		words[strings.TrimPrefix(id, "js.")] = tx.T(id)
	}
	fm["jswords"] = func() map[string]string { return words }
	return fm
}

// scriptWords are the message ids scripts read: those under "js.".
var scriptWords = func() []string {
	en, err := i18n.IDs(i18n.Default)
	if err != nil {
		panic(err)
	}
	var ids []string
	for id := range en {
		if strings.HasPrefix(id, "js.") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}()

// viewsByClock holds the page templates bound to each clock in use: a
// handful of zones and formats at any desk, each parsed once.
type viewsByClock struct {
	mu sync.Mutex
	m  map[clock]*views
}

func (v *viewsByClock) get(c clock) *views {
	v.mu.Lock()
	defer v.mu.Unlock()
	if vs, ok := v.m[c]; ok {
		return vs
	}
	if v.m == nil {
		v.m = map[clock]*views{}
	}
	vs := newViews(c.funcs())
	if len(v.m) < 200 { // every zone on Earth in three formats is more than a desk has
		v.m[c] = vs
	}
	return vs
}

// clockOf is the clock of the person making r (UTC for strangers); the
// preferences come with the session, read in the same query. Someone who
// chose no language reads the one their browser asks for.
func (wb *Web) clockOf(r *http.Request) clock {
	var prefs auth.Preferences
	if p := httpx.Principal(r); p != nil {
		prefs = p.Prefs
	}
	if prefs.Language == "" {
		prefs.Language = i18n.Match(r.Header.Get("Accept-Language"))
	}
	return clockFor(prefs)
}
