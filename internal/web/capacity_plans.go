package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/capacity"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/store"
)

func (h capacityPages) registerPlans(rt *httpx.Router) {
	rt.Handle("GET /capacity/plans", capacity.PermRead, h.plans)
	rt.Handle("GET /capacity/plans/new", capacity.PermWrite, h.newPlan)
	h.wb.post(rt, "POST /capacity/plans", capacity.PermWrite, h.createPlan)
	rt.Handle("GET /capacity/plans/{id}", capacity.PermRead, h.plan)
	h.wb.post(rt, "POST /capacity/plans/{id}", capacity.PermWrite, h.updatePlan)
	h.wb.post(rt, "POST /capacity/plans/{id}/delete", capacity.PermWrite, h.deletePlan)
}

type capPlansView struct {
	Items    []capacity.Plan
	Without  []option // live services without a plan
	CanWrite bool
}

func (h capacityPages) plans(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	items, err := h.svc.Plans(r.Context(), p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := capPlansView{Items: items, CanWrite: p.Can(capacity.PermWrite)}
	svcs, err := h.serviceOptions(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	has := map[int64]bool{}
	for _, pl := range items {
		has[pl.ServiceID] = true
	}
	for _, s := range svcs {
		if !has[s.ID] {
			v.Without = append(v.Without, s)
		}
	}
	h.wb.render(w, r, http.StatusOK, "capacity_plans", page{Title: "Capacity plans", Active: "capacity-plans", Data: v})
}

type capPlanView struct {
	Plan     *capacity.Plan
	Services []option
	Series   []capacity.Series
	Agents   []option
	Standing map[int64]capacity.Standing
	CanWrite bool
	F        *fieldErrors
	// Watched are the series ids ticked on the form.
	Watched map[int64]bool
}

// Reviewed and NextReview are the plan's review dates for the form.
func (v capPlanView) Reviewed() string {
	if v.Plan == nil || v.Plan.ReviewedOn == nil {
		return ""
	}
	return *v.Plan.ReviewedOn
}

func (v capPlanView) NextReview() string {
	if v.Plan == nil || v.Plan.NextReviewOn == nil {
		return ""
	}
	return *v.Plan.NextReviewOn
}

func (h capacityPages) newPlan(w http.ResponseWriter, r *http.Request) {
	h.showPlan(w, r, http.StatusOK, nil, nil)
}

func (h capacityPages) plan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	pl, err := h.svc.GetPlan(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showPlan(w, r, http.StatusOK, &pl, nil)
}

func (h capacityPages) showPlan(w http.ResponseWriter, r *http.Request, status int, pl *capacity.Plan, fe *fieldErrors) {
	p := httpx.Principal(r)
	v := capPlanView{Plan: pl, CanWrite: p.Can(capacity.PermWrite), F: fe, Watched: map[int64]bool{}, Standing: map[int64]capacity.Standing{}}
	var err error
	if v.Services, err = h.serviceOptions(r); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Series, err = h.svc.List(r.Context(), p, capacity.Filter{Limit: capacity.MaxLimit}); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if pl != nil {
		for _, id := range pl.SeriesIDs {
			v.Watched[id] = true
		}
		rows, err := h.svc.Standings(r.Context(), p, pl.Series)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		for _, s := range rows {
			v.Standing[s.Series.ID] = s
		}
	}
	if fe != nil {
		v.Watched = map[int64]bool{}
		ids, _ := formIDs(r, "series_ids")
		for _, id := range ids {
			v.Watched[id] = true
		}
	}
	if v.CanWrite {
		opts, err := h.wb.formOptions(r, false)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
	}
	title := "New capacity plan"
	if pl != nil {
		title = pl.Title
	}
	h.wb.render(w, r, status, "capacity_plan", page{Title: title, Active: "capacity-plans", Data: v})
}

// planForm reads the plan form.
func planForm(wb *Web, r *http.Request, form *domainerr.Invalid) capacity.PlanIn {
	in := capacity.PlanIn{Title: planText(r, "title"), Body: planText(r, "body"), Demand: planText(r, "demand"),
		ReviewedOn: planText(r, "reviewed_on"), NextReviewOn: planText(r, "next_review_on")}
	if id := wb.personID(r, form, "owner_id", agentPerson); !form.Has("owner_id") {
		zero := int64(0)
		in.OwnerID = &zero
		if id != nil {
			in.OwnerID = id
		}
	}
	ids, ok := formIDs(r, "series_ids")
	if !ok {
		form.Add("series_ids", "choose series from the list")
	}
	in.SeriesIDs = &ids
	return in
}

func (h capacityPages) createPlan(w http.ResponseWriter, r *http.Request) {
	form := domainerr.NewInvalid()
	in := planForm(h.wb, r, form)
	if id, ok := formID(r, "service_id"); !ok {
		form.Add("service_id", "choose the service from the list")
	} else {
		in.ServiceID = id
	}
	var err error
	if len(form.Fields) == 0 {
		var pl capacity.Plan
		if pl, err = h.svc.CreatePlan(r.Context(), httpx.Principal(r), in); err == nil {
			h.wb.redirect(w, r, "/capacity/plans/"+strconv.FormatInt(pl.ID, 10), "capacity_plan_saved")
			return
		}
	}
	bad, err := planMerged(form, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showPlan(w, r, http.StatusUnprocessableEntity, nil, &fieldErrors{Form: "plan", Errs: bad.Fields, Values: r.PostForm})
}

func (h capacityPages) updatePlan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	form := domainerr.NewInvalid()
	in := planForm(h.wb, r, form)
	version, _ := formVersion(r)
	var err error
	if len(form.Fields) == 0 {
		if _, err = h.svc.UpdatePlan(r.Context(), httpx.Principal(r), id, in, version); err == nil {
			h.wb.redirect(w, r, "/capacity/plans/"+strconv.FormatInt(id, 10), "capacity_plan_saved")
			return
		}
	}
	if errors.Is(err, domainerr.ErrStale) || errors.Is(err, store.ErrNotFound) {
		h.wb.fail(w, r, err)
		return
	}
	bad, err := planMerged(form, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	pl, err := h.svc.GetPlan(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showPlan(w, r, http.StatusUnprocessableEntity, &pl, &fieldErrors{Form: "plan", Errs: bad.Fields, Values: r.PostForm})
}

func (h capacityPages) deletePlan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.DeletePlan(r.Context(), httpx.Principal(r), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/capacity/plans", "capacity_plan_deleted")
}
