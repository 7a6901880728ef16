package api

import (
	"net/http"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/jobs"
)

func (a *API) registerJobs(rt *httpx.Router) {
	rt.Handle("GET /api/v1/jobs/failed", auth.JobAdmin, a.listFailedJobs)
	rt.Handle("POST /api/v1/jobs/{id}/retry", auth.JobAdmin, a.retryJob)
	rt.Handle("DELETE /api/v1/jobs/{id}", auth.JobAdmin, a.discardJob)
}

// failedJob is a parked job as the API shows it.
type failedJob struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Payload   any       `json:"payload"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	CreatedAt time.Time `json:"created_at"`
	FailedAt  time.Time `json:"failed_at"`
}

func (a *API) listFailedJobs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit", "cursor")
	limit := q.limit()
	var after int64
	if c := q.str("cursor", 20); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 0 {
			q.fields["cursor"] = "is not a cursor from a previous page of this list"
		}
		after = n
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if limit <= 0 {
		limit = 50
	}
	list, err := jobs.ListFailed(r.Context(), a.DB, limit+1, after)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = strconv.FormatInt(list[limit-1].ID, 10)
	}
	out := make([]failedJob, len(list))
	for i, f := range list {
		out[i] = failedJob{ID: f.ID, Kind: f.Kind, Payload: f.Payload, Attempts: f.Attempts, LastError: f.LastError,
			CreatedAt: f.CreatedAt, FailedAt: f.FailedAt}
	}
	writeJSON(w, http.StatusOK, listBody(out, next))
}

func (a *API) retryJob(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = jobs.Retry(r.Context(), a.DB, httpx.Principal(r).Actor(), id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) discardJob(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = jobs.Discard(r.Context(), a.DB, httpx.Principal(r).Actor(), id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
