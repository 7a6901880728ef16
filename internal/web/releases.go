package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/release"
)

// releasePages serves release and deployment management's pages over its
// service.
type releasePages struct {
	wb  *Web
	svc *release.Service
}

// ReleasePages are release management's pages: the list, the new-release
// form and a release's page with its changes, deployments and moves.
func ReleasePages(svc *release.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := &releasePages{wb: wb, svc: svc}
		rt.Handle("GET /releases", release.PermRead, h.list)
		rt.Handle("GET /releases/new", release.PermWrite, h.newForm)
		wb.post(rt, "POST /releases", release.PermWrite, h.create)
		rt.Handle("GET /releases/{ref}", release.PermRead, h.show)
		wb.post(rt, "POST /releases/{ref}/edit", release.PermWrite, h.edit)
		wb.post(rt, "POST /releases/{ref}/state", release.PermWrite, h.move)
		wb.post(rt, "POST /releases/{ref}/changes", release.PermWrite, h.addChange)
		wb.post(rt, "POST /releases/{ref}/changes/remove", release.PermWrite, h.removeChange)
		wb.post(rt, "POST /releases/{ref}/deployments", release.PermWrite, h.deploy)
		wb.post(rt, "POST /releases/{ref}/deployments/{id}", release.PermWrite, h.updateDeployment)
		wb.recordShows[release.KindName] = func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors) {
			d, err := svc.Get(r.Context(), httpx.Principal(r), id)
			if err != nil {
				wb.fail(w, r, err)
				return
			}
			h.render(w, r, status, d, "", f)
		}
	}
}

type releaseListView struct {
	Items    []release.Release
	Next     string
	Q        url.Values
	States   []string
	Types    []release.Type
	CanWrite bool
	Error    string
}

func (h *releasePages) list(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	f := release.Filter{Query: q.Get("q"), Cursor: q.Get("cursor"), Limit: 50}
	if s := q.Get("state"); s == "open" {
		for _, st := range release.Machine.Open {
			f.States = append(f.States, release.State(st))
		}
	} else if s != "" {
		f.States = []release.State{release.State(s)}
	}
	if t := q.Get("type"); t != "" {
		f.Types = []release.Type{release.Type(t)}
	}
	v := releaseListView{Q: q, States: release.Machine.States, Types: release.Types, CanWrite: p.Can(release.PermWrite)}
	pg, err := h.svc.List(r.Context(), p, f)
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		v.Error = h.wb.clockOf(r).text().T("web.releases.filter_invalid", "Reason", inv.Error())
	case err != nil:
		h.wb.fail(w, r, err)
		return
	default:
		v.Items = pg.Items
		if pg.NextCursor != "" {
			nq := url.Values{}
			for k, vs := range q {
				nq[k] = vs
			}
			nq.Set("cursor", pg.NextCursor)
			v.Next = "/releases?" + nq.Encode()
		}
	}
	h.wb.render(w, r, http.StatusOK, "releases", page{Title: h.wb.clockOf(r).text().T("web.releases.releases"), Active: "releases", Data: v})
}

type newReleaseView struct {
	F     *fieldErrors
	Types []release.Type
}

func (h *releasePages) newForm(w http.ResponseWriter, r *http.Request) {
	h.wb.render(w, r, http.StatusOK, "release_new", page{Title: h.wb.clockOf(r).text().T("web.releases.title_new"), Active: "releases", Data: newReleaseView{Types: release.Types}})
}

func (h *releasePages) create(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	loc, tx := p.Prefs.Location(), h.wb.clockOf(r).text()
	bad := domainerr.NewInvalid()
	in := release.NewRelease{
		Title: r.PostFormValue("title"), Description: formText(r, "description"), Type: release.Type(r.PostFormValue("type")),
		AcceptanceCriteria: formText(r, "acceptance_criteria"),
		PlannedStart:       formLocalTimeIn(tx, r, "planned_start", loc, bad),
		PlannedEnd:         formLocalTimeIn(tx, r, "planned_end", loc, bad),
	}
	for _, ref := range strings.FieldsFunc(r.PostFormValue("changes"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' }) {
		id, ok := release.ParseChangeRef(ref)
		if !ok {
			bad.Add("changes", "%q is not a change number such as CHG-000123", ref)
			continue
		}
		in.ChangeIDs = append(in.ChangeIDs, id)
	}
	err := bad.Err()
	if err == nil {
		var d release.Detail
		if d, err = h.svc.Create(r.Context(), p, in, nil); err == nil {
			h.wb.redirect(w, r, "/releases/"+d.Number, "release-created")
			return
		}
	}
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		if m, ok := inv.Fields["change_ids"]; ok {
			inv.Fields["changes"] = m
		}
		h.wb.render(w, r, http.StatusUnprocessableEntity, "release_new", page{Title: h.wb.clockOf(r).text().T("web.releases.title_new"), Active: "releases",
			Data: newReleaseView{Types: release.Types, F: &fieldErrors{Form: "new", Errs: inv.Fields, Values: r.PostForm}}})
		return
	}
	h.wb.fail(w, r, err)
}

// formLocalTimeIn reads a datetime-local field as a time in the viewer's
// zone; "" is none. A value it cannot read is a fault on the field, in
// the language of tx.
func formLocalTimeIn(tx i18n.Text, r *http.Request, name string, loc *time.Location, bad *domainerr.Invalid) *time.Time {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		return nil
	}
	for _, layout := range []string{dateTimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return &t
		}
	}
	bad.Add(name, "%s", tx.T("web.releases.date_time_such_as"))
	return nil
}

// localInput writes t for a datetime-local field in the viewer's zone.
func localInput(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(loc).Format(dateTimeLocal)
}
