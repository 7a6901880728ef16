package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/notify"
	"steward/internal/record"
	"steward/internal/store"
)

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

// views holds the page templates bound to one clock. Each page's set is
// the layout, the page and only the partials they call, directly or
// through another partial, parsed when the page is first shown: a parsed
// template is many times its source's size, and every partial copied into
// every page's set for every clock in use held most of the server's
// memory.
type views struct {
	fm    template.FuncMap
	mu    sync.Mutex
	pages map[string]*template.Template
}

func newViews(fm template.FuncMap) *views {
	return &views{fm: fm, pages: map[string]*template.Template{}}
}

// page is the named page's template set, parsed on first use.
func (v *views) page(name string) (*template.Template, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t, ok := v.pages[name]; ok {
		return t, nil
	}
	files, ok := pageFiles()[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	t, err := template.New("").Funcs(v.fm).ParseFS(templateFS, files...)
	if err != nil {
		return nil, err
	}
	v.pages[name] = t
	return t, nil
}

// pageFiles lists, for each page, the files its set is parsed from.
var pageFiles = sync.OnceValue(func() map[string][]string {
	partials, err := fs.Glob(templateFS, "templates/partials/*.html")
	if err != nil {
		panic(err)
	}
	definedIn := map[string]string{} // template name -> partial file
	for _, f := range partials {
		for _, name := range templateNames(f, definesRE) {
			definedIn[name] = f
		}
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string][]string{}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" {
			continue
		}
		files := []string{"templates/layout.html", n}
		seen := map[string]bool{files[0]: true, n: true}
		for i := 0; i < len(files); i++ {
			for _, used := range templateNames(files[i], callsRE) {
				if f, ok := definedIn[used]; ok && !seen[f] {
					seen[f] = true
					files = append(files, f)
				}
			}
		}
		out[strings.TrimSuffix(name, ".html")] = files
	}
	return out
})

var (
	definesRE = regexp.MustCompile(`{{-?\s*(?:define|block)\s+"([^"]+)"`)
	callsRE   = regexp.MustCompile(`{{-?\s*(?:template|block)\s+"([^"]+)"`)
)

