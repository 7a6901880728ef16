package api

import (
	"context"
	"net/http"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/problem"
	"steward/internal/store"
)

// problemAPI serves problems, the known-error database and the trends of
// recurring incidents.
type problemAPI struct {
	*API
	svc *problem.Service
}

// ProblemRoutes are problem management's API routes over svc.
func ProblemRoutes(svc *problem.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &problemAPI{API: a, svc: svc}
		rt.Handle("POST /api/v1/problems", problem.PermCreate, h.create)
		rt.Handle("GET /api/v1/problems", problem.PermRead, h.list)
		(&kindAPI[problem.Problem, problem.Patch, problem.Entry]{a: a, kind: svc.Kind(), ref: problem.ParseRef,
			get: svc.Get, update: svc.Update, journal: svc.Journal, addNote: svc.AddNote,
			version: func(pr problem.Problem) int { return pr.Version }}).routes(rt)
		rt.Handle("GET /api/v1/problems/{ref}/incidents", problem.PermRead, h.incidents)
		rt.Handle("POST /api/v1/problems/{ref}/incidents", problem.PermUpdate, h.link)
		rt.Handle("DELETE /api/v1/problems/{ref}/incidents/{incident}", problem.PermUpdate, h.unlink)
		rt.Handle("GET /api/v1/problems/{ref}/recurrence", problem.PermRead, h.recurrence)
		rt.Handle("GET /api/v1/problem-trends", problem.PermRead, h.trends)
		rt.Handle("GET /api/v1/problem-overview", problem.PermRead, h.overview)
		rt.Handle("GET /api/v1/known-errors", problem.PermRead, h.knownErrors)
		rt.Handle("POST /api/v1/known-errors/{ref}/apply", incident.PermWorkNote, h.apply)
	}
}

func (h *problemAPI) create(w http.ResponseWriter, r *http.Request) {
	var in problem.NewProblem
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	createOnce(h.API, w, r, in, func(keep func(context.Context, *store.Tx, problem.Problem) error) (problem.Problem, error) {
		return h.svc.Create(r.Context(), httpx.Principal(r), in, keep)
	}, func(pr problem.Problem) {
		w.Header().Set("Location", "/api/v1/problems/"+pr.Number)
		w.Header().Set("ETag", etag(pr.Version))
		writeJSON(w, http.StatusCreated, pr)
	})
}

func (h *problemAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "assignee_id", "ci_id", "service_id", "created_after", "created_before", "closed_after", "closed_before",
		"q", "limit", "cursor")
	f := problem.Filter{
		CIID: q.int64("ci_id"), ServiceID: q.int64("service_id"), Query: q.str("q", 200),
		CreatedAfter: q.time("created_after"), CreatedBefore: q.time("created_before"),
		ClosedAfter: q.time("closed_after"), ClosedBefore: q.time("closed_before"),
		Limit: q.limit(), Cursor: q.str("cursor", 300),
	}
	if v := q.str("assignee_id", 20); v == "me" {
		f.AssigneeID = httpx.Principal(r).UserID
	} else if v != "" {
		f.AssigneeID = q.int64("assignee_id")
	}
	for _, s := range q.list("state") {
		if s == "open" {
			f.States = append(f.States, problem.OpenStates...)
			continue
		}
		f.States = append(f.States, problem.State(s))
	}
	listPage(h.API, w, r, q, f, h.svc.List)
}

func (h *problemAPI) ref(r *http.Request) (int64, error) {
	id, ok := problem.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// load reads the problem the path names.
func (h *problemAPI) load(w http.ResponseWriter, r *http.Request) (problem.Problem, bool) {
	id, err := h.ref(r)
	if err == nil {
		var pr problem.Problem
		if pr, err = h.svc.Get(r.Context(), httpx.Principal(r), id); err == nil {
			return pr, true
		}
	}
	h.fail(w, r, err)
	return problem.Problem{}, false
}

func (h *problemAPI) incidents(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.LinkedIncidents(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

type linkIncidentsInput struct {
	Incidents []string `json:"incidents"`
}

func (h *problemAPI) link(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in linkIncidentsInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	pr, err := h.svc.LinkIncidents(r.Context(), httpx.Principal(r), id, in.Incidents)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(pr.Version))
	writeJSON(w, http.StatusOK, pr)
}

func (h *problemAPI) unlink(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	iid, ok := incident.ParseRef(r.PathValue("incident"))
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	if err := h.svc.UnlinkIncident(r.Context(), httpx.Principal(r), id, iid); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// recurrenceBody is a problem's recurrence, null before a fix.
type recurrenceBody struct {
	Recurrence *problem.Recurrence `json:"recurrence"`
}

func (h *problemAPI) recurrence(w http.ResponseWriter, r *http.Request) {
	pr, ok := h.load(w, r)
	if !ok {
		return
	}
	rec, found, err := h.svc.RecurrenceOf(r.Context(), httpx.Principal(r), pr, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var out recurrenceBody
	if found {
		out.Recurrence = &rec
	}
	writeJSON(w, http.StatusOK, out)
}

// weeksParam reads the weeks a view covers, def when absent.
func weeksParam(q *query, def int) int {
	if q.str("weeks", 3) == "" {
		return def
	}
	return int(q.int64("weeks"))
}

func (h *problemAPI) trends(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "weeks", "min")
	weeks, min := weeksParam(q, 8), 3
	if q.str("min", 5) != "" {
		min = int(q.int64("min"))
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.svc.Trends(r.Context(), httpx.Principal(r), weeks, min, time.Now())
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// overviewBody is the overview with its share worked out.
type overviewBody struct {
	problem.Overview
	SharePercent float64 `json:"share_percent"`
}

func (h *problemAPI) overview(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "weeks")
	weeks := weeksParam(q, 12)
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.svc.Overview(r.Context(), httpx.Principal(r), weeks, time.Now())
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, overviewBody{Overview: o, SharePercent: o.SharePercent()})
}

func (h *problemAPI) knownErrors(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "q", "ci_id", "service_id", "limit")
	f := problem.KnownErrorFilter{Query: q.str("q", 200), CIID: q.int64("ci_id"), ServiceID: q.int64("service_id"), Limit: q.limit()}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.KnownErrors(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

type applyInput struct {
	Incident string `json:"incident"`
}

func (h *problemAPI) apply(w http.ResponseWriter, r *http.Request) {
	id, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in applyInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	iid, ok := incident.ParseRef(in.Incident)
	if !ok {
		h.fail(w, r, domainerr.Field("incident", "must be an incident number such as INC-000012"))
		return
	}
	e, err := h.svc.ApplyWorkaround(r.Context(), httpx.Principal(r), id, iid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}
