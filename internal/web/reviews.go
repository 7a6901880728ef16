package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/nonconformity"
	"steward/internal/review"
	"steward/internal/sms"
)

type reviewRow struct {
	review.Review
	Planned, Held, Period string
}

type reviewsView struct {
	Items    []reviewRow
	CanWrite bool
}

func (h *checkingPages) reviewRow(r *http.Request, rv review.Review) reviewRow {
	ck := h.clockOf(r)
	return reviewRow{Review: rv, Planned: ck.date(rv.PlannedOn), Held: ck.optDate(rv.HeldOn), Period: ck.date(rv.PeriodFrom) + " – " + ck.date(rv.PeriodTo)}
}

func (h *checkingPages) reviewsPage(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	list, err := h.reviews.List(r.Context(), p, review.MaxReviews)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := reviewsView{CanWrite: p.Can(sms.PermWrite)}
	for _, rv := range list {
		v.Items = append(v.Items, h.reviewRow(r, rv))
	}
	h.render(w, r, http.StatusOK, "management_reviews", page{Title: h.clockOf(r).text().T("web.reviews.title"), Active: "management-reviews", Data: v})
}

// attendeeRow is one member of staff on the review form: whether they
// attend and the part they play.
type attendeeRow struct {
	option
	Attends bool
	Role    string
}

type reviewFormView struct {
	F     *fieldErrors
	Staff []option
	Rows  []attendeeRow
}

func (h *checkingPages) newReview(w http.ResponseWriter, r *http.Request) {
	h.showReviewForm(w, r, http.StatusOK, nil)
}

