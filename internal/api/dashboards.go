package api

import (
	"net/http"
	"strconv"
	"time"

	"steward/internal/dashboard"
	"steward/internal/httpx"
)

// DashboardRoutes are the routes of KPI definitions with their snapshots
// (9.1), dashboards and produced service reports' files (9.4). Staff and
// auditors read KPIs; administrators keep them; everyone signed in reads
// dashboards, requesters with their organisation's figures only.
func DashboardRoutes(s *dashboard.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := dashboardAPI{a: a, s: s}
		rt.Handle("GET /api/v1/kpi-definitions", dashboard.PermKPIRead, h.listDefinitions)
		rt.Handle("POST /api/v1/kpi-definitions", dashboard.PermKPIWrite, h.createDefinition)
		rt.Handle("GET /api/v1/kpi-definitions/{key}", dashboard.PermKPIRead, h.getDefinition)
		rt.Handle("PATCH /api/v1/kpi-definitions/{key}", dashboard.PermKPIWrite, h.patchDefinition)
		rt.Handle("DELETE /api/v1/kpi-definitions/{key}", dashboard.PermKPIWrite, h.deleteDefinition)
		rt.Handle("GET /api/v1/kpi-definitions/{key}/series", dashboard.PermKPIRead, h.series)
		// The series under the KPI path integrations expect; the definitions,
		// each with its latest value and target, are listed above.
		rt.Handle("GET /api/v1/kpis/{key}/series", dashboard.PermKPIRead, h.series)
		rt.Handle("GET /api/v1/dashboards", dashboard.PermRead, h.listBoards)
		rt.Handle("GET /api/v1/dashboards/{key}", dashboard.PermRead, h.getBoard)
		rt.Handle("PUT /api/v1/dashboards/{key}", dashboard.PermArrange, h.arrangeBoard)
		rt.Handle("GET /api/v1/report-runs/{id}/file", dashboard.PermReportFile, h.runFile)
	}
}

type dashboardAPI struct {
	a *API
	s *dashboard.Service
}

func (h dashboardAPI) listDefinitions(w http.ResponseWriter, r *http.Request) {
	defs, err := h.s.Definitions(r.Context(), h.a.DB)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": defs})
}

func (h dashboardAPI) getDefinition(w http.ResponseWriter, r *http.Request) {
	d, err := h.s.Definition(r.Context(), h.a.DB, r.PathValue("key"))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	vs, err := h.s.Versions(r.Context(), h.a.DB, d.ID)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, http.StatusOK, map[string]any{"kpi": d, "versions": vs})
}

func (h dashboardAPI) createDefinition(w http.ResponseWriter, r *http.Request) {
	var in dashboard.Input
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	d, err := h.s.CreateDefinition(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Version))
	w.Header().Set("Location", "/api/v1/kpi-definitions/"+d.Key)
	writeJSON(w, http.StatusCreated, d)
}

func (h dashboardAPI) patchDefinition(w http.ResponseWriter, r *http.Request) {
	var in dashboard.Input
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	d, err := h.s.UpdateDefinition(r.Context(), httpx.Principal(r).Actor(), r.PathValue("key"), in, ifMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, http.StatusOK, d)
}

func (h dashboardAPI) deleteDefinition(w http.ResponseWriter, r *http.Request) {
	if err := h.s.DeleteDefinition(r.Context(), httpx.Principal(r).Actor(), r.PathValue("key")); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// series answers a KPI's snapshots whose periods start in [from, to),
// over all customers or, with customer, for one.
func (h dashboardAPI) series(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "from", "to", "customer")
	from, to, cust := q.time("from"), q.time("to"), q.int64("customer")
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	d, err := h.s.Definition(r.Context(), h.a.DB, r.PathValue("key"))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if to.IsZero() {
		to = time.Now().UTC().AddDate(0, 0, 1)
	}
	if from.IsZero() {
		from = to.AddDate(-1, 0, 0)
	}
	if !to.After(from) {
		q.fields["to"] = "must be after from"
	}
	if cust != 0 && !d.PerCustomer {
		q.fields["customer"] = "this KPI is not computed per customer"
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	pts, err := h.s.Series(r.Context(), h.a.DB, d.ID, cust, from, to)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	d.Latest = nil
	writeJSON(w, http.StatusOK, map[string]any{"kpi": d, "customer_id": cust, "from": from, "to": to, "points": pts})
}

func (h dashboardAPI) listBoards(w http.ResponseWriter, r *http.Request) {
	v := dashboard.ViewerOf(httpx.Principal(r))
	refs, err := h.s.Choices(r.Context(), v)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	def, err := h.s.DefaultBoard(r.Context(), v)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"default": def, "items": refs})
}

func (h dashboardAPI) getBoard(w http.ResponseWriter, r *http.Request) {
	b, err := h.s.Board(r.Context(), dashboard.ViewerOf(httpx.Principal(r)), r.PathValue("key"))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// arrangement is a dashboard's tiles: KPI keys in order.
type arrangement struct {
	Tiles []string `json:"tiles"`
}

func (h dashboardAPI) arrangeBoard(w http.ResponseWriter, r *http.Request) {
	var in arrangement
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	p := httpx.Principal(r)
	v := dashboard.ViewerOf(p)
	key := r.PathValue("key")
	if err := h.s.Arrange(r.Context(), p.Actor(), v, key, in.Tiles); err != nil {
		h.a.fail(w, r, err)
		return
	}
	b, err := h.s.Board(r.Context(), v, key)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// runFile answers a produced report's file: staff may open any, a
// requester one produced for their organisation.
func (h dashboardAPI) runFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	f, err := h.s.RunFile(r.Context(), dashboard.ViewerOf(httpx.Principal(r)), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeRunFile(w, f)
}

// writeRunFile sends a produced report as a download that cannot run as
// a page of the site.
func writeRunFile(w http.ResponseWriter, f dashboard.RunFile) {
	h := w.Header()
	h.Set("Content-Type", f.Type)
	h.Set("Content-Length", strconv.Itoa(len(f.Body)))
	h.Set("Content-Disposition", `attachment; filename="`+f.Name+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.WriteHeader(http.StatusOK)
	w.Write(f.Body)
}
