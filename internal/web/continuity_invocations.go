package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/continuity"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

// invocationView is an invocation's page, or the form recording one
// (I.ID 0). Start and End are the datetime-local fields in the viewer's
// zone.
type invocationView struct {
	I          continuity.Invocation
	Start, End string
	Plans      []option
	CanWrite   bool
	F          *fieldErrors
	Error      string
}

// PlanCur is the plan used as the form's choice.
func (v invocationView) PlanCur() string {
	if v.I.PlanID == 0 {
		return ""
	}
	return strconv.FormatInt(v.I.PlanID, 10)
}

func (h continuityPages) newInvocation(w http.ResponseWriter, r *http.Request) {
	var v continuity.Invocation
	if id, ok := formID(r, "plan_id"); ok && id != nil {
		v.PlanID = *id
	}
	h.showInvocation(w, r, http.StatusOK, v, nil, "")
}

func (h continuityPages) showInvocation(w http.ResponseWriter, r *http.Request, status int, inv continuity.Invocation, fe *fieldErrors, msg string) {
	p := httpx.Principal(r)
	loc := h.wb.clockOf(r).loc
	v := invocationView{I: inv, CanWrite: p.Can(continuity.PermWrite), F: fe, Error: msg, End: localInput(inv.EndedAt, loc)}
	if !inv.StartedAt.IsZero() {
		v.Start = localInput(&inv.StartedAt, loc)
	}
	if v.CanWrite && inv.ID == 0 {
		plans, err := h.svc.Plans(r.Context(), p, continuity.PlanFilter{Limit: continuity.MaxLimit})
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		for _, pl := range plans {
			if pl.State != continuity.Retired {
				v.Plans = append(v.Plans, option{ID: pl.ID, Name: pl.Title})
			}
		}
	}
	name, title := "continuity_invocation", h.wb.clockOf(r).text().T("web.continuity_invocations.title", "Plan", inv.PlanTitle)
	if inv.ID == 0 {
		name, title = "continuity_invocation_new", "Record an invocation"
	}
	h.wb.render(w, r, status, name, page{Title: title, Active: "continuity-plans", Data: v})
}

func (h continuityPages) invocation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	v, err := h.svc.Invocation(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showInvocation(w, r, http.StatusOK, v, nil, "")
}

func (h continuityPages) invocationFailed(w http.ResponseWriter, r *http.Request, id int64, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	stale := errors.Is(err, domainerr.ErrStale)
	if !errors.As(err, &inv) && !errors.As(err, &conflict) && !stale {
		h.wb.fail(w, r, err)
		return
	}
	var v continuity.Invocation
	if id != 0 {
		var gerr error
		if v, gerr = h.svc.Invocation(r.Context(), httpx.Principal(r), id); gerr != nil {
			h.wb.fail(w, r, gerr)
			return
		}
	}
	switch {
	case inv != nil:
		h.showInvocation(w, r, http.StatusUnprocessableEntity, v, &fieldErrors{Form: "inv", Errs: inv.Fields, Values: r.PostForm}, "")
	case conflict != nil:
		h.showInvocation(w, r, http.StatusConflict, v, nil, conflict.Message)
	default:
		h.showInvocation(w, r, http.StatusConflict, v, nil, h.wb.stale(r))
	}
}

// formInvocation reads the invocation form; times are in the viewer's zone.
func (h continuityPages) formInvocation(r *http.Request, bad *domainerr.Invalid) continuity.InvocationInput {
	c := h.wb.clockOf(r)
	loc, tx := c.loc, c.text()
	txt := func(name string) *string { s := formText(r, name); return &s }
	in := continuity.InvocationInput{Summary: txt("summary"), DataLoss: txt("data_loss"), Review: txt("review")}
	in.StartedAt = formLocalTimeIn(tx, r, "started_at", loc, bad)
	in.EndedAt = formLocalTimeIn(tx, r, "ended_at", loc, bad)
	if in.StartedAt == nil && !bad.Has("started_at") {
		bad.Add("started_at", "is required")
	}
	return in
}

func (h continuityPages) createInvocation(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	in := h.formInvocation(r, bad)
	id, ok := formID(r, "plan_id")
	if !ok || id == nil {
		bad.Add("plan_id", "choose the plan that was used")
	}
	in.PlanID = id
	if err := bad.Err(); err != nil {
		h.invocationFailed(w, r, 0, err)
		return
	}
	v, err := h.svc.RecordInvocation(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.invocationFailed(w, r, 0, err)
		return
	}
	h.wb.redirect(w, r, "/continuity-invocations/"+strconv.FormatInt(v.ID, 10), "continuity-invocation-recorded")
}

func (h continuityPages) saveInvocation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	bad := domainerr.NewInvalid()
	in := h.formInvocation(r, bad)
	if err := bad.Err(); err != nil {
		h.invocationFailed(w, r, id, err)
		return
	}
	ver, _ := formVersion(r)
	if _, err := h.svc.UpdateInvocation(r.Context(), httpx.Principal(r), id, in, ver); err != nil {
		h.invocationFailed(w, r, id, err)
		return
	}
	h.wb.redirect(w, r, "/continuity-invocations/"+strconv.FormatInt(id, 10), "continuity-saved")
}
