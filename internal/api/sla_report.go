package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"steward/internal/activity"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sla"
	"steward/internal/ticket"
)

// registerSLAReports adds the activity feed, the SLA report and the
// breaching-soon list.
func (a *API) registerSLAReports(rt *httpx.Router) {
	rt.Handle("GET /api/v1/activity", auth.ActivityRead, a.listActivity)
	rt.Handle("GET /api/v1/reports/sla", auth.ReportRead, a.slaReport)
	rt.Handle("GET /api/v1/sla/breaching", auth.SLARead, a.breachingSoon)
}

func (a *API) listActivity(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "after", "kind", "entity", "entity_id", "limit")
	f := activity.Filter{
		Kind:     q.str("kind", 100),
		Entity:   q.str("entity", 100),
		EntityID: q.int64("entity_id"),
		Limit:    q.limit(),
	}
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			q.fields["after"] = "must be the id of the last entry you read (a whole number)"
		}
		f.After = n
	}
	if f.EntityID != 0 && f.Entity == "" {
		q.fields["entity_id"] = "needs entity (incident or request)"
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	items, err := activity.List(r.Context(), a.DB, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var next *string
	if len(items) == f.Limit {
		s := strconv.FormatInt(items[len(items)-1].ID, 10)
		next = &s
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}

func ticketKindParam(q *query, name string) ticket.Kind {
	switch v := q.str(name, 20); v {
	case "":
		return ""
	case string(ticket.Incident), string(ticket.Request):
		return ticket.Kind(v)
	}
	q.fields[name] = "must be incident or request"
	return ""
}

func (a *API) slaReport(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "period", "tz", "agreement_id", "ticket_kind", "format")
	label := q.str("period", 20)
	zone := q.str("tz", 100)
	f := sla.ReportFilter{AgreementID: q.int64("agreement_id"), Kind: ticketKindParam(q, "ticket_kind")}
	format := q.str("format", 10)
	if format != "" && format != "json" && format != "csv" {
		q.fields["format"] = "must be json or csv"
	}
	if label == "" {
		q.fields["period"] = "is required: a month (2026-11) or a quarter (2026-Q4)"
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	p, err := sla.ParsePeriod(label, zone)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	f.Period = p
	rep, err := a.SLA.Report(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="sla-report-`+p.Label+`.csv"`)
		sla.WriteCSV(w, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (a *API) breachingSoon(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "within", "ticket_kind", "limit")
	within := 4 * time.Hour
	if v := q.str("within", 20); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 31*24*time.Hour {
			q.fields["within"] = "must be a duration such as 4h or 90m, at most 744h"
		}
		within = d
	}
	kind := ticketKindParam(q, "ticket_kind")
	limit := q.limit()
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	items, err := a.SLA.BreachingSoon(r.Context(), within, kind, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": nil})
}

// fieldsOf turns a validation error about query parameters into the
// per-parameter messages of a 400.
func fieldsOf(err error) map[string]string {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) && len(inv.Fields) > 0 {
		return inv.Fields
	}
	return map[string]string{"": err.Error()}
}
