package web

import (
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/sms"
)

type issuesView struct {
	Items    []sms.Issue
	Overdue  int
	Climate  *sms.Issue
	CanWrite bool
	Only     string
	D        func(string) string
}

func (h smsPages) issues(w http.ResponseWriter, r *http.Request) {
	f := sms.IssueFilter{}
	only := r.URL.Query().Get("show")
	switch only {
	case "overdue":
		f.Overdue = true
	case "closed":
		f.Status = "closed"
	case "all":
	default:
		only, f.Status = "", "open"
	}
	list, err := h.svc.Issues(r.Context(), f)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := issuesView{Items: list, CanWrite: httpx.Principal(r).Can(sms.PermWrite), Only: only, D: h.civilDate(r)}
	all, err := h.svc.Issues(r.Context(), sms.IssueFilter{})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for i := range all {
		if all[i].Overdue {
			v.Overdue++
		}
		if all[i].ClimateDecision != "" && (v.Climate == nil || all[i].UpdatedAt.After(v.Climate.UpdatedAt)) {
			v.Climate = &all[i]
		}
	}
	h.wb.render(w, r, http.StatusOK, "sms_context", page{Title: "Context of the organisation", Active: "context", Data: v})
}

type issueView struct {
	I        sms.Issue
	People   []option
	F        *fieldErrors
	CanWrite bool
	NextDue  string
	Today    string
	D        func(string) string
}

