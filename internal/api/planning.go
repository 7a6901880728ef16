package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"steward/internal/audit"
	"steward/internal/dashboard"
	"steward/internal/httpx"
	"steward/internal/improvement"
	"steward/internal/kpi"
	"steward/internal/objective"
	"steward/internal/risk"
	"steward/internal/servicereport"
	"steward/internal/sms"
	"steward/internal/store"
)

// Planning is what the planning and improvement routes work on.
type Planning struct {
	Risks        *risk.Service
	Objectives   *objective.Service
	Improvements *improvement.Service
	Reports      *servicereport.Service
	// Dashboards gives each measure its KPI definitions, targets and
	// latest snapshots; nil leaves them out.
	Dashboards *dashboard.Service
}

// PlanningRoutes are the routes of the measures (9.1), risks and
// opportunities (6.1), objectives (6.2), service reports (9.4) and
// improvements (10.2). Staff and auditors read; administrators write.
func PlanningRoutes(p Planning) Routes {
	return func(a *API, rt *httpx.Router) {
		h := planningAPI{a: a, p: p}
		rt.Handle("GET /api/v1/kpis", sms.PermRead, h.listKPIs)
		rt.Handle("GET /api/v1/kpis/{key}", sms.PermRead, h.kpiSeries)
		rt.Handle("GET /api/v1/risk-criteria", sms.PermRead, h.getCriteria)
		rt.Handle("PUT /api/v1/risk-criteria", sms.PermWrite, h.putCriteria)
		rt.Handle("GET /api/v1/risks", sms.PermRead, h.listRisks)
		rt.Handle("POST /api/v1/risks", sms.PermWrite, h.createRisk)
		rt.Handle("GET /api/v1/risks/{id}", sms.PermRead, h.getRisk)
		rt.Handle("PATCH /api/v1/risks/{id}", sms.PermWrite, h.patchRisk)
		rt.Handle("GET /api/v1/objectives", sms.PermRead, h.listObjectives)
		rt.Handle("POST /api/v1/objectives", sms.PermWrite, h.createObjective)
		rt.Handle("GET /api/v1/objectives/{id}", sms.PermRead, h.getObjective)
		rt.Handle("PATCH /api/v1/objectives/{id}", sms.PermWrite, h.patchObjective)
		rt.Handle("GET /api/v1/improvements", sms.PermRead, h.listImprovements)
		rt.Handle("POST /api/v1/improvements", sms.PermWrite, h.createImprovement)
		rt.Handle("GET /api/v1/improvements/{id}", sms.PermRead, h.getImprovement)
		rt.Handle("PATCH /api/v1/improvements/{id}", sms.PermWrite, h.patchImprovement)
		rt.Handle("POST /api/v1/improvements/{id}/actions", sms.PermWrite, h.actImprovement)
		// The report definitions answer at both addresses: the one
		// their list has always had and the one beside the other reports.
		for _, base := range []string{"/api/v1/report-definitions", "/api/v1/reports/definitions"} {
			rt.Handle("GET "+base, sms.PermRead, h.listReports)
			rt.Handle("POST "+base, sms.PermWrite, h.createReport)
			rt.Handle("GET "+base+"/{id}", sms.PermRead, h.getReport)
			rt.Handle("PATCH "+base+"/{id}", sms.PermWrite, h.patchReport)
			rt.Handle("GET "+base+"/{id}/runs", sms.PermRead, h.listRuns)
			rt.Handle("POST "+base+"/{id}/runs", sms.PermWrite, h.produceReport)
		}
	}
}

type planningAPI struct {
	a *API
	p Planning
}

// kpiOut is a metric with its figure over a window, and the KPIs built
// on it with their targets and latest snapshots.
type kpiOut struct {
	kpi.Metric
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Value kpi.Value `json:"value"`
	// Target, Latest and OnTarget are the headline KPI's (dashboard.Headline):
	// nil when no KPI measures the metric over all records.
	Target   *float64            `json:"target"`
	Latest   *dashboard.Snapshot `json:"latest"`
	OnTarget *bool               `json:"on_target"`
	// Definitions are every KPI on the metric.
	Definitions []kpiDefOut `json:"definitions"`
}

// kpiDefOut is a KPI definition as the measure lists it.
type kpiDefOut struct {
	Key            string              `json:"key"`
	Title          string              `json:"title"`
	Period         string              `json:"period"`
	Filter         kpi.Filter          `json:"filter"`
	Target         *float64            `json:"target"`
	HigherIsBetter bool                `json:"higher_is_better"`
	Latest         *dashboard.Snapshot `json:"latest"`
	OnTarget       *bool               `json:"on_target"`
}

