package api

import (
	"errors"
	"net/http"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
)

// alertRoutes are the alert console's API: alerts with their timelines,
// the agent's acknowledge and resolve, and the devices waiting to be
// mapped to CIs.
func alertRoutes(a *API, rt *httpx.Router, svc *event.Service) {
	h := alertsAPI{a: a, svc: svc}
	rt.Handle("GET /api/v1/alerts", event.PermRead, h.list)
	rt.Handle("GET /api/v1/alerts/{id}", event.PermRead, h.get)
	rt.Handle("POST /api/v1/alerts/{id}/acknowledge", event.PermWrite, h.act(event.Acknowledge))
	rt.Handle("POST /api/v1/alerts/{id}/resolve", event.PermWrite, h.act(event.Resolve))
	rt.Handle("GET /api/v1/unmapped-devices", event.PermRead, h.devices)
	rt.Handle("POST /api/v1/unmapped-devices/map", event.PermWrite, h.mapDevice)
	rt.Handle("POST /api/v1/unmapped-devices/ignore", event.PermWrite, h.ignoreDevice)
}

type alertsAPI struct {
	a   *API
	svc *event.Service
}

// filterFault answers a list's bad filters with 422 naming each.
func filterFault(q *query, err error) error {
	inv := domainerr.NewInvalid()
	inv.Message = "some filters are not valid"
	for k, m := range q.fields {
		inv.Fields[k] = m
	}
	var e *domainerr.Invalid
	if errors.As(err, &e) {
		for k, m := range e.Fields {
			inv.Fields[k] = m
		}
	}
	return inv
}

func (h alertsAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "dedup_key", "ci_id", "integration_id", "incident_id", "severity", "q", "limit", "cursor")
	f := event.AlertFilter{
		State: q.str("state", 20), DedupKey: q.str("dedup_key", event.MaxText),
		CIID: q.int64("ci_id"), IntegrationID: q.int64("integration_id"), IncidentID: q.int64("incident_id"),
		Q: q.str("q", 200), After: q.str("cursor", 300),
	}
	for _, s := range q.list("severity") {
		f.Severity = append(f.Severity, event.Severity(strings.ToLower(s)))
	}
	f.Limit = alertLimit(q)
	err := event.CheckAlertFilter(&f)
	if len(q.fields) > 0 || err != nil {
		h.a.fail(w, r, filterFault(q, err))
		return
	}
	pg, err := h.svc.ListAlerts(r.Context(), httpx.Principal(r), f)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var next any
	if pg.Next != "" {
		next = pg.Next
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": pg.Items, "next_cursor": next})
}

// alertLimit reads limit up to the alerts' own maximum.
func alertLimit(q *query) int {
	v := q.r.URL.Query().Get("limit")
	if v == "" {
		return event.DefaultAlertLimit
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' || n > event.MaxAlertLimit {
			n = -1
			break
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > event.MaxAlertLimit {
		q.fields["limit"] = "must be a whole number from 1 to 500"
		return event.DefaultAlertLimit
	}
	return n
}

func (h alertsAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	d, err := h.svc.GetAlert(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// act acknowledges or resolves an alert by handing the processor an
// event: the answer is 202, the alert changes within seconds.
func (h alertsAPI) act(action event.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			h.a.fail(w, r, err)
			return
		}
		a, err := h.svc.ActOnAlert(r.Context(), httpx.Principal(r), id, action)
		if err != nil {
			h.a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"id": a.ID, "dedup_key": a.DedupKey, "action": action,
			"message": "accepted: the alert will be " + string(action) + "d within seconds"})
	}
}

func (h alertsAPI) devices(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "integration_id", "ignored", "limit", "cursor")
	f := event.DeviceFilter{IntegrationID: q.int64("integration_id"), After: q.str("cursor", 3000), Limit: alertLimit(q)}
	if b := q.boolean("ignored"); b != nil {
		f.Ignored = *b
	}
	if len(q.fields) > 0 {
		h.a.fail(w, r, filterFault(q, nil))
		return
	}
	pg, err := h.svc.UnmappedDevices(r.Context(), httpx.Principal(r), f)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var next any
	if pg.Next != "" {
		next = pg.Next
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": pg.Items, "next_cursor": next})
}

type deviceBody struct {
	IntegrationID int64  `json:"integration_id"`
	Device        string `json:"device"`
	CIID          int64  `json:"ci_id"`
}

func (h alertsAPI) mapDevice(w http.ResponseWriter, r *http.Request) {
	var in deviceBody
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	m, err := h.svc.MapDevice(r.Context(), httpx.Principal(r), in.IntegrationID, in.Device, in.CIID)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (h alertsAPI) ignoreDevice(w http.ResponseWriter, r *http.Request) {
	var in deviceBody
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	if err := h.svc.IgnoreDevice(r.Context(), httpx.Principal(r), in.IntegrationID, in.Device); err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"integration_id": in.IntegrationID, "device": in.Device, "ignored": true})
}
