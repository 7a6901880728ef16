package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/availability"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

// availabilityAPI serves outages, availability targets and the
// availability report.
type availabilityAPI struct {
	*API
	svc *availability.Service
}

// AvailabilityRoutes are availability's API routes over svc.
func AvailabilityRoutes(svc *availability.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &availabilityAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/outages", availability.PermRead, h.list)
		rt.Handle("POST /api/v1/outages", availability.PermWrite, h.create)
		rt.Handle("GET /api/v1/outages/{id}", availability.PermRead, h.get)
		rt.Handle("PATCH /api/v1/outages/{id}", availability.PermWrite, h.patch)
		rt.Handle("DELETE /api/v1/outages/{id}", availability.PermWrite, h.delete)
		rt.Handle("GET /api/v1/services/{id}/availability-target", availability.PermRead, h.getTarget)
		rt.Handle("PUT /api/v1/services/{id}/availability-target", availability.PermWrite, h.putTarget)
		rt.Handle("GET /api/v1/reports/availability", availability.PermRead, h.report)
	}
}

func (h *availabilityAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "from", "to", "source", "cursor", "limit")
	f := availability.OutageFilter{ServiceID: q.int64("service_id"), From: q.time("from"), To: q.time("to"),
		Source: q.str("source", 20), Cursor: q.str("cursor", 60), Limit: q.limit()}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, next, err := h.svc.ListOutages(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, next))
}

func (h *availabilityAPI) create(w http.ResponseWriter, r *http.Request) {
	var in availability.NewOutage
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.svc.CreateOutage(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/outages/"+itoa(o.ID))
	w.Header().Set("ETag", etag(o.Version))
	writeJSON(w, http.StatusCreated, o)
}

func (h *availabilityAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.svc.GetOutage(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, o.Version) {
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (h *availabilityAPI) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt availability.OutagePatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.svc.UpdateOutage(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(o.Version))
	writeJSON(w, http.StatusOK, o)
}

// outageRemoval says why an outage is removed.
type outageRemoval struct {
	Reason string `json:"reason"`
}

func (h *availabilityAPI) delete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in outageRemoval
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.svc.DeleteOutage(r.Context(), httpx.Principal(r), id, in.Reason); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *availabilityAPI) getTarget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.GetTarget(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (h *availabilityAPI) putTarget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in availability.TargetInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.SetTarget(r.Context(), httpx.Principal(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (h *availabilityAPI) report(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "from", "to")
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	rq, err := ReportPeriod(r.URL.Query().Get("service_id"), r.URL.Query().Get("from"), r.URL.Query().Get("to"), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.svc.Report(r.Context(), httpx.Principal(r), rq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// ReportPeriod reads an availability report's service and period from
// their text: a date (2026-01-31) or an RFC 3339 instant each; without
// either, the 30 days before today (UTC). Bad values are 422s naming
// the parameter.
func ReportPeriod(service, from, to string, now time.Time) (availability.ReportQuery, error) {
	v := domainerr.NewInvalid()
	var rq availability.ReportQuery
	if s := strings.TrimSpace(service); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			v.Add("service_id", "must be a service's id, a positive whole number")
		}
		rq.ServiceID = n
	}
	at := func(name, s string) time.Time {
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			return d
		}
		v.Add(name, "must be a date (2026-01-31) or an RFC 3339 time (2026-01-31T09:00:00Z)")
		return time.Time{}
	}
	rq.From, rq.To = at("from", from), at("to", to)
	if strings.TrimSpace(from) == "" && strings.TrimSpace(to) == "" {
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		rq.From, rq.To = today.AddDate(0, 0, -29), today.AddDate(0, 0, 1)
	}
	return rq, v.Err()
}