// kpiDefinitions reads the KPI definitions by metric.
func (h planningAPI) kpiDefinitions(ctx context.Context) ([]dashboard.Definition, error) {
	if h.p.Dashboards == nil {
		return nil, nil
	}
	return h.p.Dashboards.Definitions(ctx, h.a.DB)
}

// maxKPIDays bounds the window of the KPI list: ten years.
const maxKPIDays = 3660

func (h planningAPI) listKPIs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "days")
	days := 90
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxKPIDays {
			q.fields["days"] = "must be a whole number of days from 1 to 3660"
		}
		days = n
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	defs, err := h.kpiDefinitions(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	now := time.Now().UTC()
	out := []kpiOut{}
	for _, m := range kpi.All() {
		v, err := kpi.Current(r.Context(), h.a.DB, m, days, now)
		if err != nil {
			h.a.fail(w, r, err)
			return
		}
		k := kpiOut{Metric: m, From: now.AddDate(0, 0, -days), To: now, Value: v, Definitions: []kpiDefOut{}}
		for _, d := range defs {
			if d.Metric == m.Key {
				k.Definitions = append(k.Definitions, kpiDefOut{Key: d.Key, Title: d.Title, Period: d.Period, Filter: d.Filter,
					Target: d.Target, HigherIsBetter: d.HigherIsBetter, Latest: d.Latest, OnTarget: d.Met(d.Latest)})
			}
		}
		if hd := dashboard.Headline(defs, m.Key); hd != nil {
			k.Target, k.Latest, k.OnTarget = hd.Target, hd.Latest, hd.Met(hd.Latest)
		}
		out = append(out, k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": days, "items": out})
}

func (h planningAPI) kpiSeries(w http.ResponseWriter, r *http.Request) {
	m, ok := kpi.Get(r.PathValue("key"))
	if !ok {
		h.a.fail(w, r, store.ErrNotFound)
		return
	}
	q := newQuery(r, "from", "to", "bucket")
	now := time.Now().UTC()
	from, to := q.time("from"), q.time("to")
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -90)
	}
	bucket := q.str("bucket", 10)
	if bucket == "" {
		bucket = "week"
	}
	if bucket != "week" && bucket != "month" {
		q.fields["bucket"] = "must be week or month"
	}
	if !to.After(from) {
		q.fields["to"] = "must be after from"
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	pts, err := kpi.Series(r.Context(), h.a.DB, m, from, to, bucket)
	if err != nil {
		h.a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"metric": m, "bucket": bucket, "points": pts})
}

