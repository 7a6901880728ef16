package api

import (
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/mailin"
)

// MailInRoutes are incoming mail's API: the log of what came in, and
// the decisions on held messages.
func MailInRoutes(svc *mailin.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := mailInHandler{a: a, svc: svc}
		rt.Handle("GET /api/v1/mail-inbound/log", mailin.PermRead, h.list)
		rt.Handle("POST /api/v1/mail-inbound/log/{id}/accept", mailin.PermRead, h.accept)
		rt.Handle("POST /api/v1/mail-inbound/log/{id}/discard", mailin.PermRead, h.discard)
	}
}

type mailInHandler struct {
	a   *API
	svc *mailin.Service
}

// mailInEntry is a log entry with its reason in words.
type mailInEntry struct {
	mailin.Entry
	Words string `json:"words"`
}

var mailInOutcomes = map[string]bool{mailin.Opened: true, mailin.Commented: true, mailin.Held: true, mailin.Refused: true,
	mailin.Ignored: true, mailin.Deferred: true, mailin.Discarded: true}

func (h mailInHandler) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit", "cursor", "outcome")
	limit := q.limit()
	outcome := q.str("outcome", 20)
	if outcome != "" && !mailInOutcomes[outcome] {
		q.fields["outcome"] = "must be opened, commented, held, refused, ignored, deferred or discarded"
	}
	var before int64
	if c := q.str("cursor", 20); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			q.fields["cursor"] = "is not a cursor from a previous page of this list"
		}
		before = n
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	list, err := h.svc.Entries(r.Context(), httpx.Principal(r), mailin.LogFilter{Outcome: outcome, Before: before, Limit: limit + 1})
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = strconv.FormatInt(list[limit-1].ID, 10)
	}
	out := make([]mailInEntry, len(list))
	for i, e := range list {
		out[i] = mailInEntry{Entry: e, Words: e.Words()}
	}
	writeJSON(w, http.StatusOK, listBody(out, next))
}

// mailInAccept names the requester of an accepted message; empty makes
// an account for the sender.
type mailInAccept struct {
	Requester string `json:"requester"`
}

func (h mailInHandler) accept(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in mailInAccept
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			h.a.fail(w, r, err)
			return
		}
	}
	e, err := h.svc.Accept(r.Context(), httpx.Principal(r), id, in.Requester)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mailInEntry{Entry: e, Words: e.Words()})
}

func (h mailInHandler) discard(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = h.svc.Discard(r.Context(), httpx.Principal(r), id)
	}
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
