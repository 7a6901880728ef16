package web

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/record"
	"steward/internal/store"
)

// recordShow renders a record's own page again, with a failed form of the
// shared panels brought back.
type recordShow func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors)

// recordPanels is the files and links part of every record's page.
type recordPanels struct {
	Base, CSRF         string
	Files              []record.Attachment
	Links              []record.Link
	LinkTypes          []string
	CanAttach, CanLink bool
	MaxMB              int64
	F                  *fieldErrors
}

// panels loads the shared panels of record id of the kind named kind.
func (wb *Web) panels(r *http.Request, kind string, id int64, f *fieldErrors) (recordPanels, error) {
	k, ok := wb.Records.Kinds.Get(kind)
	if !ok {
		return recordPanels{}, errors.New("web: kind " + kind + " is not declared")
	}
	p := httpx.Principal(r)
	v := recordPanels{Base: "/" + k.Path + "/" + k.Number(id), CSRF: p.CSRFToken, LinkTypes: record.LinkTypes,
		CanAttach: p.Can(k.Comment), CanLink: p.Can(k.Update), MaxMB: wb.maxAttachment() >> 20, F: f}
	var err error
	if v.Files, err = wb.Records.Attachments.List(r.Context(), p, k, id); err != nil {
		return v, err
	}
	v.Links, err = wb.Records.Links.ListLinks(r.Context(), p, k, id)
	return v, err
}

func (wb *Web) maxAttachment() int64 {
	if n := wb.Records.Attachments.MaxSize; n > 0 {
		return n
	}
	return record.DefaultMaxAttachment
}

func (wb *Web) registerRecords(rt *httpx.Router) {
	for _, k := range wb.Records.Kinds.All() {
		base := "/" + k.Path + "/{ref}"
		rt.Handle("POST "+base+"/attachments", k.Comment, wb.attach(k))
		wb.post(rt, "POST "+base+"/links", k.Update, wb.addLink(k))
		wb.post(rt, "POST "+base+"/links/{id}/remove", k.Update, wb.removeLink(k))
	}
	rt.Handle("GET /attachments/{id}", auth.Authenticated, wb.download)
	rt.Handle("GET /search", auth.Authenticated, wb.search)
}

// record reads the path's reference to a record of kind k that the caller
// may see, or answers 404.
func (wb *Web) record(w http.ResponseWriter, r *http.Request, k *record.Kind) (record.Summary, bool) {
	id, ok := k.ParseRef(r.PathValue("ref"))
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return record.Summary{}, false
	}
	s, err := k.Load(r.Context(), wb.DB, httpx.Principal(r), id)
	if err != nil {
		wb.fail(w, r, err)
		return s, false
	}
	return s, true
}

// attach streams an upload to storage. The form puts its CSRF token before
// the file, so the token is checked before a byte of the file is read and
// the file never waits in memory.
func (wb *Web) attach(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := wb.origin.Check(r); err != nil {
			wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.forms.cross_site"))
			return
		}
		rec, ok := wb.record(w, r, k)
		if !ok {
			return
		}
		p := httpx.Principal(r)
		r.Body = http.MaxBytesReader(w, r.Body, wb.maxAttachment()+64<<10)
		mr, err := r.MultipartReader()
		if err != nil {
			wb.errorPage(w, r, http.StatusBadRequest, "")
			return
		}
		refuse := func(msg string) {
			wb.recordShows[k.Name](w, r, http.StatusUnprocessableEntity, rec.ID, &fieldErrors{Form: "attach", Errs: map[string]string{"file": msg}})
		}
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "csrf_token" {
			wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.forms.expired"))
			return
		}
		token, _ := io.ReadAll(io.LimitReader(part, 200))
		if !sameToken(string(token), p.CSRFToken) {
			wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.forms.expired"))
			return
		}
		if part, err = mr.NextPart(); err != nil || part.FormName() != "file" {
			refuse(wb.clockOf(r).text().T("web.records.choose_file"))
			return
		}
		_, err = wb.Records.Attachments.Add(r.Context(), p, k, rec.ID, record.Upload{Filename: part.FileName(), Body: part})
		var inv *domainerr.Invalid
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, record.ErrTooLarge), errors.As(err, &mbe):
			refuse(wb.clockOf(r).text().T("web.records.too_large", "MB", wb.maxAttachment()>>20))
		case errors.As(err, &inv):
			refuse(strings.Join(sortedValues(inv.Fields), "; "))
		case err != nil:
			wb.fail(w, r, err)
		default:
			wb.redirect(w, r, k.URL(rec.ID)+"#files", "attached")
		}
	}
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

func (wb *Web) addLink(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, ok := wb.record(w, r, k)
		if !ok {
			return
		}
		target := strings.TrimSpace(r.PostFormValue("target"))
		_, err := wb.Records.Links.AddLink(r.Context(), httpx.Principal(r), k, rec.ID, r.PostFormValue("type"), target)
		var inv *domainerr.Invalid
		switch {
		case errors.Is(err, store.ErrNotFound):
			wb.recordShows[k.Name](w, r, http.StatusUnprocessableEntity, rec.ID, &fieldErrors{Form: "link",
				Errs: map[string]string{"target": wb.clockOf(r).text().T("web.records.no_record", "Target", target)}, Values: r.PostForm})
		case errors.As(err, &inv):
			wb.recordShows[k.Name](w, r, http.StatusUnprocessableEntity, rec.ID, &fieldErrors{Form: "link", Errs: inv.Fields, Values: r.PostForm})
		case err != nil:
			wb.fail(w, r, err)
		default:
			wb.redirect(w, r, k.URL(rec.ID)+"#links", "link-added")
		}
	}
}

func (wb *Web) removeLink(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, ok := wb.record(w, r, k)
		if !ok {
			return
		}
		linkID, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		if err := wb.Records.Links.RemoveLink(r.Context(), httpx.Principal(r), k, rec.ID, linkID); err != nil {
			wb.fail(w, r, err)
			return
		}
		wb.redirect(w, r, k.URL(rec.ID)+"#links", "link-removed")
	}
}

func (wb *Web) download(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	att, err := wb.Records.Attachments.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	httpx.ServeAttachment(w, r, wb.Records.Attachments, att)
}

type searchView struct {
	Q     string
	Items []record.Summary
	Kinds map[string]string // kind name -> label
}

// search answers the top bar: a record number opens that record, words
// list what matches across every kind the caller may read.
func (wb *Web) search(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	v := searchView{Q: q, Kinds: map[string]string{}}
	for _, k := range wb.Records.Kinds.All() {
		v.Kinds[k.Name] = k.Label
	}
	if q != "" {
		if _, s, err := wb.Records.Kinds.Find(r.Context(), wb.DB, p, q); err == nil {
			http.Redirect(w, r, s.URL, http.StatusSeeOther)
			return
		}
		items, err := wb.Records.Kinds.Search(r.Context(), wb.DB, p, q, record.MaxSearch)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Items = items
	}
	wb.render(w, r, http.StatusOK, "search", page{Title: wb.clockOf(r).text().T("web.records.title_search"), Data: v})
}
