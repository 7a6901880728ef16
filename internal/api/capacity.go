package api

import (
	"net/http"
	"strconv"
	"time"

	"steward/internal/capacity"
	"steward/internal/httpx"
)

// capacityAPI serves utilisation samples, series, forecasts, capacity
// plans and demand trends.
type capacityAPI struct {
	*API
	svc *capacity.Service
}

// CapacityRoutes are capacity and demand's API routes over svc.
func CapacityRoutes(svc *capacity.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &capacityAPI{API: a, svc: svc}
		rt.Handle("POST /api/v1/metrics", capacity.PermWrite, h.ingest)
		rt.Handle("GET /api/v1/metrics/series", capacity.PermRead, h.list)
		rt.Handle("POST /api/v1/metrics/series", capacity.PermWrite, h.create)
		rt.Handle("GET /api/v1/metrics/series/{id}", capacity.PermRead, h.get)
		rt.Handle("PATCH /api/v1/metrics/series/{id}", capacity.PermWrite, h.patch)
		rt.Handle("GET /api/v1/metrics/series/{id}/samples", capacity.PermRead, h.samples)
		rt.Handle("GET /api/v1/metrics/series/{id}/forecast", capacity.PermRead, h.forecast)
		rt.Handle("GET /api/v1/capacity/overview", capacity.PermRead, h.overview)
		rt.Handle("GET /api/v1/capacity-plans", capacity.PermRead, h.plans)
		rt.Handle("POST /api/v1/capacity-plans", capacity.PermWrite, h.createPlan)
		rt.Handle("GET /api/v1/capacity-plans/{id}", capacity.PermRead, h.getPlan)
		rt.Handle("PATCH /api/v1/capacity-plans/{id}", capacity.PermWrite, h.patchPlan)
		rt.Handle("DELETE /api/v1/capacity-plans/{id}", capacity.PermWrite, h.deletePlan)
		rt.Handle("GET /api/v1/reports/demand", capacity.PermRead, h.demand)
	}
}

// metricsBatch is the body of POST /api/v1/metrics.
type metricsBatch struct {
	Samples []capacity.SampleIn `json:"samples"`
}

func (h *capacityAPI) ingest(w http.ResponseWriter, r *http.Request) {
	var in metricsBatch
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.svc.Ingest(r.Context(), httpx.Principal(r), in.Samples)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *capacityAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "ci_id", "service_id", "metric", "cursor", "limit")
	f := capacity.Filter{CIID: q.int64("ci_id"), ServiceID: q.int64("service_id"), Metric: q.str("metric", capacity.MaxMetric),
		After: q.int64("cursor"), Limit: q.limit()}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.List(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if len(items) == f.Limit {
		next = itoa(items[len(items)-1].ID)
	}
	writeJSON(w, http.StatusOK, listBody(items, next))
}

func (h *capacityAPI) create(w http.ResponseWriter, r *http.Request) {
	var in capacity.NewSeries
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	sr, err := h.svc.Create(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/metrics/series/"+itoa(sr.ID))
	w.Header().Set("ETag", etag(sr.Version))
	writeJSON(w, http.StatusCreated, sr)
}

func (h *capacityAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sr, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, sr.Version) {
		return
	}
	writeJSON(w, http.StatusOK, sr)
}

func (h *capacityAPI) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt capacity.SeriesPatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	sr, err := h.svc.Update(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(sr.Version))
	writeJSON(w, http.StatusOK, sr)
}

func (h *capacityAPI) samples(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := newQuery(r, "from", "to", "limit")
	from, to := q.time("from"), q.time("to")
	limit := 1000
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > capacity.MaxSamples {
			q.fields["limit"] = "must be a whole number from 1 to " + strconv.Itoa(capacity.MaxSamples)
		}
		limit = n
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	if to.IsZero() {
		to = time.Now().Add(capacity.Skew)
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -7)
	}
	pts, err := h.svc.Samples(r.Context(), httpx.Principal(r), id, from, to, limit)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if len(pts) == limit {
		next = pts[len(pts)-1].At.Add(time.Second).UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": pts, "next_from": nullable(next)})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (h *capacityAPI) forecast(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.svc.Forecast(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (h *capacityAPI) overview(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id")
	svc := q.int64("service_id")
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.Overview(r.Context(), httpx.Principal(r), svc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h *capacityAPI) plans(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.Plans(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *capacityAPI) createPlan(w http.ResponseWriter, r *http.Request) {
	var in capacity.PlanIn
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	pl, err := h.svc.CreatePlan(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/capacity-plans/"+itoa(pl.ID))
	w.Header().Set("ETag", etag(pl.Version))
	writeJSON(w, http.StatusCreated, pl)
}

func (h *capacityAPI) getPlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pl, err := h.svc.GetPlan(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, pl.Version) {
		return
	}
	writeJSON(w, http.StatusOK, pl)
}

func (h *capacityAPI) patchPlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in capacity.PlanIn
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	pl, err := h.svc.UpdatePlan(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(pl.Version))
	writeJSON(w, http.StatusOK, pl)
}

func (h *capacityAPI) deletePlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.DeletePlan(r.Context(), httpx.Principal(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *capacityAPI) demand(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "weeks")
	svc := q.int64("service_id")
	weeks := int(q.int64("weeks"))
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.DemandTrends(r.Context(), httpx.Principal(r), svc, weeks)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}
