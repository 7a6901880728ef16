package api

import (
	"net/http"

	"steward/internal/httpx"
	"steward/internal/servicereview"
)

// serviceReviewAPI serves service reviews with customers.
type serviceReviewAPI struct {
	*API
	svc *servicereview.Service
}

// ServiceReviewRoutes are service reviews' API routes over svc.
func ServiceReviewRoutes(svc *servicereview.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &serviceReviewAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/service-reviews", servicereview.PermRead, h.list)
		rt.Handle("POST /api/v1/service-reviews", servicereview.PermWrite, h.create)
		rt.Handle("GET /api/v1/service-reviews/{id}", servicereview.PermRead, h.get)
		rt.Handle("PATCH /api/v1/service-reviews/{id}", servicereview.PermWrite, h.patch)
		rt.Handle("POST /api/v1/service-reviews/{id}/pack", servicereview.PermWrite, h.pack)
		rt.Handle("POST /api/v1/service-reviews/{id}/actions", servicereview.PermWrite, h.addAction)
		rt.Handle("POST /api/v1/service-reviews/{id}/actions/{action}/done", servicereview.PermWrite, h.doneAction)
	}
}

func (h *serviceReviewAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "agreement_id", "overdue", "limit")
	f := servicereview.Filter{State: q.str("state", 20), AgreementID: q.int64("agreement_id"), Limit: q.limit()}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.List(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *serviceReviewAPI) create(w http.ResponseWriter, r *http.Request) {
	var in servicereview.NewReview
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.svc.Schedule(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/service-reviews/"+itoa(rv.ID))
	w.Header().Set("ETag", etag(rv.Version))
	writeJSON(w, http.StatusCreated, rv)
}

func (h *serviceReviewAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, rv.Version) {
		return
	}
	writeJSON(w, http.StatusOK, rv)
}

func (h *serviceReviewAPI) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt servicereview.Patch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.svc.Update(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(rv.Version))
	writeJSON(w, http.StatusOK, rv)
}

func (h *serviceReviewAPI) pack(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.svc.Compile(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(rv.Version))
	writeJSON(w, http.StatusOK, rv)
}

func (h *serviceReviewAPI) addAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in servicereview.NewAction
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.AddAction(r.Context(), httpx.Principal(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (h *serviceReviewAPI) doneAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	aid, err := pathID(r, "action")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.DoneAction(r.Context(), httpx.Principal(r), id, aid); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
