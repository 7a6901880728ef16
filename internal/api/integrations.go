package api

import (
	"net/http"
	"strconv"

	"steward/internal/event"
	"steward/internal/httpx"
)

// integrationRoutes keep the integrations that send events: staff with
// event:read see them, event:admin changes them. A routing key is shown
// only in the answer that created or rotated it.
func integrationRoutes(a *API, rt *httpx.Router, svc *event.Service) {
	h := integrationHandlers{a: a, svc: svc}
	rt.Handle("GET /api/v1/integrations", event.PermRead, h.list)
	rt.Handle("POST /api/v1/integrations", event.PermAdmin, h.create)
	rt.Handle("GET /api/v1/integrations/{id}", event.PermRead, h.get)
	rt.Handle("PATCH /api/v1/integrations/{id}", event.PermAdmin, h.patch)
	rt.Handle("POST /api/v1/integrations/{id}/rotate-key", event.PermAdmin, h.rotate)
	rt.Handle("DELETE /api/v1/integrations/{id}", event.PermAdmin, h.deactivate)
}

type integrationHandlers struct {
	a   *API
	svc *event.Service
}

func (h integrationHandlers) list(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	items, err := h.svc.Integrations(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if items == nil {
		items = []event.Integration{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h integrationHandlers) create(w http.ResponseWriter, r *http.Request) {
	var in event.NewIntegration
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	it, err := h.svc.CreateIntegration(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/integrations/"+strconv.FormatInt(it.ID, 10))
	w.Header().Set("ETag", etag(it.Version))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, it)
}

func (h integrationHandlers) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	it, err := h.svc.Integration(r.Context(), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if notModified(w, r, it.Version) {
		return
	}
	writeJSON(w, http.StatusOK, it)
}

func (h integrationHandlers) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var pt event.IntegrationPatch
	if err := decode(w, r, &pt); err != nil {
		h.a.fail(w, r, err)
		return
	}
	it, err := h.svc.UpdateIntegration(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(it.Version))
	writeJSON(w, http.StatusOK, it)
}

func (h integrationHandlers) rotate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	it, err := h.svc.RotateKey(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(it.Version))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, it)
}

func (h integrationHandlers) deactivate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	it, err := h.svc.Deactivate(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(it.Version))
	writeJSON(w, http.StatusOK, it)
}
