package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/servicereview"
	"steward/internal/sla"
)

func (h csatPages) registerReviews(rt *httpx.Router) {
	rt.Handle("GET /service-reviews", servicereview.PermRead, h.reviewList)
	rt.Handle("GET /service-reviews/new", servicereview.PermWrite, h.newReview)
	h.wb.post(rt, "POST /service-reviews", servicereview.PermWrite, h.createReview)
	rt.Handle("GET /service-reviews/{id}", servicereview.PermRead, h.reviewPage)
	h.wb.post(rt, "POST /service-reviews/{id}", servicereview.PermWrite, h.updateReview)
	h.wb.post(rt, "POST /service-reviews/{id}/pack", servicereview.PermWrite, h.compileReview)
	h.wb.post(rt, "POST /service-reviews/{id}/actions", servicereview.PermWrite, h.addReviewAction)
	h.wb.post(rt, "POST /service-reviews/{id}/actions/{action}/done", servicereview.PermWrite, h.doneReviewAction)
}

type svcReviewsView struct {
	Upcoming, Past []servicereview.Review
	Overdue        int
	CanWrite       bool
}

func (h csatPages) reviewList(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	v := svcReviewsView{CanWrite: p.Can(servicereview.PermWrite)}
	var err error
	if v.Upcoming, err = h.reviews.List(r.Context(), p, servicereview.Filter{State: servicereview.Planned, Limit: 200}); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, rv := range v.Upcoming {
		if rv.Overdue {
			v.Overdue++
		}
	}
	if v.Past, err = h.reviews.List(r.Context(), p, servicereview.Filter{State: servicereview.Held, Limit: 50}); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, http.StatusOK, "service_reviews", page{Title: h.wb.clockOf(r).text().T("web.service_reviews.title"), Active: "service-reviews", Data: v})
}

type svcReviewFormView struct {
	Agreements []option
	F          *fieldErrors
}

func (h csatPages) newReview(w http.ResponseWriter, r *http.Request) {
	h.showNewReview(w, r, http.StatusOK, nil)
}

func (h csatPages) showNewReview(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	v := svcReviewFormView{F: fe}
	list, err := sla.ListAgreements(r.Context(), h.wb.DB, sla.AgreementFilter{Kind: sla.SLA, Limit: maxChoices})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, a := range list {
		if a.Active {
			v.Agreements = append(v.Agreements, option{ID: a.ID, Name: a.Name})
		}
	}
	h.wb.render(w, r, status, "service_review_new", page{Title: h.wb.clockOf(r).text().T("web.service_reviews.title_new"), Active: "service-reviews", Data: v})
}

func (h csatPages) createReview(w http.ResponseWriter, r *http.Request) {
	v := domainerr.NewInvalid()
	in := servicereview.NewReview{PlannedOn: strings.TrimSpace(r.PostFormValue("planned_on"))}
	if id, ok := formID(r, "agreement_id"); !ok {
		v.Add("agreement_id", "%s", h.wb.clockOf(r).text().T("web.service_reviews.choose_agreement"))
	} else if id != nil {
		in.AgreementID = *id
	}
	if s := strings.TrimSpace(r.PostFormValue("every_months")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			v.Add("every_months", "%s", h.wb.clockOf(r).text().T("web.service_reviews.whole_months"))
		}
		in.EveryMonths = n
	}
	var err error
	if len(v.Fields) == 0 {
		var rv servicereview.Review
		if rv, err = h.reviews.Schedule(r.Context(), httpx.Principal(r), in); err == nil {
			h.wb.redirect(w, r, "/service-reviews/"+strconv.FormatInt(rv.ID, 10), "review_planned")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showNewReview(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "review", Errs: bad.Fields, Values: r.PostForm})
}

type svcReviewView struct {
	R        servicereview.Review
	CanWrite bool
	F        *fieldErrors
	Error    string
	Agents   []option
}

