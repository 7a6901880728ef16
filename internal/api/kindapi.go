package api

import (
	"context"
	"net/http"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/record"
	"steward/internal/store"
)

// kindAPI serves what every ticket-like kind answers alike over its
// service: one record by its number, answering If-None-Match; a PATCH at
// the version If-Match names; its journal; and, where the kind takes them,
// staff notes. T is the record as the service returns it, P its patch and
// E a journal entry. The routes take their path and permissions from the
// kind's record.Kind: Read to read, Update to patch, Comment to add notes.
type kindAPI[T, P, E any] struct {
	a    *API
	kind *record.Kind
	// ref reads a record reference (its number or id) in the path.
	ref     func(string) (int64, bool)
	get     func(context.Context, *auth.Principal, int64) (T, error)
	update  func(context.Context, *auth.Principal, int64, P, int) (T, error)
	journal func(context.Context, *auth.Principal, int64) ([]E, error)
	// addNote adds a staff note; nil when the kind takes none.
	addNote func(context.Context, *auth.Principal, int64, string) (E, error)
	version func(T) int
	// answer writes a record with its ETag; nil writes it as it is.
	answer func(w http.ResponseWriter, r *http.Request, status int, x T)
	// fail answers an error; nil is the API's.
	fail func(w http.ResponseWriter, r *http.Request, err error)
}

// routes adds the kind's shared routes under /api/v1/{path}.
func (t *kindAPI[T, P, E]) routes(rt *httpx.Router) {
	base := "/api/v1/" + t.kind.Path + "/{ref}"
	rt.Handle("GET "+base, t.kind.Read, t.getOne)
	rt.Handle("PATCH "+base, t.kind.Update, t.patch)
	rt.Handle("GET "+base+"/journal", t.kind.Read, t.listJournal)
	if t.addNote != nil {
		rt.Handle("POST "+base+"/notes", t.kind.Comment, t.note)
	}
}

func (t *kindAPI[T, P, E]) failed(w http.ResponseWriter, r *http.Request, err error) {
	if t.fail != nil {
		t.fail(w, r, err)
		return
	}
	t.a.fail(w, r, err)
}

// id reads the record reference in the path, answering 404 for one that
// cannot name a record.
func (t *kindAPI[T, P, E]) id(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, ok := t.ref(r.PathValue("ref"))
	if !ok {
		t.failed(w, r, store.ErrNotFound)
	}
	return id, ok
}

// write answers with x and its ETag.
func (t *kindAPI[T, P, E]) write(w http.ResponseWriter, r *http.Request, status int, x T) {
	if t.answer != nil {
		t.answer(w, r, status, x)
		return
	}
	w.Header().Set("ETag", etag(t.version(x)))
	writeJSON(w, status, x)
}

func (t *kindAPI[T, P, E]) getOne(w http.ResponseWriter, r *http.Request) {
	id, ok := t.id(w, r)
	if !ok {
		return
	}
	x, err := t.get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		t.failed(w, r, err)
		return
	}
	if notModified(w, r, t.version(x)) {
		return
	}
	t.write(w, r, http.StatusOK, x)
}

func (t *kindAPI[T, P, E]) patch(w http.ResponseWriter, r *http.Request) {
	id, ok := t.id(w, r)
	if !ok {
		return
	}
	var pt P
	if err := decode(w, r, &pt); err != nil {
		t.failed(w, r, err)
		return
	}
	x, err := t.update(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		t.failed(w, r, err)
		return
	}
	t.write(w, r, http.StatusOK, x)
}

func (t *kindAPI[T, P, E]) listJournal(w http.ResponseWriter, r *http.Request) {
	id, ok := t.id(w, r)
	if !ok {
		return
	}
	entries, err := t.journal(r.Context(), httpx.Principal(r), id)
	if err != nil {
		t.failed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(entries, ""))
}

type noteInput struct {
	Body string `json:"body"`
}

func (t *kindAPI[T, P, E]) note(w http.ResponseWriter, r *http.Request) {
	id, ok := t.id(w, r)
	if !ok {
		return
	}
	var in noteInput
	if err := decode(w, r, &in); err != nil {
		t.failed(w, r, err)
		return
	}
	e, err := t.addNote(r.Context(), httpx.Principal(r), id, in.Body)
	if err != nil {
		t.failed(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

// listPage answers a list read into filter f by q: the query's faults
// first, then one page from list with the cursor of the next.
func listPage[F, T any](a *API, w http.ResponseWriter, r *http.Request, q *query, f F,
	list func(context.Context, *auth.Principal, F) (record.Page[T], error)) {
	listPageAs(a, w, r, q, f, list, func(_ *http.Request, items []T) ([]T, error) { return items, nil })
}

// listPageAs answers as listPage does, with the page's items as decorate
// makes them (a ticket with its service-level clocks, say).
func listPageAs[F, T, O any](a *API, w http.ResponseWriter, r *http.Request, q *query, f F,
	list func(context.Context, *auth.Principal, F) (record.Page[T], error),
	decorate func(*http.Request, []T) ([]O, error)) {
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := list(r.Context(), httpx.Principal(r), f)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	items, err := decorate(r, page.Items)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, page.NextCursor))
}

// ticketQuery reads what a ticket list's query says about the fields
// incidents and requests share (record.APIListParams), its faults into q.
func ticketQuery[S ~string, P any](q *query, fields record.TicketFields[S, P]) record.TicketQuery[S, P] {
	return fields.Read(q.r.URL.Query(), record.APIListParams, httpx.Principal(q.r).UserID,
		func(name, message string) { q.fields[name] = message })
}

// createNumbered answers a POST that creates a record, for a kind that
// takes no Idempotency-Key: 201 with the record, its Location (base and
// its number) and its ETag.
func createNumbered[In, T any](a *API, w http.ResponseWriter, r *http.Request, base string,
	create func(context.Context, *auth.Principal, In) (T, error), key func(T) (number string, version int)) {
	var in In
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	x, err := create(r.Context(), httpx.Principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	number, version := key(x)
	w.Header().Set("Location", base+number)
	w.Header().Set("ETag", etag(version))
	writeJSON(w, http.StatusCreated, x)
}