// templateNames lists the template names re finds in file.
func templateNames(file string, re *regexp.Regexp) []string {
	src, err := fs.ReadFile(templateFS, file)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, m := range re.FindAllSubmatch(src, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// page is what every template receives; Data is the page's own part.
type page struct {
	Title  string
	Active string // which nav entry is lit
	P      *auth.Principal
	Flash  string
	Unread int // the signed-in user's unread notifications, for the bell
	Nav    navBar
	Data   any
	// Refresh, when set, reloads the page after that many seconds: pages
	// that follow background work show its progress without JavaScript.
	Refresh int
}

// Can is the principal's permission check, for showing links and forms.
func (p page) Can(perm auth.Permission) bool { return p.P.Can(perm) }

// Flash notices are the only notices a page may show after a redirect:
// the catalogue's "flash.<key>" messages. The redirect names one by its
// key in a one-time cookie (see redirect), so neither a link nor a cookie
// can put text of its own on a page; a notice's numbers ({{.N1}}, {{.N2}})
// come from the cookie as whole numbers and nothing else.
var flashNumbers = func() map[string]int {
	en, err := i18n.IDs(i18n.Default)
	if err != nil {
		panic(err)
	}
	out := map[string]int{}
	for id, text := range en {
		if key, ok := strings.CutPrefix(id, "flash."); ok {
			out[key] = strings.Count(text, "{{.N")
		}
	}
	return out
}()

// flashCookie carries a notice across one redirect and is cleared by the
// page that shows it, so a reload or a bookmark never shows it again.
const flashCookie = "steward_flash"

// redirect answers a form that worked: 303 to target, with the notice
// flash (a key of the catalogue's flash notices, optionally followed by
// ":n" numbers) shown once on the next page. An unknown key is a programming error and is dropped.
func (wb *Web) redirect(w http.ResponseWriter, r *http.Request, target, flash string) {
	if flash != "" && flashText(flash) != "" {
		wb.setCookie(w, r, flashCookie, flash, "/", 300)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// flashText is the notice a flash cookie asks for, or "" when it names
// none or brings anything but whole numbers for the notice's numbers.
func flashText(v string) string { return flashIn(i18n.For(i18n.Default), v) }

// flashIn is flashText in the language of tx.
func flashIn(tx i18n.Text, v string) string {
	key, rest, _ := strings.Cut(v, ":")
	n, ok := flashNumbers[key]
	if !ok || (n == 0) != (rest == "") {
		return ""
	}
	if n == 0 {
		return tx.T("flash." + key)
	}
	parts := strings.Split(rest, ":")
	if len(parts) != n {
		return ""
	}
	pairs := make([]any, 0, 2*n)
	for i, s := range parts {
		x, err := strconv.Atoi(s)
		if err != nil || x < 0 || len(s) > 9 {
			return ""
		}
		pairs = append(pairs, "N"+strconv.Itoa(i+1), x)
	}
	return tx.T("flash."+key, pairs...)
}

// takeFlash reads the flash cookie and clears it.
func (wb *Web) takeFlash(w http.ResponseWriter, r *http.Request, tx i18n.Text) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	wb.setCookie(w, r, flashCookie, "", "/", -1)
	return flashIn(tx, c.Value)
}

// render executes a page into a buffer first, so a template failure becomes
// a clean 500 rather than half a page.
func (wb *Web) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	pg.P = httpx.Principal(r)
	c := wb.clockOf(r)
	vs := wb.clocks.get(c)
	t, err := vs.page(name)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	pg.Nav = navFor(wb.nav, pg.P, pg.Active)
	if pg.P.Can(auth.NotificationOwn) {
		// A count for the bell; a failure only hides it.
		pg.Unread, _ = notify.Unread(r.Context(), wb.DB, pg.P.UserID)
	}
	if flash := wb.takeFlash(w, r, c.text()); pg.Flash == "" {
		pg.Flash = flash
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		wb.Log.Error("web: rendering page", "page", name, "err", err)
		if name != "error" {
			wb.errorPage(w, r, http.StatusInternalServerError, "")
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorView struct {
	Status  int
	Heading string
	Message string
}

// errorTexts are the statuses with words of their own: the catalogue's
// web.render.error_<status> (the heading) and web.render.error_<status>_text.
var errorTexts = map[int]bool{
	http.StatusBadRequest: true, http.StatusForbidden: true, http.StatusNotFound: true, http.StatusConflict: true,
	http.StatusRequestEntityTooLarge: true, http.StatusServiceUnavailable: true, http.StatusInternalServerError: true,
}

// errorPage shows a status in the layout; msg replaces the standard text.
// The title stays in English, as the layout reads titles through the
// catalogue itself.
func (wb *Web) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tx := wb.clockOf(r).text()
	title, heading := http.StatusText(status), http.StatusText(status)
	if errorTexts[status] {
		id := "web.render.error_" + strconv.Itoa(status)
		title, heading = i18n.For(i18n.Default).T(id), tx.T(id)
		if msg == "" {
			msg = tx.T(id + "_text")
		}
	}
	wb.render(w, r, status, "error", page{Title: title, Data: errorView{Status: status, Heading: heading, Message: msg}})
}

// fail is where errors a handler did not expect become pages; causes of
// 500s are logged, never shown.
func (wb *Web) fail(w http.ResponseWriter, r *http.Request, err error) {
	var conflict *domainerr.Conflict
	var inv *domainerr.Invalid
	var big *http.MaxBytesError
	var refused *domainerr.Refused
	switch {
	case errors.As(err, &big):
		wb.errorPage(w, r, http.StatusRequestEntityTooLarge, "")
	case errors.As(err, &refused):
		wb.errorPage(w, r, http.StatusForbidden, errText(wb.clockOf(r).text(), refused.Message))
	case errors.Is(err, domainerr.ErrForbidden):
		wb.errorPage(w, r, http.StatusForbidden, "")
	case errors.Is(err, store.ErrNotFound):
		wb.errorPage(w, r, http.StatusNotFound, "")
	case errors.Is(err, domainerr.ErrStale):
		wb.errorPage(w, r, http.StatusConflict, wb.stale(r))
	case errors.As(err, &conflict):
		msg := conflict.Message // in English as the service wrote it
		if tx := wb.clockOf(r).text(); tx.Lang != i18n.Default {
			msg = errText(tx, msg)
		}
		wb.errorPage(w, r, http.StatusConflict, msg)
	case errors.As(err, &inv):
		wb.errorPage(w, r, http.StatusUnprocessableEntity, inv.Error())
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrReferenced):
		wb.errorPage(w, r, http.StatusConflict, "")
	case errors.Is(err, store.ErrBusy):
		w.Header().Set("Retry-After", "1")
		wb.errorPage(w, r, http.StatusServiceUnavailable, "")
	default:
		wb.Log.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		wb.errorPage(w, r, http.StatusInternalServerError, "")
	}
}

// stale says, in the reader's language, that a record changed after
// they opened it.
func (wb *Web) stale(r *http.Request) string { return wb.clockOf(r).text().T("web.render.stale") }

var funcs = template.FuncMap{
	"asset": assetURL,
	// when, zoned, day, ago and inzone write dates for one viewer: see clock.funcs.
	"iso":        func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"human":      human,
	"fieldLabel": fieldLabel,
	"prio":       func(p incident.Priority) string { return strings.ToLower(p.String()) },
	"idv": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"has": func(list []int64, id int64) bool {
		for _, x := range list {
			if x == id {
				return true
			}
		}
		return false
	},
	"initials": initials,
	"bytes":    record.ByteSize,
	"bizdur":   businessDuration,
	"sentence": sentence,
	"list":     func(s ...string) []string { return s },
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict needs key-value pairs")
		}
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict keys must be strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"idstr": func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	},
	"sorts":    func() [][2]string { return sortOptions(i18n.For(i18n.Default)) },
	"roleNote": func(r auth.Role) string { return roleNote(r) },
	// manyPeople and personText serve ref-picker (see people.go).
	"manyPeople": func(opts []option) bool { return len(opts) > pickBound },
	"personText": personText,
}

// human turns a stored code such as in_progress into "In progress".
func human(v any) string {
	s := strings.ReplaceAll(fmt.Sprint(v), "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// textFuncs are the template functions that write words: each is bound
// to the reader's catalogue when a clock's templates are (clock.funcs),
// while funcs holds their English for parsing.
var textFuncs = map[string]func(tx i18n.Text) any{
	"sorts":      func(tx i18n.Text) any { return func() [][2]string { return sortOptions(tx) } },
	"fieldLabel": func(tx i18n.Text) any { return func(f string) string { return fieldLabelIn(tx, f) } },
}

// sortOptions are the orders a queue offers, in the reader's words.
func sortOptions(tx i18n.Text) [][2]string {
	return [][2]string{{"", tx.T("web.render.sort_recent")}, {"-created_at", tx.T("web.render.sort_newest")},
		{"created_at", tx.T("web.render.sort_oldest")}, {"priority", tx.T("web.render.sort_priority")},
		{"updated_at", tx.T("web.render.sort_untouched")}}
}

// fieldLabels are fields' labels in English; the catalogue words them as
// "web.render.field_<name>".
var fieldLabels = map[string]string{
	"requester_id": "Requester", "customer_id": "Customer", "group_id": "Group", "assignee_id": "Assignee",
	"service_id": "Service", "q": "Search", "cursor": "Page link", "sort": "Sort",
	"hold_reason": "Hold reason", "resolution_code": "Resolution", "resolution_notes": "Resolution notes",
}

// fieldLabel is fieldLabelIn in English.
func fieldLabel(f string) string { return fieldLabelIn(i18n.For(i18n.Default), f) }

// fieldLabelIn is the label of field f in the reader's words; a field the
// catalogue does not name reads as its name does (attrLabel).
func fieldLabelIn(tx i18n.Text, f string) string {
	if l, ok := fieldLabels[f]; ok {
		return tx.Or("web.render.field_"+f, l)
	}
	return attrLabel(f) // ip_address is "IP address", request_id "Request ID"
}

func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// sentence turns a domain message about a field ("is required", "must be
// at most 200 characters") into one that stands next to the field.
func sentence(msg string) string {
	if strings.HasPrefix(msg, "are ") {
		return "These " + msg + "."
	}
	for _, verb := range []string{"is ", "must ", "can ", "cannot ", "only "} {
		if strings.HasPrefix(msg, verb) {
			return "This field " + msg + "."
		}
	}
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}