// Planned reports whether the review can still be prepared and held.
func (v svcReviewView) Planned() bool { return v.R.State == servicereview.Planned }

func (h csatPages) reviewPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	rv, err := h.reviews.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showReview(w, r, http.StatusOK, rv, nil, "")
}

func (h csatPages) showReview(w http.ResponseWriter, r *http.Request, status int, rv servicereview.Review, fe *fieldErrors, msg string) {
	v := svcReviewView{R: rv, CanWrite: httpx.Principal(r).Can(servicereview.PermWrite), F: fe, Error: msg}
	if v.CanWrite {
		opts, err := h.wb.formOptions(r, false)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
	}
	h.wb.render(w, r, status, "service_review", page{Title: h.wb.clockOf(r).text().T("web.service_reviews.title_review", "Agreement", rv.AgreementName), Active: "service-reviews", Data: v})
}

// reviewFailed shows a form's errors on the review, or the conflict.
func (h csatPages) reviewFailed(w http.ResponseWriter, r *http.Request, id int64, form string, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	stale := errors.Is(err, domainerr.ErrStale)
	if !errors.As(err, &inv) && !errors.As(err, &conflict) && !stale {
		h.wb.fail(w, r, err)
		return
	}
	rv, gerr := h.reviews.Get(r.Context(), httpx.Principal(r), id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	switch {
	case inv != nil:
		h.showReview(w, r, http.StatusUnprocessableEntity, rv, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case conflict != nil:
		h.showReview(w, r, http.StatusConflict, rv, nil, conflict.Message)
	default:
		h.showReview(w, r, http.StatusConflict, rv, nil, h.wb.stale(r))
	}
}

// updateReview saves the minutes and attendees; the Hold button holds
// the review with them and plans the next.
func (h csatPages) updateReview(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	txt := func(name string) *string { s := formText(r, name); return &s }
	pt := servicereview.Patch{Attendees: txt("attendees"), Minutes: txt("minutes"), PlannedOn: txt("planned_on")}
	flash := "saved"
	if st := r.PostFormValue("move"); st != "" {
		pt.State = &st
		pt.HeldOn = txt("held_on")
		flash = "review_held"
		if st == servicereview.Cancelled {
			flash = "saved"
		}
	}
	ver, _ := formVersion(r)
	if _, err := h.reviews.Update(r.Context(), httpx.Principal(r), id, pt, ver); err != nil {
		h.reviewFailed(w, r, id, "review", err)
		return
	}
	h.wb.redirect(w, r, "/service-reviews/"+strconv.FormatInt(id, 10), flash)
}

func (h csatPages) compileReview(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if _, err := h.reviews.Compile(r.Context(), httpx.Principal(r), id); err != nil {
		h.reviewFailed(w, r, id, "pack", err)
		return
	}
	h.wb.redirect(w, r, "/service-reviews/"+strconv.FormatInt(id, 10)+"#pack", "inputs_compiled")
}

func (h csatPages) addReviewAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	in := servicereview.NewAction{Title: r.PostFormValue("title"), DueOn: r.PostFormValue("due_on")}
	owner, msg := h.wb.person(r, "owner_id", agentPerson)
	if msg != "" {
		h.reviewFailed(w, r, id, "action", domainerr.Field("owner_id", "%s", msg))
		return
	}
	in.OwnerID = owner
	if _, err := h.reviews.AddAction(r.Context(), httpx.Principal(r), id, in); err != nil {
		h.reviewFailed(w, r, id, "action", err)
		return
	}
	h.wb.redirect(w, r, "/service-reviews/"+strconv.FormatInt(id, 10)+"#actions", "action_added")
}

func (h csatPages) doneReviewAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	aid, err := strconv.ParseInt(r.PathValue("action"), 10, 64)
	if !ok || err != nil {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.reviews.DoneAction(r.Context(), httpx.Principal(r), id, aid); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/service-reviews/"+strconv.FormatInt(id, 10)+"#actions", "action_done")
}
