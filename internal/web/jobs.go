package web

import (
	"context"
	"net/http"
	"strconv"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/jobs"
	"steward/internal/store"
)

func (wb *Web) registerJobs(rt *httpx.Router) {
	rt.Handle("GET /admin/jobs", auth.JobAdmin, wb.failedJobs)
	wb.post(rt, "POST /admin/jobs/{id}/retry", auth.JobAdmin, wb.jobAction(jobs.Retry, "job-retried"))
	wb.post(rt, "POST /admin/jobs/{id}/discard", auth.JobAdmin, wb.jobAction(jobs.Discard, "job-discarded"))
}

type failedJobsView struct {
	Jobs    []jobs.Failed
	NextURL string
	CSRF    string
}

func (wb *Web) failedJobs(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	const pageSize = 50
	list, err := jobs.ListFailed(r.Context(), wb.DB, pageSize+1, max(after, 0))
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := failedJobsView{Jobs: list, CSRF: httpx.Principal(r).CSRFToken}
	if len(list) > pageSize {
		v.Jobs = list[:pageSize]
		v.NextURL = "/admin/jobs?after=" + strconv.FormatInt(v.Jobs[pageSize-1].ID, 10)
	}
	wb.render(w, r, http.StatusOK, "jobs", page{Title: "Failed jobs", Active: "jobs", Data: v})
}

func (wb *Web) jobAction(act func(context.Context, *store.DB, audit.Actor, int64) error, flash string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		if err := act(r.Context(), wb.DB, httpx.Principal(r).Actor(), id); err != nil {
			wb.fail(w, r, err)
			return
		}
		wb.redirect(w, r, "/admin/jobs", flash)
	}
}
