package api

import (
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/nonconformity"
	"steward/internal/review"
)

func (h *checkingAPI) listReviews(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit")
	limit := q.limit()
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.reviews.List(r.Context(), httpx.Principal(r), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h *checkingAPI) createReview(w http.ResponseWriter, r *http.Request) {
	var in review.Input
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.reviews.Save(r.Context(), httpx.Principal(r), 0, in, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/management-reviews/"+strconv.FormatInt(rv.ID, 10))
	versioned(w, http.StatusCreated, rv.Version, rv)
}

func (h *checkingAPI) getReview(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.reviews.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, rv.Version) {
		return
	}
	writeJSON(w, http.StatusOK, rv)
}

func (h *checkingAPI) patchReview(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in review.Input
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.reviews.Save(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, rv.Version, rv)
}

func (h *checkingAPI) compileReview(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.reviews.Compile(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, rv.Version, rv)
}

func (h *checkingAPI) addReviewAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in nonconformity.NewAction
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.reviews.AddAction(r.Context(), httpx.Principal(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusCreated, a.Version, a)
}
