package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/calendar"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sla"
	"steward/internal/ticket"
)

// SLARoutes are service level management's API routes: calendars, agreements, clocks and the report.
var SLARoutes Routes = (*API).registerSLA

// registerSLA adds business calendars, agreements and SLA definitions.
func (a *API) registerSLA(rt *httpx.Router) {
	rt.Handle("GET /api/v1/calendars", auth.SLARead, a.listCalendars)
	rt.Handle("POST /api/v1/calendars", auth.SLAWrite, a.createCalendar)
	rt.Handle("GET /api/v1/calendars/{id}", auth.SLARead, a.withSLAID(a.getCalendar))
	rt.Handle("PUT /api/v1/calendars/{id}", auth.SLAWrite, a.withSLAID(a.putCalendar))
	rt.Handle("DELETE /api/v1/calendars/{id}", auth.SLAWrite, a.withSLAID(a.deleteCalendar))
	rt.Handle("POST /api/v1/calendars/{id}/holidays/import", auth.SLAWrite, a.withSLAID(a.importHolidays))
	rt.Handle("GET /api/v1/calendars/{id}/due", auth.SLARead, a.withSLAID(a.calendarDue))
	rt.Handle("GET /api/v1/calendars/{id}/elapsed", auth.SLARead, a.withSLAID(a.calendarElapsed))

	rt.Handle("GET /api/v1/agreements", auth.SLARead, a.listAgreements)
	rt.Handle("POST /api/v1/agreements", auth.SLAWrite, a.createAgreement)
	rt.Handle("GET /api/v1/agreements/{id}", auth.SLARead, a.withSLAID(a.getAgreement))
	rt.Handle("PATCH /api/v1/agreements/{id}", auth.SLAWrite, a.withSLAID(a.patchAgreement))
	rt.Handle("DELETE /api/v1/agreements/{id}", auth.SLAWrite, a.withSLAID(a.deleteAgreement))

	rt.Handle("GET /api/v1/sla-definitions", auth.SLARead, a.listDefinitions)
	rt.Handle("POST /api/v1/sla-definitions", auth.SLAWrite, a.createDefinition)
	rt.Handle("GET /api/v1/sla-definitions/{id}", auth.SLARead, a.withSLAID(a.getDefinition))
	rt.Handle("PUT /api/v1/sla-definitions/{id}", auth.SLAWrite, a.withSLAID(a.putDefinition))
	rt.Handle("DELETE /api/v1/sla-definitions/{id}", auth.SLAWrite, a.withSLAID(a.deleteDefinition))

	rt.Handle("GET /api/v1/sla/default-agreement", auth.SLARead, a.getDefaultAgreement)
	rt.Handle("PUT /api/v1/sla/default-agreement", auth.SLAWrite, a.putDefaultAgreement)
	rt.Handle("GET /api/v1/sla/unmeasured", auth.SLARead, a.listUnmeasured)

	a.registerSLAReports(rt)
}

// slaRecomputedHeader tells the client how many open timers a change recomputed.
const slaRecomputedHeader = "X-Timers-Recomputed"

// slaCursor reads an opaque list cursor into v, or records a message.
func (q *query) slaCursor(v any) {
	c := q.str("cursor", 600)
	if c == "" {
		return
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || json.Unmarshal(b, v) != nil {
		q.fields["cursor"] = "is not a cursor from a previous page of this list"
	}
}

func encodeSLACursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// withSLAID runs h with the {id} path value, answering 400 for a bad one.
func (a *API) withSLAID(h func(w http.ResponseWriter, r *http.Request, id int64)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			a.fail(w, r, err)
			return
		}
		h(w, r, id)
	}
}

// --- calendars

func (a *API) listCalendars(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit", "cursor")
	limit := q.limit()
	var after nameCursor
	q.slaCursor(&after)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	cals, err := sla.ListCalendars(r.Context(), a.DB, after.Name, after.ID, limit+1)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next := ""
	if len(cals) > limit {
		cals = cals[:limit]
		next = encodeSLACursor(nameCursor{Name: cals[limit-1].Name, ID: cals[limit-1].ID})
	}
	writeJSON(w, http.StatusOK, listBody(cals, next))
}

