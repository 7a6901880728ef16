package api

import (
	"net/http"
	"time"

	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/request"
	"steward/internal/satisfaction"
	"steward/internal/store"
	"steward/internal/ticket"
)

// satisfactionAPI serves the requester's answer to a survey and the
// satisfaction report.
type satisfactionAPI struct {
	*API
	svc *satisfaction.Service
}

// SatisfactionRoutes are satisfaction surveys' API routes over svc.
func SatisfactionRoutes(svc *satisfaction.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &satisfactionAPI{API: a, svc: svc}
		rt.Handle("POST /api/v1/incidents/{ref}/satisfaction", satisfaction.PermAnswer, h.rateIncident)
		rt.Handle("POST /api/v1/requests/{ref}/satisfaction", satisfaction.PermAnswer, h.rateRequest)
		rt.Handle("GET /api/v1/reports/satisfaction", satisfaction.PermRead, h.report)
	}
}

// ratingInput is a requester's answer.
type ratingInput struct {
	Rating  *int   `json:"rating"`
	Comment string `json:"comment"`
}

func (h *satisfactionAPI) rateIncident(w http.ResponseWriter, r *http.Request) {
	id, ok := incident.ParseRef(r.PathValue("ref"))
	h.rate(w, r, ticket.Incident, id, ok)
}

func (h *satisfactionAPI) rateRequest(w http.ResponseWriter, r *http.Request) {
	id, ok := request.ParseRef(r.PathValue("ref"))
	h.rate(w, r, ticket.Request, id, ok)
}

func (h *satisfactionAPI) rate(w http.ResponseWriter, r *http.Request, k ticket.Kind, id int64, ok bool) {
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	var in ratingInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rating := 0
	if in.Rating != nil {
		rating = *in.Rating
	}
	sv, err := h.svc.Answer(r.Context(), httpx.Principal(r), k, id, rating, in.Comment)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sv)
}

func (h *satisfactionAPI) report(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "from", "to", "service_id", "group_id", "agent_id", "customer_id")
	f := satisfaction.ReportFilter{From: q.time("from"), To: q.time("to"), ServiceID: q.int64("service_id"),
		GroupID: q.int64("group_id"), AgentID: q.int64("agent_id"), CustomerID: q.int64("customer_id")}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now().UTC()
	if f.To.IsZero() {
		f.To = now
	}
	if f.From.IsZero() {
		f.From = f.To.AddDate(0, 0, -90)
	}
	rep, err := h.svc.Report(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
