package web

import (
	"crypto/subtle"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"steward/internal/auth"
	"steward/internal/httpx"
)

// maxForm bounds every form body.
const maxForm = 1 << 20

// post registers a state-changing route: the body is bounded, the request
// must come from our own origin and carry the session's CSRF token.
func (wb *Web) post(rt *httpx.Router, pattern string, perm auth.Permission, h http.HandlerFunc) {
	rt.Handle(pattern, perm, func(w http.ResponseWriter, r *http.Request) {
		if !wb.readForm(w, r) {
			return
		}
		p := httpx.Principal(r)
		if p == nil || !sameToken(r.PostFormValue("csrf_token"), p.CSRFToken) {
			wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.forms.expired"))
			return
		}
		h(w, r)
	})
}

// readForm bounds and parses a POST body, applies the cross-origin check
// and refuses text that is not UTF-8.
func (wb *Web) readForm(w http.ResponseWriter, r *http.Request) bool {
	if err := wb.origin.Check(r); err != nil {
		wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.forms.cross_site"))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			wb.errorPage(w, r, http.StatusRequestEntityTooLarge, "")
		} else {
			wb.errorPage(w, r, http.StatusBadRequest, "")
		}
		return false
	}
	return wb.validText(w, r)
}

// validText refuses, with 422 naming the field, a parsed form any of whose
// names or values is not valid UTF-8. Browsers send UTF-8; other bytes come
// from hand-made requests, and stored they break the exports that carry
// them. The API refuses such JSON text the same way.
func (wb *Web) validText(w http.ResponseWriter, r *http.Request) bool {
	tx := wb.clockOf(r).text()
	for _, key := range slices.Sorted(maps.Keys(r.Form)) {
		msg := ""
		switch {
		case !utf8.ValidString(key):
			msg = tx.T("web.forms.name_not_utf8")
		case !slices.ContainsFunc(r.Form[key], func(v string) bool { return !utf8.ValidString(v) }):
			continue
		default:
			msg = tx.T("web.forms.value_not_utf8", "Field", fieldLabel(strings.TrimPrefix(key, "a.")))
		}
		wb.errorPage(w, r, http.StatusUnprocessableEntity, msg)
		return false
	}
	return true
}

func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// formID reads an optional id field: "" is none, anything else must be a
// positive number.
func formID(r *http.Request, name string) (*int64, bool) {
	s := strings.TrimSpace(r.FormValue(name))
	if s == "" {
		return nil, true
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return nil, false
	}
	return &id, true
}

// formIDs reads a repeated id field, such as checked groups.
func formIDs(r *http.Request, name string) ([]int64, bool) {
	out := []int64{}
	for _, s := range r.Form[name] {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			return nil, false
		}
		out = append(out, id)
	}
	return out, true
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// formVersion reads the version a form was rendered with; every change to
// a versioned record must carry one.
func formVersion(r *http.Request) (int, bool) {
	v, err := strconv.Atoi(r.PostFormValue("version"))
	return v, err == nil && v > 0
}

// fieldErrors are per-field messages with the values the user typed, so a
// form can come back as it was sent.
type fieldErrors struct {
	Form   string // which form on the page failed
	Errs   map[string]string
	Values map[string][]string
	// formFaults are sentences about a whole list of rows, such as the
	// item editor's questions.
	formFaults []string
}

// Err is the message for field of form, if that form failed.
func (f *fieldErrors) Err(form, field string) string {
	if f == nil || f.Form != form {
		return ""
	}
	return f.Errs[field]
}

// Val is what the user typed into field of form, or def when that form did
// not fail or came back from a button that typed nothing into it (an
// action refused for what the record lacks).
func (f *fieldErrors) Val(form, field, def string) string {
	if f == nil || f.Form != form || f.Values == nil {
		return def
	}
	if v := f.Values[field]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Failed reports whether form is the one that came back with errors.
func (f *fieldErrors) Failed(form string) bool { return f != nil && f.Form == form }

// formText reads a text field with browser line endings (CRLF) made plain.
func formText(r *http.Request, name string) string {
	return strings.ReplaceAll(r.PostFormValue(name), "\r\n", "\n")
}
