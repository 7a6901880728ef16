package api

import (
	"context"
	"net/http"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/ticket"
)

// IncidentWithSLA is an incident as the API shows it: the record and its
// SLA timers, every cycle, evaluated as of the answer.
type IncidentWithSLA struct {
	incident.Incident
	SLA []sla.Timer `json:"sla"`
}

// RequestWithSLA is a service request as the API shows it: the record and
// its SLA timers, every cycle, evaluated as of the answer.
type RequestWithSLA struct {
	request.Request
	SLA []sla.Timer `json:"sla"`
}

// timers reads the timers of tickets for the caller, keyed by ticket id.
// Timers (OLAs and contracts among them) are for staff who read service
// levels; everyone else gets none. q is the database, or the transaction
// that just wrote the ticket.
func (a *API) timers(ctx context.Context, q store.Querier, sees bool, kind ticket.Kind, ids ...int64) (map[int64][]sla.Timer, error) {
	if !sees || len(ids) == 0 {
		return map[int64][]sla.Timer{}, nil
	}
	if len(ids) == 1 {
		ts, err := a.SLA.TimersIn(ctx, q, kind, ids[0])
		return map[int64][]sla.Timer{ids[0]: ts}, err
	}
	return a.SLA.TimersFor(ctx, kind, ids)
}

func seesTimers(r *http.Request) bool { return httpx.Principal(r).Can(auth.SLARead) }

// orNone makes a missing list an empty one, so the field is always a list.
func orNone(ts []sla.Timer) []sla.Timer {
	if ts == nil {
		return []sla.Timer{}
	}
	return ts
}

func (a *API) withSLA(r *http.Request, inc incident.Incident) (IncidentWithSLA, error) {
	m, err := a.timers(r.Context(), a.DB, seesTimers(r), ticket.Incident, inc.ID)
	return IncidentWithSLA{inc, orNone(m[inc.ID])}, err
}

func (a *API) listWithSLA(r *http.Request, items []incident.Incident) ([]IncidentWithSLA, error) {
	ids := make([]int64, len(items))
	for i, x := range items {
		ids[i] = x.ID
	}
	m, err := a.timers(r.Context(), a.DB, seesTimers(r), ticket.Incident, ids...)
	out := make([]IncidentWithSLA, len(items))
	for i, x := range items {
		out[i] = IncidentWithSLA{x, orNone(m[x.ID])}
	}
	return out, err
}

// incidentHook builds the answer to a create inside the creating
// transaction, from the row just written and the timers just started, into
// out, and stores it for Idempotency-Key replay when the client sent a key.
func (a *API) incidentHook(r *http.Request, id *idem, out *IncidentWithSLA) incident.InTxHook {
	save := storeHook[IncidentWithSLA](id, http.StatusCreated)
	sees := seesTimers(r)
	return func(ctx context.Context, tx *store.Tx, inc incident.Incident) error {
		var ts []sla.Timer
		if sees {
			var err error
			if ts, err = a.SLA.AnswerTimers(ctx, tx, ticket.Incident, inc.ID); err != nil {
				return err
			}
		}
		*out = IncidentWithSLA{inc, orNone(ts)}
		if save == nil {
			return nil
		}
		return save(ctx, tx, *out)
	}
}

// requestOut writes a request with its timers.
func (a *API) requestOut(w http.ResponseWriter, r *http.Request, status int, req request.Request) {
	m, err := a.timers(r.Context(), a.DB, seesTimers(r), ticket.Request, req.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, status, RequestWithSLA{req, orNone(m[req.ID])})
}

func (a *API) requestsWithSLA(r *http.Request, items []request.Request) ([]RequestWithSLA, error) {
	ids := make([]int64, len(items))
	for i, x := range items {
		ids[i] = x.ID
	}
	m, err := a.timers(r.Context(), a.DB, seesTimers(r), ticket.Request, ids...)
	out := make([]RequestWithSLA, len(items))
	for i, x := range items {
		out[i] = RequestWithSLA{x, orNone(m[x.ID])}
	}
	return out, err
}

// requestHook builds the answer to a submission inside the submitting
// transaction, timers included, into out, and stores it for
// Idempotency-Key replay when the client sent a key.
func (a *API) requestHook(r *http.Request, id *idem, out *RequestWithSLA) func(ctx context.Context, tx *store.Tx, req request.Request) error {
	save := storeHook[RequestWithSLA](id, http.StatusCreated)
	sees := seesTimers(r)
	return func(ctx context.Context, tx *store.Tx, req request.Request) error {
		var ts []sla.Timer
		if sees {
			var err error
			if ts, err = a.SLA.AnswerTimers(ctx, tx, ticket.Request, req.ID); err != nil {
				return err
			}
		}
		*out = RequestWithSLA{req, orNone(ts)}
		if save == nil {
			return nil
		}
		return save(ctx, tx, *out)
	}
}
