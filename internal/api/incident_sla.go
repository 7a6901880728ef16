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

// seesTimers: timers (OLAs and contracts among them) are for staff who
// read service levels; everyone else gets an empty list.
func seesTimers(r *http.Request) bool { return httpx.Principal(r).Can(auth.SLARead) }

func (a *API) withSLA(r *http.Request, inc incident.Incident) (IncidentWithSLA, error) {
	if !seesTimers(r) {
		return IncidentWithSLA{inc, []sla.Timer{}}, nil
	}
	ts, err := a.SLA.Timers(r.Context(), ticket.Incident, inc.ID)
	if ts == nil {
		ts = []sla.Timer{}
	}
	return IncidentWithSLA{inc, ts}, err
}

func (a *API) listWithSLA(r *http.Request, items []incident.Incident) ([]IncidentWithSLA, error) {
	ids := make([]int64, len(items))
	for i, inc := range items {
		ids[i] = inc.ID
	}
	m := map[int64][]sla.Timer{}
	if seesTimers(r) {
		var err error
		if m, err = a.SLA.TimersFor(r.Context(), ticket.Incident, ids); err != nil {
			return nil, err
		}
	}
	out := make([]IncidentWithSLA, len(items))
	for i, inc := range items {
		ts := m[inc.ID]
		if ts == nil {
			ts = []sla.Timer{}
		}
		out[i] = IncidentWithSLA{inc, ts}
	}
	return out, nil
}

// incidentHook stores the answer to a create for Idempotency-Key replay,
// timers included, as read inside the creating transaction.
func (a *API) incidentHook(r *http.Request, id *idem) incident.InTxHook {
	save := storeHook[IncidentWithSLA](id, http.StatusCreated)
	if save == nil {
		return nil
	}
	sees := seesTimers(r)
	return func(ctx context.Context, tx *store.Tx, inc incident.Incident) error {
		var ts []sla.Timer
		var err error
		if sees {
			if ts, err = a.SLA.TimersIn(ctx, tx, ticket.Incident, inc.ID); err != nil {
				return err
			}
		}
		if ts == nil {
			ts = []sla.Timer{}
		}
		return save(ctx, tx, IncidentWithSLA{inc, ts})
	}
}

// RequestWithSLA is a service request as the API shows it: the record and
// its SLA timers, every cycle, evaluated as of the answer.
type RequestWithSLA struct {
	request.Request
	SLA []sla.Timer `json:"sla"`
}

// requestOut writes a request with its timers.
func (a *API) requestOut(w http.ResponseWriter, r *http.Request, status int, req request.Request) {
	var ts []sla.Timer
	if seesTimers(r) {
		var err error
		if ts, err = a.SLA.Timers(r.Context(), ticket.Request, req.ID); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	if ts == nil {
		ts = []sla.Timer{}
	}
	writeJSON(w, status, RequestWithSLA{req, ts})
}

func (a *API) requestsWithSLA(r *http.Request, items []request.Request) ([]RequestWithSLA, error) {
	ids := make([]int64, len(items))
	for i, x := range items {
		ids[i] = x.ID
	}
	m := map[int64][]sla.Timer{}
	if seesTimers(r) {
		var err error
		if m, err = a.SLA.TimersFor(r.Context(), ticket.Request, ids); err != nil {
			return nil, err
		}
	}
	out := make([]RequestWithSLA, len(items))
	for i, x := range items {
		ts := m[x.ID]
		if ts == nil {
			ts = []sla.Timer{}
		}
		out[i] = RequestWithSLA{x, ts}
	}
	return out, nil
}

// requestHook stores the answer to a submission for Idempotency-Key
// replay, timers included, as read inside the submitting transaction.
func (a *API) requestHook(r *http.Request, id *idem) func(ctx context.Context, tx *store.Tx, req request.Request) error {
	save := storeHook[RequestWithSLA](id, http.StatusCreated)
	if save == nil {
		return nil
	}
	sees := seesTimers(r)
	return func(ctx context.Context, tx *store.Tx, req request.Request) error {
		var ts []sla.Timer
		var err error
		if sees {
			if ts, err = a.SLA.TimersIn(ctx, tx, ticket.Request, req.ID); err != nil {
				return err
			}
		}
		if ts == nil {
			ts = []sla.Timer{}
		}
		return save(ctx, tx, RequestWithSLA{req, ts})
	}
}