func (h *checkingPages) showReviewForm(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors) {
	staff, err := h.staff(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := reviewFormView{F: f, Staff: staff}
	for _, s := range staff {
		row := attendeeRow{option: s}
		if f != nil {
			row.Attends = r.PostFormValue("attends_"+strconv.FormatInt(s.ID, 10)) != ""
			row.Role = r.PostFormValue("role_" + strconv.FormatInt(s.ID, 10))
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(w, r, status, "management_review_form", page{Title: h.clockOf(r).text().T("web.reviews.title_new"), Active: "management-reviews", Data: v})
}

// attendeesOf reads the ticked attendees and their roles.
func attendeesOf(r *http.Request, staff []option) []review.Attendee {
	out := []review.Attendee{}
	for _, s := range staff {
		id := strconv.FormatInt(s.ID, 10)
		if r.PostFormValue("attends_"+id) != "" {
			out = append(out, review.Attendee{UserID: s.ID, Role: r.PostFormValue("role_" + id)})
		}
	}
	return out
}

func (h *checkingPages) createReview(w http.ResponseWriter, r *http.Request) {
	staff, err := h.staff(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	bad := domainerr.NewInvalid()
	title, planned, from, to := r.PostFormValue("title"), r.PostFormValue("planned_on"), r.PostFormValue("period_from"), r.PostFormValue("period_to")
	att := attendeesOf(r, staff)
	in := review.Input{Title: &title, PlannedOn: &planned, PeriodFrom: &from, PeriodTo: &to, ChairID: h.personID(r, bad, "chair_id", staffPerson), Attendees: &att}
	if len(bad.Fields) == 0 {
		rv, err := h.reviews.Save(r.Context(), httpx.Principal(r), 0, in, 0)
		if err == nil {
			h.redirect(w, r, "/management-reviews/"+strconv.FormatInt(rv.ID, 10), "review_planned")
			return
		}
		var ok bool
		if bad, ok = h.invalidOr(w, r, err); !ok {
			return
		}
	}
	h.showReviewForm(w, r, http.StatusUnprocessableEntity, fieldsOf("review", bad, r))
}

type reviewKPIRow struct {
	review.KPI
	Figure string
}

type reviewView struct {
	reviewRow
	Compiled  bool
	KPIs      []reviewKPIRow
	Prev      []actionRow
	Actions   []actionRow
	AuditRows []auditResultRow
	Staff     []option
	CanWrite  bool
	Today     string
	F         *fieldErrors
	Error     string
}

type auditResultRow struct {
	review.AuditResult
	Results []resultCount
}

type resultCount struct {
	Result string
	N      int
}

func (h *checkingPages) reviewPage(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showReview(w, r, http.StatusOK, id, nil, "")
}

func figure(tx i18n.Text, k review.KPI) string {
	switch {
	case k.Error != "":
		return tx.T("web.reviews.not_computed")
	case k.N == 0:
		return tx.T("web.reviews.no_data")
	case k.Unit == "%":
		return fmt.Sprintf("%.1f %%", k.Value)
	case k.Unit == "count":
		return fmt.Sprintf("%.0f", k.Value)
	}
	return fmt.Sprintf("%.1f %s", k.Value, k.Unit)
}

func (h *checkingPages) showReview(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors, msg string) {
	p, ck := httpx.Principal(r), h.clockOf(r)
	rv, err := h.reviews.Get(r.Context(), p, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := reviewView{reviewRow: h.reviewRow(r, rv), Compiled: rv.Inputs != nil, F: f, Error: msg,
		CanWrite: p.Can(sms.PermWrite) && rv.State != review.Closed && rv.State != review.Cancelled}
	row := func(a nonconformity.Action) actionRow {
		return actionRow{Action: a, Due: ck.date(a.DueOn), CanDone: a.Status == "open" && (p.Can(sms.PermWrite) || a.OwnerID == p.UserID)}
	}
	for _, a := range rv.Actions {
		v.Actions = append(v.Actions, row(a))
	}
	if rv.Inputs != nil {
		for _, k := range rv.Inputs.KPIs {
			v.KPIs = append(v.KPIs, reviewKPIRow{KPI: k, Figure: figure(ck.text(), k)})
		}
		for _, a := range rv.Inputs.PreviousActions.Items {
			v.Prev = append(v.Prev, row(a))
		}
		for _, a := range rv.Inputs.Audits {
			ar := auditResultRow{AuditResult: a}
			for _, res := range []string{"conforming", "minor_nc", "major_nc", "observation", "ofi"} {
				ar.Results = append(ar.Results, resultCount{Result: res, N: a.Counts[res]})
			}
			v.AuditRows = append(v.AuditRows, ar)
		}
	}
	if v.CanWrite {
		if v.Staff, err = h.staff(r); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	v.Today = time.Now().In(ck.loc).Format(nonconformity.DateLayout)
	h.render(w, r, status, "management_review", page{Title: rv.Title, Active: "management-reviews", Data: v})
}

func (h *checkingPages) updateReview(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	minutes, decisions := formText(r, "minutes"), formText(r, "decisions")
	in := review.Input{Minutes: &minutes, Decisions: &decisions}
	form := "minutes"
	if r.PostFormValue("op") == "held" {
		form = "held"
		held, st := r.PostFormValue("held_on"), review.Held
		in = review.Input{HeldOn: &held, State: &st}
	}
	ver, _ := formVersion(r)
	_, err := h.reviews.Save(r.Context(), httpx.Principal(r), id, in, ver)
	if err == nil {
		flash := "saved"
		if form == "held" {
			flash = "review_held"
		}
		h.redirect(w, r, "/management-reviews/"+strconv.FormatInt(id, 10), flash)
		return
	}
	if bad, ok := h.invalidOr(w, r, err); ok {
		h.showReview(w, r, http.StatusUnprocessableEntity, id, fieldsOf(form, bad, r), "")
	}
}

func (h *checkingPages) compileReview(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if _, err := h.reviews.Compile(r.Context(), httpx.Principal(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/management-reviews/"+strconv.FormatInt(id, 10)+"#inputs", "inputs_compiled")
}

func (h *checkingPages) addReviewAction(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	bad := domainerr.NewInvalid()
	in := nonconformity.NewAction{Title: strings.TrimSpace(r.PostFormValue("title")), DueOn: r.PostFormValue("due_on"), OwnerID: h.personID(r, bad, "owner_id", staffPerson)}
	if len(bad.Fields) == 0 {
		_, err := h.reviews.AddAction(r.Context(), httpx.Principal(r), id, in)
		if err == nil {
			h.redirect(w, r, "/management-reviews/"+strconv.FormatInt(id, 10)+"#actions", "action_added")
			return
		}
		if bad, ok = h.invalidOr(w, r, err); !ok {
			return
		}
	}
	h.showReview(w, r, http.StatusUnprocessableEntity, id, fieldsOf("action", bad, r), "")
}
