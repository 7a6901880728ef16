package api

import (
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/webhook"
)

// WebhookRoutes keep the receivers the activity feed is sent to:
// webhook:read sees them and their delivery log, webhook:admin changes
// them and sends tests. A secret is shown only in the answer that created
// it or had one generated. Paths under /api/v1/webhooks/ other than a
// numeric id belong to the senders (Alertmanager, events_ingest.go).
func WebhookRoutes(svc *webhook.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := webhookAPI{a: a, svc: svc}
		rt.Handle("GET /api/v1/webhooks", webhook.PermRead, h.list)
		rt.Handle("POST /api/v1/webhooks", webhook.PermAdmin, h.create)
		rt.Handle("GET /api/v1/webhooks/{id}", webhook.PermRead, h.get)
		rt.Handle("PATCH /api/v1/webhooks/{id}", webhook.PermAdmin, h.patch)
		rt.Handle("DELETE /api/v1/webhooks/{id}", webhook.PermAdmin, h.remove)
		rt.Handle("POST /api/v1/webhooks/{id}/test", webhook.PermAdmin, h.test)
		rt.Handle("GET /api/v1/webhooks/{id}/deliveries", webhook.PermRead, h.deliveries)
	}
}

type webhookAPI struct {
	a   *API
	svc *webhook.Service
}

func (h webhookAPI) list(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	items, err := h.svc.List(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	for i := range items {
		items[i] = items[i].For(httpx.Principal(r))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h webhookAPI) create(w http.ResponseWriter, r *http.Request) {
	var in webhook.NewWebhook
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	wh, err := h.svc.Create(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(wh.ID, 10))
	w.Header().Set("ETag", etag(wh.Version))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, wh)
}

func (h webhookAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	wh, err := h.svc.Get(r.Context(), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if notModified(w, r, wh.Version) {
		return
	}
	writeJSON(w, http.StatusOK, wh.For(httpx.Principal(r)))
}

func (h webhookAPI) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var pt webhook.Patch
	if err := decode(w, r, &pt); err != nil {
		h.a.fail(w, r, err)
		return
	}
	wh, err := h.svc.Update(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(wh.Version))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, wh)
}

func (h webhookAPI) remove(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if err := h.svc.Delete(r.Context(), httpx.Principal(r), id); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h webhookAPI) test(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	// The request carries no fields; an empty body or {} is fine.
	if r.ContentLength != 0 {
		var none struct{}
		if err := decode(w, r, &none); err != nil {
			h.a.fail(w, r, err)
			return
		}
	}
	res, err := h.svc.Ping(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h webhookAPI) deliveries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	q := newQuery(r, "limit", "cursor", "state")
	f := webhook.LogFilter{Limit: q.limit(), State: q.str("state", 20)}
	if c := q.str("cursor", 20); c != "" {
		if f.Before, err = strconv.ParseInt(c, 10, 64); err != nil || f.Before <= 0 {
			q.fields["cursor"] = "pass back the next_cursor of the previous page unchanged"
		}
	}
	switch f.State {
	case "", "pending", "delivered", "failed":
	default:
		q.fields["state"] = "must be pending, delivered or failed"
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	items, next, err := h.svc.Deliveries(r.Context(), id, f)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var cursor any
	if next > 0 {
		cursor = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": cursor})
}
