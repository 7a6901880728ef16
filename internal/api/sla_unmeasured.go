package api

import (
	"net/http"

	"steward/internal/httpx"
	"steward/internal/sla"
	"steward/internal/ticket"
)

// defaultAgreement is the body of the default-agreement setting.
type defaultAgreement struct {
	AgreementID *int64 `json:"agreement_id"`
}

func (a *API) getDefaultAgreement(w http.ResponseWriter, r *http.Request) {
	id, err := sla.DefaultAgreement(r.Context(), a.DB)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, defaultAgreementOf(id))
}

func (a *API) putDefaultAgreement(w http.ResponseWriter, r *http.Request) {
	var in defaultAgreement
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	var id int64
	if in.AgreementID != nil {
		id = *in.AgreementID
	}
	if err := a.SLA.SetDefaultAgreement(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, defaultAgreementOf(id))
}

func defaultAgreementOf(id int64) defaultAgreement {
	if id == 0 {
		return defaultAgreement{}
	}
	return defaultAgreement{AgreementID: &id}
}

func (a *API) listUnmeasured(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "ticket_kind", "limit")
	kind := ticketKindParam(q, "ticket_kind")
	limit := q.limit()
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if kind == "" {
		kind = ticket.Incident
	}
	items, err := a.SLA.Unmeasured(r.Context(), kind, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}
