package api

import (
	"net/http"

	"steward/internal/complaint"
	"steward/internal/httpx"
	"steward/internal/store"
)

// complaintAPI serves complaints (CMP-).
type complaintAPI struct {
	*API
	svc *complaint.Service
}

// ComplaintRoutes are complaints' API routes over svc.
func ComplaintRoutes(svc *complaint.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &complaintAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/complaints", complaint.PermRead, h.list)
		rt.Handle("POST /api/v1/complaints", complaint.PermCreate, h.create)
		rt.Handle("GET /api/v1/complaints/{ref}", complaint.PermRead, h.get)
		rt.Handle("PATCH /api/v1/complaints/{ref}", complaint.PermUpdate, h.patch)
		rt.Handle("GET /api/v1/complaints/{ref}/journal", complaint.PermRead, h.journal)
		rt.Handle("POST /api/v1/complaints/{ref}/notes", complaint.PermUpdate, h.note)
	}
}

func (h *complaintAPI) ref(r *http.Request) (int64, error) {
	id, ok := complaint.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

func (h *complaintAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "customer_id", "owner_id", "overdue", "q", "limit", "cursor")
	f := complaint.Filter{CustomerID: q.int64("customer_id"), Query: q.str("q", 200), Limit: q.limit(), Cursor: q.str("cursor", 30)}
	if v := q.str("owner_id", 20); v == "me" {
		f.OwnerID = httpx.Principal(r).UserID
	} else if v != "" {
		f.OwnerID = q.int64("owner_id")
	}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	for _, s := range q.list("state") {
		if s == "open" {
			f.States = append(f.States, complaint.OpenStates...)
			continue
		}
		f.States = append(f.States, complaint.State(s))
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.svc.List(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (h *complaintAPI) create(w http.ResponseWriter, r *http.Request) {
	var in complaint.NewComplaint
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Create(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/complaints/"+c.Number)
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusCreated, c)
}

func (h *complaintAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, c.Version) {
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *complaintAPI) patch(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt complaint.Patch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Update(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

func (h *complaintAPI) journal(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	entries, err := h.svc.Journal(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(entries, ""))
}

func (h *complaintAPI) note(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in noteInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.svc.AddNote(r.Context(), httpx.Principal(r), id, in.Body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}