func (h smsPages) showIssue(w http.ResponseWriter, r *http.Request, status int, i sms.Issue, fe *fieldErrors) {
	people, err := h.staffOptions(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	today := h.svc.Today()
	v := issueView{I: i, People: people, F: fe, CanWrite: httpx.Principal(r).Can(sms.PermWrite), Today: today,
		NextDue: sms.AddMonths(today, 12), D: h.civilDate(r)}
	title := "New context issue"
	if i.ID != 0 {
		title = i.Title
	}
	h.wb.render(w, r, status, "sms_issue", page{Title: title, Active: "context", Data: v})
}

func (h smsPages) newIssue(w http.ResponseWriter, r *http.Request) {
	today := h.svc.Today()
	h.showIssue(w, r, http.StatusOK, sms.Issue{Origin: "external", Status: "open", IdentifiedOn: today, ReviewDue: sms.AddMonths(today, 12)}, nil)
}

func (h smsPages) issue(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	i, err := h.svc.Issue(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showIssue(w, r, http.StatusOK, i, nil)
}

func (h smsPages) issueForm(r *http.Request) (sms.IssueInput, string) {
	var owner int64
	id, msg := h.wb.person(r, "owner_id", staffPerson)
	if id != nil {
		owner = *id
	}
	in := sms.IssueInput{Title: optText(r, "title"), Description: optText(r, "description"), Origin: optText(r, "origin"),
		Category: optText(r, "category"), Effect: optText(r, "effect"), ClimateDecision: optText(r, "climate_decision"),
		IdentifiedOn: optText(r, "identified_on"), ReviewDue: optText(r, "review_due"), Status: optText(r, "status"), OwnerID: &owner}
	return in, msg
}

func (h smsPages) saveIssue(w http.ResponseWriter, r *http.Request, id int64) {
	in, msg := h.issueForm(r)
	var i sms.Issue
	var err error
	if msg != "" {
		err = fieldErr("owner_id", msg)
	} else if id == 0 {
		i, err = h.svc.CreateIssue(r.Context(), httpx.Principal(r).Actor(), in)
	} else {
		ver, _ := formVersion(r)
		i, err = h.svc.UpdateIssue(r.Context(), httpx.Principal(r).Actor(), id, in, ver)
	}
	if err == nil {
		h.wb.redirect(w, r, "/context/"+strconv.FormatInt(i.ID, 10), "saved")
		return
	}
	inv := invalid(err)
	if inv == nil {
		h.wb.fail(w, r, err)
		return
	}
	cur := sms.Issue{}
	if id != 0 {
		if cur, err = h.svc.Issue(r.Context(), h.wb.DB, id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.showIssue(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "issue", Errs: inv.Fields, Values: r.PostForm})
}

func (h smsPages) createIssue(w http.ResponseWriter, r *http.Request) { h.saveIssue(w, r, 0) }

func (h smsPages) updateIssue(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveIssue(w, r, id)
}

func (h smsPages) reviewIssue(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	_, err := h.svc.MarkReviewed(r.Context(), httpx.Principal(r).Actor(), id, r.PostFormValue("reviewed_on"), r.PostFormValue("review_due"), ver)
	if err == nil {
		h.wb.redirect(w, r, "/context/"+strconv.FormatInt(id, 10), "saved")
		return
	}
	inv := invalid(err)
	if inv == nil {
		h.wb.fail(w, r, err)
		return
	}
	cur, err := h.svc.Issue(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showIssue(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "review", Errs: inv.Fields, Values: r.PostForm})
}

type partiesView struct {
	Items      []sms.Party
	Customers  []option
	Categories []string
	F          *fieldErrors
	CanWrite   bool
	D          func(string) string
}

func (h smsPages) showParties(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	list, err := h.svc.Parties(r.Context(), 0, sms.MaxList)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := partiesView{Items: list, Customers: opts.Customers, Categories: sms.PartyCategories, F: fe,
		CanWrite: httpx.Principal(r).Can(sms.PermWrite), D: h.civilDate(r)}
	h.wb.render(w, r, status, "sms_parties", page{Title: "Interested parties", Active: "context", Data: v})
}

func (h smsPages) parties(w http.ResponseWriter, r *http.Request) {
	h.showParties(w, r, http.StatusOK, nil)
}

func partyForm(r *http.Request) (sms.PartyInput, bool) {
	cust, ok := formInt64(r, "customer_id")
	return sms.PartyInput{Name: optText(r, "name"), Category: optText(r, "category"), Origin: optText(r, "origin"),
		Contact: optText(r, "contact"), CustomerID: &cust, ReviewDue: optText(r, "review_due"), ReviewedOn: optText(r, "reviewed_on")}, ok
}

func (h smsPages) createParty(w http.ResponseWriter, r *http.Request) {
	in, ok := partyForm(r)
	if !ok {
		h.showParties(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "party", Errs: map[string]string{"customer_id": "choose a customer from the list"}, Values: r.PostForm})
		return
	}
	p, err := h.svc.CreateParty(r.Context(), httpx.Principal(r).Actor(), in)
	if err == nil {
		h.wb.redirect(w, r, "/parties/"+strconv.FormatInt(p.ID, 10), "saved")
		return
	}
	if inv := invalid(err); inv != nil {
		h.showParties(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "party", Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.wb.fail(w, r, err)
}

type partyView struct {
	P          sms.Party
	Customers  []option
	Services   []option
	Categories []string
	F          *fieldErrors
	CanWrite   bool
	D          func(string) string
}

func (h smsPages) showParty(w http.ResponseWriter, r *http.Request, status int, id int64, fe *fieldErrors) {
	p, err := h.svc.Party(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	svc, err := h.serviceOptions(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := partyView{P: p, Customers: opts.Customers, Services: svc, Categories: sms.PartyCategories, F: fe,
		CanWrite: httpx.Principal(r).Can(sms.PermWrite), D: h.civilDate(r)}
	h.wb.render(w, r, status, "sms_party", page{Title: p.Name, Active: "context", Data: v})
}

func (h smsPages) party(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showParty(w, r, http.StatusOK, id, nil)
}

// partyResult answers a form on a party's page.
func (h smsPages) partyResult(w http.ResponseWriter, r *http.Request, id int64, form string, err error) {
	if err == nil {
		h.wb.redirect(w, r, "/parties/"+strconv.FormatInt(id, 10), "saved")
		return
	}
	if inv := invalid(err); inv != nil {
		h.showParty(w, r, http.StatusUnprocessableEntity, id, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.wb.fail(w, r, err)
}

func (h smsPages) updateParty(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	in, ok := partyForm(r)
	if !ok {
		h.partyResult(w, r, id, "party", fieldErr("customer_id", "choose a customer from the list"))
		return
	}
	ver, _ := formVersion(r)
	_, err := h.svc.UpdateParty(r.Context(), httpx.Principal(r).Actor(), id, in, ver)
	h.partyResult(w, r, id, "party", err)
}

func (h smsPages) addRequirement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	svc, ok := formInt64(r, "service_id")
	if !ok {
		h.partyResult(w, r, id, "req", fieldErr("service_id", "choose a service from the list"))
		return
	}
	ver, _ := formVersion(r)
	_, err := h.svc.AddRequirement(r.Context(), httpx.Principal(r).Actor(), id,
		sms.RequirementInput{Requirement: formText(r, "requirement"), Source: formText(r, "source"), ServiceID: svc}, ver)
	h.partyResult(w, r, id, "req", err)
}

func (h smsPages) removeRequirement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	rid, err := strconv.ParseInt(r.PathValue("rid"), 10, 64)
	if !ok || err != nil || rid <= 0 {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	_, err = h.svc.RemoveRequirement(r.Context(), httpx.Principal(r).Actor(), id, rid, ver)
	h.partyResult(w, r, id, "req", err)
}