func (a *API) createCalendar(w http.ResponseWriter, r *http.Request) {
	var in calendar.Spec
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	c, err := a.SLA.CreateCalendar(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/calendars/"+strconv.FormatInt(c.ID, 10))
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusCreated, c)
}

func (a *API) getCalendar(w http.ResponseWriter, r *http.Request, id int64) {
	c, err := sla.GetCalendar(r.Context(), a.DB, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

func (a *API) putCalendar(w http.ResponseWriter, r *http.Request, id int64) {
	var in calendar.Spec
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	c, n, err := a.SLA.UpdateCalendar(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set(slaRecomputedHeader, strconv.Itoa(n))
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

func (a *API) deleteCalendar(w http.ResponseWriter, r *http.Request, id int64) {
	if err := a.SLA.DeleteCalendar(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// importHolidays takes an iCalendar file as the body (text/calendar).
func (a *API) importHolidays(w http.ResponseWriter, r *http.Request, id int64) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/calendar" {
			a.fail(w, r, &malformed{msg: "Content-Type must be text/calendar (an iCalendar file)"})
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, calendar.MaxICSBytes))
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		a.fail(w, r, &tooLarge{limit: calendar.MaxICSBytes})
		return
	} else if err != nil {
		a.fail(w, r, &malformed{msg: "the body could not be read"})
		return
	}
	res, err := a.SLA.ImportHolidays(r.Context(), httpx.Principal(r).Actor(), id, bytes.NewReader(body), ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set(slaRecomputedHeader, strconv.Itoa(res.Recomputed))
	w.Header().Set("ETag", etag(res.Calendar.Version))
	writeJSON(w, http.StatusOK, res)
}

type slaDueAnswer struct {
	DueAt      string `json:"due_at"`
	DueAtLocal string `json:"due_at_local"`
}

// calendarDue answers when an amount of business time started at from
// will have passed: a duration ("4h") or business days ("3bd").
func (a *API) calendarDue(w http.ResponseWriter, r *http.Request, id int64) {
	q := newQuery(r, "from", "duration")
	from := requiredTime(q, "from", q.time("from"))
	var d time.Duration
	var days int
	if s := q.str("duration", 40); s == "" {
		q.fields["duration"] = "is required: a duration such as 4h or 90m, or business days such as 3bd"
	} else if dd, nd, err := sla.ParseTarget(s); err != nil {
		q.fields["duration"] = err.Error()
	} else {
		d, days = dd, nd
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	cal, err := a.SLA.Calendar(r.Context(), a.DB, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var due time.Time
	if days > 0 {
		due, err = cal.AddBusinessDays(from, days)
	} else {
		due, err = cal.Due(from, d)
	}
	if errors.Is(err, calendar.ErrNoWorkingTime) {
		a.fail(w, r, domainerr.Field("duration", "%s", err))
		return
	} else if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, slaDueAnswer{DueAt: due.UTC().Format(time.RFC3339Nano), DueAtLocal: due.In(cal.Location()).Format(time.RFC3339Nano)})
}

type slaElapsedAnswer struct {
	BusinessSeconds int64 `json:"business_seconds"`
}

// calendarElapsed answers how much business time lies between two instants.
func (a *API) calendarElapsed(w http.ResponseWriter, r *http.Request, id int64) {
	q := newQuery(r, "from", "to")
	from := requiredTime(q, "from", q.time("from"))
	to := requiredTime(q, "to", q.time("to"))
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		q.fields["to"] = "must not be before from"
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	cal, err := a.SLA.Calendar(r.Context(), a.DB, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, slaElapsedAnswer{BusinessSeconds: int64(cal.Elapsed(from, to) / time.Second)})
}

// requiredTime records a message when a time parameter is missing.
func requiredTime(q *query, name string, t time.Time) time.Time {
	if t.IsZero() && q.fields[name] == "" {
		q.fields[name] = "is required: an RFC 3339 time such as 2026-01-31T09:00:00Z"
	}
	return t
}

// --- agreements

func (a *API) listAgreements(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "kind", "limit", "cursor")
	f := sla.AgreementFilter{Kind: sla.AgreementKind(q.str("kind", 10)), Limit: q.limit() + 1}
	switch f.Kind {
	case "", sla.SLA, sla.OLA, sla.UC:
	default:
		q.fields["kind"] = "must be sla, ola or uc"
	}
	var after nameCursor
	q.slaCursor(&after)
	f.AfterName, f.AfterID = after.Name, after.ID
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	list, err := sla.ListAgreements(r.Context(), a.DB, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next, limit := "", f.Limit-1
	if len(list) > limit {
		list = list[:limit]
		next = encodeSLACursor(nameCursor{Name: list[limit-1].Name, ID: list[limit-1].ID})
	}
	writeJSON(w, http.StatusOK, listBody(list, next))
}

func (a *API) createAgreement(w http.ResponseWriter, r *http.Request) {
	var in sla.NewAgreement
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	ag, err := a.SLA.CreateAgreement(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/agreements/"+strconv.FormatInt(ag.ID, 10))
	w.Header().Set("ETag", etag(ag.Version))
	writeJSON(w, http.StatusCreated, ag)
}

func (a *API) getAgreement(w http.ResponseWriter, r *http.Request, id int64) {
	ag, err := sla.GetAgreement(r.Context(), a.DB, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(ag.Version))
	writeJSON(w, http.StatusOK, ag)
}

func (a *API) patchAgreement(w http.ResponseWriter, r *http.Request, id int64) {
	var pt sla.AgreementPatch
	if err := decode(w, r, &pt); err != nil {
		a.fail(w, r, err)
		return
	}
	ag, n, err := a.SLA.UpdateAgreement(r.Context(), httpx.Principal(r).Actor(), id, pt, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set(slaRecomputedHeader, strconv.Itoa(n))
	w.Header().Set("ETag", etag(ag.Version))
	writeJSON(w, http.StatusOK, ag)
}

func (a *API) deleteAgreement(w http.ResponseWriter, r *http.Request, id int64) {
	if err := a.SLA.DeleteAgreement(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- definitions

type slaIDCursor struct {
	ID int64 `json:"i"`
}

func (a *API) listDefinitions(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "agreement_id", "applies_to", "limit", "cursor")
	f := sla.DefinitionFilter{AgreementID: q.int64("agreement_id"), AppliesTo: ticket.Kind(q.str("applies_to", 10)), Limit: q.limit() + 1}
	if f.AppliesTo != "" && f.AppliesTo != ticket.Incident && f.AppliesTo != ticket.Request {
		q.fields["applies_to"] = "must be incident or request"
	}
	var after slaIDCursor
	q.slaCursor(&after)
	f.AfterID = after.ID
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	list, err := sla.ListDefinitions(r.Context(), a.DB, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next, limit := "", f.Limit-1
	if len(list) > limit {
		list = list[:limit]
		next = encodeSLACursor(slaIDCursor{ID: list[limit-1].ID})
	}
	writeJSON(w, http.StatusOK, listBody(list, next))
}

func (a *API) createDefinition(w http.ResponseWriter, r *http.Request) {
	var in sla.DefinitionInput
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
	d, n, err := a.SLA.CreateDefinition(r.Context(), httpx.Principal(r).Actor(), in, storeHook[sla.Definition](idem, http.StatusCreated))
	if idem.raced(err) && idem.replay(w) {
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/sla-definitions/"+strconv.FormatInt(d.ID, 10))
	w.Header().Set("ETag", etag(d.Version))
	w.Header().Set(slaRecomputedHeader, strconv.Itoa(n))
	writeJSON(w, http.StatusCreated, d)
}

func (a *API) getDefinition(w http.ResponseWriter, r *http.Request, id int64) {
	d, err := sla.GetDefinition(r.Context(), a.DB, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, http.StatusOK, d)
}

func (a *API) putDefinition(w http.ResponseWriter, r *http.Request, id int64) {
	var in sla.DefinitionInput
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	d, n, err := a.SLA.UpdateDefinition(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Version))
	w.Header().Set(slaRecomputedHeader, strconv.Itoa(n))
	writeJSON(w, http.StatusOK, d)
}

func (a *API) deleteDefinition(w http.ResponseWriter, r *http.Request, id int64) {
	if err := a.SLA.DeleteDefinition(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
