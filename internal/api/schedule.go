package api

import (
	"net/http"
	"strconv"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/schedule"
	"steward/internal/store"
)

// ScheduleRoutes are the change calendar's routes: freeze periods,
// maintenance windows of services and CIs, conflicts of a proposed window,
// the calendar itself and the caller's calendar feed token.
func ScheduleRoutes(svc *schedule.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := scheduleAPI{a: a, svc: svc}
		rt.Handle("GET /api/v1/freeze-periods", schedule.PermRead, h.listFreezes)
		rt.Handle("POST /api/v1/freeze-periods", schedule.PermWrite, h.createFreeze)
		rt.Handle("GET /api/v1/freeze-periods/{id}", schedule.PermRead, h.getFreeze)
		rt.Handle("PATCH /api/v1/freeze-periods/{id}", schedule.PermWrite, h.patchFreeze)
		rt.Handle("DELETE /api/v1/freeze-periods/{id}", schedule.PermWrite, h.deleteFreeze)
		rt.Handle("GET /api/v1/services/{id}/maintenance-calendar", schedule.PermRead, h.getMaintenance("services"))
		rt.Handle("PUT /api/v1/services/{id}/maintenance-calendar", schedule.PermWrite, h.putMaintenance("services"))
		rt.Handle("GET /api/v1/cis/{id}/maintenance-calendar", schedule.PermRead, h.getMaintenance("cis"))
		rt.Handle("PUT /api/v1/cis/{id}/maintenance-calendar", schedule.PermWrite, h.putMaintenance("cis"))
		rt.Handle("POST /api/v1/change-conflicts", schedule.PermRead, h.proposalConflicts)
		rt.Handle("GET /api/v1/change-calendar", schedule.PermRead, h.calendar)
		rt.Handle("GET /api/v1/calendar-feed-token", schedule.PermRead, h.getFeedToken)
		rt.Handle("POST /api/v1/calendar-feed-token", schedule.PermRead, h.createFeedToken)
		rt.Handle("DELETE /api/v1/calendar-feed-token", schedule.PermRead, h.revokeFeedToken)
	}
}

type scheduleAPI struct {
	a   *API
	svc *schedule.Service
}

func (h scheduleAPI) listFreezes(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "from", "to", "limit")
	from, to, limit := q.time("from"), q.time("to"), q.limit()
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		q.fields["to"] = "must be after from"
	}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := schedule.ListFreezes(r.Context(), h.a.DB, from, to, limit)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h scheduleAPI) createFreeze(w http.ResponseWriter, r *http.Request) {
	var in schedule.FreezeInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	f, err := h.svc.CreateFreeze(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/freeze-periods/"+strconv.FormatInt(f.ID, 10))
	w.Header().Set("ETag", etag(f.Version))
	writeJSON(w, http.StatusCreated, f)
}

func (h scheduleAPI) getFreeze(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	f, err := schedule.GetFreeze(r.Context(), h.a.DB, id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(f.Version))
	writeJSON(w, http.StatusOK, f)
}

func (h scheduleAPI) patchFreeze(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	var in schedule.FreezeInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	f, err := h.svc.UpdateFreeze(r.Context(), httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(f.Version))
	writeJSON(w, http.StatusOK, f)
}

func (h scheduleAPI) deleteFreeze(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if err := h.svc.DeleteFreeze(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maintenanceBody is a service's or CI's maintenance window.
type maintenanceBody struct {
	CalendarID   *int64 `json:"calendar_id"`
	CalendarName string `json:"calendar_name,omitempty"`
}

func (h scheduleAPI) getMaintenance(table string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			h.a.fail(w, r, err)
			return
		}
		cal, name, err := schedule.MaintenanceCalendar(r.Context(), h.a.DB, table, id)
		if err != nil {
			h.a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, maintenanceOut(cal, name))
	}
}

func maintenanceOut(cal int64, name string) maintenanceBody {
	if cal == 0 {
		return maintenanceBody{}
	}
	return maintenanceBody{CalendarID: &cal, CalendarName: name}
}

func (h scheduleAPI) putMaintenance(table string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			h.a.fail(w, r, err)
			return
		}
		var in struct {
			CalendarID *int64 `json:"calendar_id"`
		}
		if err := decode(w, r, &in); err != nil {
			h.a.fail(w, r, err)
			return
		}
		var cal int64
		if in.CalendarID != nil {
			if cal = *in.CalendarID; cal <= 0 {
				h.a.fail(w, r, domainerr.Field("calendar_id", "must be a calendar's id, or null for no maintenance window"))
				return
			}
		}
		actor := httpx.Principal(r).Actor()
		var m schedule.MaintenanceOwner
		if table == "cis" {
			m, err = h.svc.SetCIMaintenance(r.Context(), actor, id, cal)
		} else {
			m, err = h.svc.SetServiceMaintenance(r.Context(), actor, id, cal)
		}
		if err != nil {
			h.a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, maintenanceOut(m.CalendarID, m.CalendarName))
	}
}

// proposal is a window someone considers for a change.
type proposal struct {
	PlannedStart *time.Time `json:"planned_start"`
	PlannedEnd   *time.Time `json:"planned_end"`
	CIIDs        []int64    `json:"ci_ids"`
	ServiceIDs   []int64    `json:"service_ids"`
	AssigneeID   *int64     `json:"assignee_id"`
	ChangeID     *int64     `json:"change_id"`
}

func (h scheduleAPI) proposalConflicts(w http.ResponseWriter, r *http.Request) {
	var in proposal
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	win := schedule.Window{CIs: in.CIIDs, Services: in.ServiceIDs}
	if in.PlannedStart != nil {
		win.Start = *in.PlannedStart
	}
	if in.PlannedEnd != nil {
		win.End = *in.PlannedEnd
	}
	if in.AssigneeID != nil {
		win.AssigneeID = *in.AssigneeID
	}
	if in.ChangeID != nil {
		win.ChangeID = *in.ChangeID
	}
	list, err := h.svc.ProposalConflicts(r.Context(), win)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h scheduleAPI) calendar(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "from", "to", "service_id", "ci_id")
	cq := schedule.CalendarQuery{From: q.time("from"), To: q.time("to"), ServiceID: q.int64("service_id"), CIID: q.int64("ci_id")}
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	cal, err := h.svc.Calendar(r.Context(), h.a.DB, cq, schedule.MaxRange)
	if err != nil {
		h.a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, cal)
}

// feedTokenBody is the caller's feed token; Token and URL only when just
// created.
type feedTokenBody struct {
	schedule.FeedToken
	Token string `json:"token,omitempty"`
	URL   string `json:"url,omitempty"`
}

func (h scheduleAPI) getFeedToken(w http.ResponseWriter, r *http.Request) {
	t, err := schedule.ActiveFeedToken(r.Context(), h.a.DB, httpx.Principal(r).UserID)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, feedTokenBody{FeedToken: t})
}

func (h scheduleAPI) createFeedToken(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	secret, t, err := h.svc.CreateFeedToken(r.Context(), p.Actor(), p.UserID)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, feedTokenBody{FeedToken: t, Token: secret, URL: siteBase(r) + schedule.FeedPath(secret)})
}

func (h scheduleAPI) revokeFeedToken(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	n, err := h.svc.RevokeFeedTokens(r.Context(), p.Actor(), p.UserID)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	if n == 0 {
		h.a.fail(w, r, store.ErrNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// siteBase is the address the request came to, scheme and host.
func siteBase(r *http.Request) string {
	scheme := "http"
	if httpx.HTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
