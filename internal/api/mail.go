package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"steward/internal/httpx"
	"steward/internal/mail"
)

// MailRoutes are outgoing mail's API: the outbox, for administrators.
func MailRoutes(svc *mail.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := mailAPI{a: a, svc: svc}
		rt.Handle("GET /api/v1/mail/messages", mail.PermAdmin, h.list)
		rt.Handle("GET /api/v1/mail/messages/{id}", mail.PermAdmin, h.get)
		rt.Handle("POST /api/v1/mail/messages/{id}/retry", mail.PermAdmin, h.retry)
	}
}

type mailAPI struct {
	a   *API
	svc *mail.Service
}

// mailSummary is an outbox message in a list: everything but its parts.
type mailSummary struct {
	ID            int64      `json:"id"`
	State         string     `json:"state"`
	Kind          string     `json:"kind"`
	To            string     `json:"to"`
	ToName        string     `json:"to_name"`
	Subject       string     `json:"subject"`
	Ref           string     `json:"record_ref"`
	MessageID     string     `json:"message_id"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at"`
}

func (h mailAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "limit", "cursor")
	f := mail.Filter{State: q.str("state", 20), Before: q.int64("cursor"), Limit: q.limit()}
	if f.State != "" && !slices.Contains(mail.States, f.State) {
		q.fields["state"] = "must be one of queued, sending, sent, failed"
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, next, err := h.svc.List(r.Context(), f)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	out := make([]mailSummary, len(list))
	for i, m := range list {
		out[i] = mailSummary{ID: m.ID, State: m.State, Kind: m.Kind, To: m.To, ToName: m.ToName, Subject: m.Subject, Ref: m.Ref, MessageID: m.MessageID,
			Attempts: m.Attempts, LastError: m.LastError, NextAttemptAt: m.NextAttemptAt, CreatedAt: m.CreatedAt, SentAt: m.SentAt}
	}
	cursor := ""
	if next > 0 {
		cursor = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, listBody(out, cursor))
}

func (h mailAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var m mail.Message
	if err == nil {
		m, err = h.svc.Get(r.Context(), id)
	}
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (h mailAPI) retry(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var m mail.Message
	if err == nil {
		m, err = h.svc.Retry(r.Context(), httpx.Principal(r).Actor(), id)
	}
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
