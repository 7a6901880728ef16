package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"steward/internal/document"
	"steward/internal/httpx"
	"steward/internal/sms"
	"steward/internal/store"
)

// DocumentRoutes are the register of documented information's routes:
// documents, their versions and approval, and staff acknowledgements.
func DocumentRoutes(svc *document.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := documentAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/documents", sms.PermRead, h.list)
		rt.Handle("POST /api/v1/documents", sms.PermWrite, h.create)
		rt.Handle("GET /api/v1/documents/pending-acknowledgement", sms.PermAcknowledge, h.pending)
		rt.Handle("GET /api/v1/documents/{id}", sms.PermRead, h.get)
		rt.Handle("PATCH /api/v1/documents/{id}", sms.PermWrite, h.patch)
		rt.Handle("GET /api/v1/documents/{id}/versions", sms.PermRead, h.versions)
		rt.Handle("POST /api/v1/documents/{id}/versions", sms.PermWrite, h.addVersion)
		// The approver named on a document need not be an administrator:
		// the service decides who may approve.
		rt.Handle("POST /api/v1/documents/{id}/versions/{number}/approve", sms.PermRead, h.approve)
		rt.Handle("POST /api/v1/documents/{id}/acknowledge", sms.PermAcknowledge, h.acknowledge)
		rt.Handle("GET /api/v1/documents/{id}/acknowledgements", sms.PermRead, h.acknowledgements)
	}
}

type documentAPI struct {
	*API
	svc *document.Service
}

func (h documentAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "type", "status", "process_key", "overdue", "q", "limit", "cursor")
	f := document.Filter{ProcessKey: q.str("process_key", 100), Query: q.str("q", 200), Limit: q.limit(), Cursor: q.str("cursor", 600),
		Today: time.Now().UTC().Format(document.DateLayout)}
	for _, t := range q.list("type") {
		if !document.Type(t).Valid() {
			q.fields["type"] = "unknown type " + strconv.Quote(t)
			break
		}
		f.Types = append(f.Types, document.Type(t))
	}
	for _, s := range q.list("status") {
		if !document.Status(s).Valid() {
			q.fields["status"] = "must be draft, approved or retired"
			break
		}
		f.Statuses = append(f.Statuses, document.Status(s))
	}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := document.List(r.Context(), h.DB, f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (h documentAPI) create(w http.ResponseWriter, r *http.Request) {
	var in document.Input
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	createOnce(h.API, w, r, in, func(keep func(context.Context, *store.Tx, document.Document) error) (document.Document, error) {
		return h.svc.Create(r.Context(), httpx.Principal(r).Actor(), in, keep)
	}, func(d document.Document) {
		w.Header().Set("Location", "/api/v1/documents/"+strconv.FormatInt(d.ID, 10))
		w.Header().Set("ETag", etag(d.Version))
		writeJSON(w, http.StatusCreated, d)
	})
}

func (h documentAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := document.Get(r.Context(), h.DB, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, d.Version) {
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (h documentAPI) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in document.Input
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.Update(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, http.StatusOK, d)
}

func (h documentAPI) versions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := document.Get(r.Context(), h.DB, id); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := document.Versions(r.Context(), h.DB, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h documentAPI) addVersion(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in document.NewVersion
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.svc.AddVersion(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/documents/"+strconv.FormatInt(id, 10)+"/versions")
	writeJSON(w, http.StatusCreated, v)
}

func (h documentAPI) approve(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		h.fail(w, r, &malformed{msg: "number in the path must be a positive whole number"})
		return
	}
	var in document.Approval
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	d, err := h.svc.Approve(r.Context(), httpx.Principal(r), id, n, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, http.StatusOK, d)
}

func (h documentAPI) acknowledge(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ack, err := h.svc.Acknowledge(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

func (h documentAPI) acknowledgements(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := document.Get(r.Context(), h.DB, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cov, err := document.CoverageOf(r.Context(), h.DB, d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cov)
}

func (h documentAPI) pending(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := document.Pending(r.Context(), h.DB, httpx.Principal(r).UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}
