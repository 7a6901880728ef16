package api

import (
	"context"
	"net/http"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/store"
)

// IncidentRoutes are incident management's API routes.
var IncidentRoutes Routes = (*API).registerIncidents

func (a *API) registerIncidents(rt *httpx.Router) {
	rt.Handle("POST /api/v1/incidents", incident.PermCreate, a.createIncident)
	rt.Handle("GET /api/v1/incidents", incident.PermRead, a.listIncidents)
	(&kindAPI[incident.Incident, incident.Patch, incident.Entry]{a: a, kind: a.Incidents.Kind(), ref: incident.ParseRef,
		get: a.Incidents.Get, update: a.Incidents.Update, journal: a.Incidents.Journal,
		version: func(inc incident.Incident) int { return inc.Version },
		answer: func(w http.ResponseWriter, r *http.Request, status int, inc incident.Incident) {
			a.writeIncident(w, r, status, inc)
		}}).routes(rt)
	rt.Handle("POST /api/v1/incidents/{ref}/confirm", incident.PermCreate, a.answerIncident(func(s *incident.Service) answer {
		return func(ctx context.Context, p *auth.Principal, id int64, _ string, ifVersion int) (incident.Incident, error) {
			return s.Confirm(ctx, p, id, ifVersion)
		}
	}))
	rt.Handle("POST /api/v1/incidents/{ref}/reopen", incident.PermCreate, a.answerIncident(func(s *incident.Service) answer { return s.Reopen }))
	rt.Handle("POST /api/v1/incidents/{ref}/withdraw", incident.PermCreate, a.answerIncident(func(s *incident.Service) answer { return s.Withdraw }))
	rt.Handle("POST /api/v1/incidents/{ref}/comments", incident.PermComment, a.commentIncident)
}

func (a *API) createIncident(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	var in incident.NewIncident
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	idem, err := a.idempotency(r, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if idem.replay(w) {
		return
	}
	var out IncidentWithSLA
	inc, err := a.Incidents.Create(r.Context(), p, in, a.incidentHook(r, idem, &out))
	if idem.raced(err) && idem.replay(w) {
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(inc.Version))
	w.Header().Set("Location", "/api/v1/incidents/"+inc.Number)
	writeJSON(w, http.StatusCreated, out)
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "priority", "group_id", "assignee_id", "customer_id", "requester_id", "service_id",
		"category", "major", "created_after", "created_before", "q", "sort", "limit", "cursor")
	f := incident.Filter{
		Category:      q.str("category", domainerr.MaxShort),
		Major:         q.boolean("major"),
		CreatedAfter:  q.time("created_after"),
		CreatedBefore: q.time("created_before"),
		Limit:         q.limit(),
		Cursor:        q.str("cursor", 300),
	}.With(ticketQuery(q, incident.ListFields))
	listPageAs(a, w, r, q, f, a.Incidents.List, a.listWithSLA)
}

// listBody is the shape of every list: items and the cursor of the next
// page, null on the last one.
func listBody[T any](items []T, next string) map[string]any {
	var cur any
	if next != "" {
		cur = next
	}
	return map[string]any{"items": items, "next_cursor": cur}
}

func (a *API) incidentRef(r *http.Request) (int64, error) {
	id, ok := incident.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// writeIncident answers with an incident, its clocks and its ETag.
func (a *API) writeIncident(w http.ResponseWriter, r *http.Request, status int, inc incident.Incident) {
	out, err := a.withSLA(r, inc)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(inc.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/incidents/"+inc.Number)
	}
	writeJSON(w, status, out)
}

// answer is one of the requester's answers to the desk.
type answer func(ctx context.Context, p *auth.Principal, id int64, reason string, ifVersion int) (incident.Incident, error)

// answerIncident serves the requester's answers (confirm, reopen,
// withdraw), which they may give on the incidents they see; the body, with
// its reason, is optional.
func (a *API) answerIncident(pick func(*incident.Service) answer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := a.incidentRef(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		var in reasonInput
		if err := optionalBody(w, r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
		inc, err := pick(a.Incidents)(r.Context(), httpx.Principal(r), id, in.Reason, ifMatch(r))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		a.writeIncident(w, r, http.StatusOK, inc)
	}
}

type commentInput struct {
	Body string `json:"body"`
	Kind string `json:"kind"` // comment (default, visible to the requester) or work_note
}

func (a *API) commentIncident(w http.ResponseWriter, r *http.Request) {
	id, err := a.incidentRef(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in commentInput
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Kind == "" {
		in.Kind = "comment"
	}
	if in.Kind != "comment" && in.Kind != "work_note" {
		a.fail(w, r, domainerr.Field("kind", "must be comment or work_note"))
		return
	}
	createOnce(a, w, r, in, func(keep func(context.Context, *store.Tx, incident.Entry) error) (incident.Entry, error) {
		return a.Incidents.AddComment(r.Context(), httpx.Principal(r), id, in.Body, in.Kind == "comment", keep)
	}, func(e incident.Entry) { writeJSON(w, http.StatusCreated, e) })
}

func (a *API) getMatrix(w http.ResponseWriter, r *http.Request) {
	m, err := a.Incidents.Matrix(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (a *API) putMatrix(w http.ResponseWriter, r *http.Request) {
	var raw map[incident.Level]map[incident.Level]string
	if err := decode(w, r, &raw); err != nil {
		a.fail(w, r, err)
		return
	}
	m, err := incident.ParseMatrix(raw)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Incidents.SetMatrix(r.Context(), httpx.Principal(r), m); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
