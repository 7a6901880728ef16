package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/org"
)

// orgPages serve customers and support groups, which behave alike.
type orgPages struct {
	wb          *Web
	kind        org.Kind
	path        string
	title, noun string // message ids: the page's title, one record's name
	write       auth.Permission
}

// OrgPages are the organisation's pages: customers, groups, users and
// who manages whom.
var OrgPages Pages = func(wb *Web, rt *httpx.Router) {
	wb.registerOrg(rt)
	wb.registerUsers(rt)
}

func (wb *Web) registerOrg(rt *httpx.Router) {
	for _, o := range []struct {
		pages       orgPages
		read, write auth.Permission
	}{
		{orgPages{wb, org.Customers, "/customers", "web.orgs.customers", "web.orgs.customer", auth.CustomerWrite}, auth.CustomerRead, auth.CustomerWrite},
		{orgPages{wb, org.Groups, "/groups", "web.orgs.groups", "web.orgs.group", auth.GroupWrite}, auth.GroupRead, auth.GroupWrite},
	} {
		h := o.pages
		rt.Handle("GET "+h.path, o.read, h.list)
		wb.post(rt, "POST "+h.path, o.write, h.create)
		wb.post(rt, "POST "+h.path+"/{id}/rename", o.write, h.rename)
		wb.post(rt, "POST "+h.path+"/{id}/delete", o.write, h.remove)
	}
}

type orgView struct {
	Title, Noun, Path string
	Items             []org.Record
	NextURL           string
	CanWrite          bool
	F                 *fieldErrors
	Error             string
}

// RenameForm names the rename form of one row, so errors land on that row.
func (orgView) RenameForm(id int64) string { return fmt.Sprintf("rename-%d", id) }

const orgPageSize = 100

func (h orgPages) list(w http.ResponseWriter, r *http.Request) {
	h.show(w, r, http.StatusOK, nil, "")
}

func (h orgPages) show(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors, msg string) {
	q := r.URL.Query()
	afterID, _ := strconv.ParseInt(q.Get("after_id"), 10, 64)
	recs, err := h.kind.List(r.Context(), h.wb.DB, q.Get("after_name"), afterID, orgPageSize+1)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	v := orgView{Title: tx.T(h.title), Noun: tx.T(h.noun), Path: h.path, Items: recs, F: f, Error: msg,
		CanWrite: httpx.Principal(r).Can(h.write)}
	if len(recs) > orgPageSize {
		v.Items = recs[:orgPageSize]
		last := v.Items[orgPageSize-1]
		v.NextURL = h.path + "?" + url.Values{"after_name": {last.Name}, "after_id": {strconv.FormatInt(last.ID, 10)}}.Encode()
	}
	h.wb.render(w, r, status, "orgs", page{Title: v.Title, Active: h.path[1:], Data: v})
}

// answer redirects after a change, or shows the list again with the error.
func (h orgPages) answer(w http.ResponseWriter, r *http.Request, form, flash string, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		h.wb.redirect(w, r, h.path, flash)
	case errors.As(err, &inv):
		h.show(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case errors.As(err, &conflict):
		h.show(w, r, http.StatusConflict, nil, conflict.Message)
	case errors.Is(err, domainerr.ErrStale):
		h.show(w, r, http.StatusConflict, nil, h.wb.stale(r))
	default:
		h.wb.fail(w, r, err)
	}
}

func (h orgPages) create(w http.ResponseWriter, r *http.Request) {
	_, err := h.kind.Create(r.Context(), h.wb.DB, httpx.Principal(r).Actor(), r.PostFormValue("name"))
	h.answer(w, r, "new", "saved", err)
}

func (h orgPages) rename(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	version, _ := formVersion(r)
	_, err := h.kind.Rename(r.Context(), h.wb.DB, httpx.Principal(r).Actor(), id, r.PostFormValue("name"), version)
	h.answer(w, r, fmt.Sprintf("rename-%d", id), "saved", err)
}

func (h orgPages) remove(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	err := h.kind.Delete(r.Context(), h.wb.DB, httpx.Principal(r).Actor(), id)
	h.answer(w, r, "", "deleted", err)
}