func (h planningAPI) getCriteria(w http.ResponseWriter, r *http.Request) {
	c, err := risk.GetCriteria(r.Context(), h.a.DB)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if notModified(w, r, c.Version) {
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// criteriaInput is the whole of the risk criteria.
type criteriaInput struct {
	LikelihoodLabels []string    `json:"likelihood_labels"`
	ImpactLabels     []string    `json:"impact_labels"`
	Bands            []risk.Band `json:"bands"`
	Appetite         int         `json:"appetite"`
}

func (h planningAPI) putCriteria(w http.ResponseWriter, r *http.Request) {
	var in criteriaInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	c, err := h.p.Risks.SetCriteria(r.Context(), httpx.Principal(r).Actor(), risk.Criteria{LikelihoodLabels: in.LikelihoodLabels,
		ImpactLabels: in.ImpactLabels, Bands: in.Bands, Appetite: in.Appetite}, ifMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

func (h planningAPI) listRisks(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "status", "kind", "likelihood", "impact", "residual", "owner_id", "overdue", "untreated", "limit")
	f := risk.Filter{Status: q.str("status", 20), Kind: q.str("kind", 20), Likelihood: int(q.int64("likelihood")),
		Impact: int(q.int64("impact")), OwnerID: q.int64("owner_id"), Limit: q.limit()}
	if b := q.boolean("residual"); b != nil {
		f.Residual = *b
	}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	if b := q.boolean("untreated"); b != nil {
		f.Untreated = *b
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := h.p.Risks.List(r.Context(), f)
	if err != nil {
		h.a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h planningAPI) createRisk(w http.ResponseWriter, r *http.Request) {
	createRecord(h.a, w, r, "/api/v1/risks/", h.p.Risks.Create, func(x risk.Risk) (int64, int) { return x.ID, x.Version })
}

func (h planningAPI) getRisk(w http.ResponseWriter, r *http.Request) {
	getRecord(h.a, w, r, h.p.Risks.Get, func(x risk.Risk) int { return x.Version })
}

func (h planningAPI) patchRisk(w http.ResponseWriter, r *http.Request) {
	updateRecord(h.a, w, r, h.p.Risks.Update, func(x risk.Risk) int { return x.Version })
}

func (h planningAPI) listObjectives(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := h.p.Objectives.List(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h planningAPI) createObjective(w http.ResponseWriter, r *http.Request) {
	createRecord(h.a, w, r, "/api/v1/objectives/", h.p.Objectives.Create, func(x objective.Objective) (int64, int) { return x.ID, x.Version })
}

// objectiveOut is an objective with its measure's series since its start.
type objectiveOut struct {
	objective.Objective
	Series []kpi.Point `json:"series"`
}

func (h planningAPI) getObjective(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	o, err := h.p.Objectives.Get(r.Context(), id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	series, err := h.p.Objectives.Series(r.Context(), o)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if series == nil {
		series = []kpi.Point{}
	}
	w.Header().Set("ETag", etag(o.Version))
	writeJSON(w, http.StatusOK, objectiveOut{Objective: o, Series: series})
}

func (h planningAPI) patchObjective(w http.ResponseWriter, r *http.Request) {
	updateRecord(h.a, w, r, h.p.Objectives.Update, func(x objective.Objective) int { return x.Version })
}

func (h planningAPI) listImprovements(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "status", "limit")
	f := improvement.Filter{Status: q.str("status", 20), Limit: q.limit()}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := h.p.Improvements.List(r.Context(), f)
	if err != nil {
		h.a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h planningAPI) createImprovement(w http.ResponseWriter, r *http.Request) {
	createRecord(h.a, w, r, "/api/v1/improvements/", h.p.Improvements.Create, func(x improvement.Improvement) (int64, int) { return x.ID, x.Version })
}

func (h planningAPI) getImprovement(w http.ResponseWriter, r *http.Request) {
	getRecord(h.a, w, r, h.p.Improvements.Get, func(x improvement.Improvement) int { return x.Version })
}

func (h planningAPI) patchImprovement(w http.ResponseWriter, r *http.Request) {
	updateRecord(h.a, w, r, h.p.Improvements.Update, func(x improvement.Improvement) int { return x.Version })
}

// actionInput names an action on an improvement.
type actionInput struct {
	Action string `json:"action"`
}

func (h planningAPI) actImprovement(w http.ResponseWriter, r *http.Request) {
	act := func(ctx context.Context, a audit.Actor, id int64, in actionInput, version int) (improvement.Improvement, error) {
		return h.p.Improvements.Act(ctx, a, id, in.Action, version)
	}
	updateRecord(h.a, w, r, act, func(x improvement.Improvement) int { return x.Version })
}

func (h planningAPI) listReports(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := h.p.Reports.List(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h planningAPI) createReport(w http.ResponseWriter, r *http.Request) {
	createRecord(h.a, w, r, "/api/v1/report-definitions/", h.p.Reports.Create, func(x servicereport.Definition) (int64, int) { return x.ID, x.Version })
}

func (h planningAPI) getReport(w http.ResponseWriter, r *http.Request) {
	getRecord(h.a, w, r, h.p.Reports.Get, func(x servicereport.Definition) int { return x.Version })
}

func (h planningAPI) patchReport(w http.ResponseWriter, r *http.Request) {
	updateRecord(h.a, w, r, h.p.Reports.Update, func(x servicereport.Definition) int { return x.Version })
}

func (h planningAPI) listRuns(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	q := newQuery(r, "limit")
	limit := q.limit()
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	if _, err := h.p.Reports.Get(r.Context(), h.a.DB, id); err != nil {
		h.a.fail(w, r, err)
		return
	}
	runs, err := h.p.Reports.Runs(r.Context(), h.a.DB, id, limit)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": runs})
}

func (h planningAPI) produceReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in servicereport.RunInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	run, err := h.p.Reports.Produce(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/report-definitions/"+strconv.FormatInt(id, 10)+"/runs")
	writeJSON(w, http.StatusCreated, run)
}

// created answers 201 with the record's address and version.
// The registers' records share one shape in the API: created with their
// Location and ETag, read by id answering If-None-Match, and changed by
// id at the version If-Match names.

func createRecord[In, T any](a *API, w http.ResponseWriter, r *http.Request, base string,
	create func(context.Context, audit.Actor, In) (T, error), key func(T) (int64, int)) {
	var in In
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	x, err := create(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id, version := key(x)
	w.Header().Set("Location", base+strconv.FormatInt(id, 10))
	w.Header().Set("ETag", etag(version))
	writeJSON(w, http.StatusCreated, x)
}

func getRecord[T any](a *API, w http.ResponseWriter, r *http.Request,
	get func(context.Context, store.Querier, int64) (T, error), version func(T) int) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	x, err := get(r.Context(), a.DB, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if notModified(w, r, version(x)) {
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func updateRecord[In, T any](a *API, w http.ResponseWriter, r *http.Request,
	update func(context.Context, audit.Actor, int64, In, int) (T, error), version func(T) int) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in In
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	x, err := update(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(version(x)))
	writeJSON(w, http.StatusOK, x)
}
