package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/continuity"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/sms"
)

type plansView struct {
	Plans    []continuity.Plan
	CanWrite bool
}

func (h continuityPages) plans(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	list, err := h.svc.Plans(r.Context(), p, continuity.PlanFilter{Limit: continuity.MaxLimit})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, http.StatusOK, "continuity_plans", page{Title: "Continuity plans", Active: "continuity-plans",
		Data: plansView{Plans: list, CanWrite: p.Can(continuity.PermWrite)}})
}

// planView is a plan's page, or the form writing a new one (P.ID 0).
type planView struct {
	P          continuity.Plan
	Services   []serviceChoice
	Agents     []option
	CanWrite   bool
	CanApprove bool
	F          *fieldErrors
	Error      string
}

// OwnerCur is the plan's owner as the form's choice.
func (v planView) OwnerCur() string {
	if v.P.OwnerID == nil {
		return ""
	}
	return strconv.FormatInt(*v.P.OwnerID, 10)
}

// ReviewCur is the plan's review date as the form's value.
func (v planView) ReviewCur() string {
	if v.P.ReviewOn == nil {
		return ""
	}
	return *v.P.ReviewOn
}

// NextVersion is the version a change to the approved plan drafts.
func (v planView) NextVersion() int { return v.P.PlanVersion + 1 }

// contactRow is a contact with its position, which its remove button names.
type contactRow struct {
	N int
	continuity.Contact
}

// Contacts are the plan's contacts with their positions.
func (v planView) Contacts() []contactRow {
	out := make([]contactRow, 0, len(v.P.Contacts))
	for i, c := range v.P.Contacts {
		out = append(out, contactRow{N: i + 1, Contact: c})
	}
	return out
}

// Draft reports whether the plan can be approved.
func (v planView) Draft() bool { return v.P.State == continuity.Draft }

// serviceChoice is a service offered as a checkbox.
type serviceChoice struct {
	option
	Checked bool
}

func (h continuityPages) newPlan(w http.ResponseWriter, r *http.Request) {
	var pl continuity.Plan
	if id, ok := formID(r, "service_id"); ok && id != nil {
		pl.Services = []continuity.PlanService{{ID: *id}}
	}
	h.showPlan(w, r, http.StatusOK, pl, nil, "")
}

func (h continuityPages) showPlan(w http.ResponseWriter, r *http.Request, status int, pl continuity.Plan, fe *fieldErrors, msg string) {
	p := httpx.Principal(r)
	v := planView{P: pl, CanWrite: p.Can(continuity.PermWrite), CanApprove: p.Can(continuity.PermApprove), F: fe, Error: msg}
	if v.CanWrite {
		opts, err := h.wb.formOptions(r, false)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
		svcs, err := h.serviceOptions(r)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		var chosen []string
		if fe.Failed("plan") {
			chosen = fe.Values["service_ids"]
		} else {
			for _, s := range pl.Services {
				chosen = append(chosen, strconv.FormatInt(s.ID, 10))
			}
		}
		for _, s := range svcs {
			v.Services = append(v.Services, serviceChoice{option: s, Checked: slices.Contains(chosen, strconv.FormatInt(s.ID, 10))})
		}
	}
	name, title := "continuity_plan", pl.Title
	if pl.ID == 0 {
		name, title = "continuity_plan_new", "New continuity plan"
	}
	h.wb.render(w, r, status, name, page{Title: title, Active: "continuity-plans", Data: v})
}

func (h continuityPages) plan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	pl, err := h.svc.Plan(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showPlan(w, r, http.StatusOK, pl, nil, "")
}

// planFailed shows the plan again with a form's errors or the conflict.
func (h continuityPages) planFailed(w http.ResponseWriter, r *http.Request, id int64, form string, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	stale := errors.Is(err, domainerr.ErrStale)
	if !errors.As(err, &inv) && !errors.As(err, &conflict) && !stale {
		h.wb.fail(w, r, err)
		return
	}
	var pl continuity.Plan
	if id != 0 {
		var gerr error
		if pl, gerr = h.svc.Plan(r.Context(), httpx.Principal(r), id); gerr != nil {
			h.wb.fail(w, r, gerr)
			return
		}
	}
	switch {
	case inv != nil:
		h.showPlan(w, r, http.StatusUnprocessableEntity, pl, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case conflict != nil:
		h.showPlan(w, r, http.StatusConflict, pl, nil, conflict.Message)
	default:
		h.showPlan(w, r, http.StatusConflict, pl, nil, h.wb.stale(r))
	}
}

func (h continuityPages) createPlan(w http.ResponseWriter, r *http.Request) {
	in, err := h.formPlan(r)
	if err != nil {
		h.planFailed(w, r, 0, "plan", err)
		return
	}
	pl, err := h.svc.CreatePlan(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.planFailed(w, r, 0, "plan", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-plans/"+strconv.FormatInt(pl.ID, 10), "continuity-plan-written")
}

func (h continuityPages) savePlan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	in, err := h.formPlan(r)
	if err != nil {
		h.planFailed(w, r, id, "plan", err)
		return
	}
	ver, _ := formVersion(r)
	if _, err := h.svc.UpdatePlan(r.Context(), httpx.Principal(r), id, in, ver); err != nil {
		h.planFailed(w, r, id, "plan", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-plans/"+strconv.FormatInt(id, 10), "continuity-saved")
}

func (h continuityPages) approvePlan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	if _, err := h.svc.ApprovePlan(r.Context(), httpx.Principal(r), id, ver); err != nil {
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			err = domainerr.Conflictf("%s", inv.Error())
		}
		h.planFailed(w, r, id, "approve", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-plans/"+strconv.FormatInt(id, 10), "continuity-plan-approved")
}

func (h continuityPages) planState(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	st := r.PostFormValue("state")
	ver, _ := formVersion(r)
	if _, err := h.svc.UpdatePlan(r.Context(), httpx.Principal(r), id, continuity.PlanInput{State: &st}, ver); err != nil {
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			err = domainerr.Conflictf("%s", inv.Error())
		}
		h.planFailed(w, r, id, "state", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-plans/"+strconv.FormatInt(id, 10), "continuity-saved")
}

// editParts loads the plan, lets edit change its steps or contacts, and
// saves them; the form named form shows any error.
func (h continuityPages) editParts(w http.ResponseWriter, r *http.Request, form, anchor string,
	edit func(pl continuity.Plan) (continuity.PlanInput, error)) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	pl, err := h.svc.Plan(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	ver, _ := formVersion(r)
	in, err := edit(pl)
	if err == nil {
		_, err = h.svc.UpdatePlan(r.Context(), httpx.Principal(r), id, in, ver)
	}
	if err != nil {
		h.planFailed(w, r, id, form, err)
		return
	}
	h.wb.redirect(w, r, "/continuity-plans/"+strconv.FormatInt(id, 10)+"#"+anchor, "continuity-saved")
}

// addStep adds a step at the end, or at the position chosen.
func (h continuityPages) addStep(w http.ResponseWriter, r *http.Request) {
	h.editParts(w, r, "step", "steps", func(pl continuity.Plan) (continuity.PlanInput, error) {
		owner, msg := h.wb.person(r, "owner_id", agentPerson)
		if msg != "" {
			return continuity.PlanInput{}, domainerr.Field("owner_id", "%s", msg)
		}
		steps := pl.StepsInput()
		if len(steps) >= continuity.MaxSteps {
			return continuity.PlanInput{}, domainerr.Field("title", "a plan has at most %d steps", continuity.MaxSteps)
		}
		steps = append(steps, continuity.StepInput{Title: r.PostFormValue("title"), Detail: formText(r, "detail"), OwnerID: owner})
		if err := stepErrors(steps[len(steps)-1]); err != nil {
			return continuity.PlanInput{}, err
		}
		return continuity.PlanInput{Steps: &steps}, nil
	})
}

// stepErrors checks the new step alone, so its errors name the form's
// fields rather than steps[n].
func stepErrors(st continuity.StepInput) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", strings.TrimSpace(st.Title), true, domainerr.MaxTitle)
	domainerr.Text(v, "detail", st.Detail, false, domainerr.MaxText)
	return v.Err()
}

// changeStep moves a step up or down, or removes it.
func (h continuityPages) changeStep(w http.ResponseWriter, r *http.Request) {
	h.editParts(w, r, "steps", "steps", func(pl continuity.Plan) (continuity.PlanInput, error) {
		n, ok := pathN(r, "n")
		steps := pl.StepsInput()
		if !ok || n > len(steps) {
			return continuity.PlanInput{}, domainerr.Conflictf("%s", h.wb.clockOf(r).text().T("web.continuity_plans.step_gone"))
		}
		i := n - 1
		switch r.PostFormValue("do") {
		case "up":
			if i > 0 {
				steps[i-1], steps[i] = steps[i], steps[i-1]
			}
		case "down":
			if i < len(steps)-1 {
				steps[i+1], steps[i] = steps[i], steps[i+1]
			}
		case "remove":
			steps = slices.Delete(steps, i, i+1)
		default:
			return continuity.PlanInput{}, domainerr.Conflictf("%s", h.wb.clockOf(r).text().T("web.continuity_plans.step_how"))
		}
		return continuity.PlanInput{Steps: &steps}, nil
	})
}

func (h continuityPages) addContact(w http.ResponseWriter, r *http.Request) {
	h.editParts(w, r, "contact", "contacts", func(pl continuity.Plan) (continuity.PlanInput, error) {
		c := continuity.ContactInput{Name: r.PostFormValue("name"), Role: r.PostFormValue("role"), Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email")}
		list := append(pl.ContactsInput(), c)
		in := continuity.PlanInput{Contacts: &list}
		return in, contactErrors(len(list)-1, in)
	})
}

// contactErrors re-reads the new contact's errors under the form's own
// field names.
func contactErrors(i int, in continuity.PlanInput) error {
	c := (*in.Contacts)[i]
	c.Name, c.Phone, c.Email = strings.TrimSpace(c.Name), strings.TrimSpace(c.Phone), strings.TrimSpace(c.Email)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", c.Name, true, domainerr.MaxName)
	domainerr.Text(v, "role", c.Role, false, domainerr.MaxName)
	domainerr.Text(v, "phone", c.Phone, false, domainerr.MaxShort)
	domainerr.Text(v, "email", c.Email, false, domainerr.MaxName)
	if c.Phone == "" && c.Email == "" {
		v.Add("phone", "give a phone number or an e-mail address to reach them")
	}
	return v.Err()
}

func (h continuityPages) deleteContact(w http.ResponseWriter, r *http.Request) {
	h.editParts(w, r, "contacts", "contacts", func(pl continuity.Plan) (continuity.PlanInput, error) {
		n, ok := pathN(r, "n")
		list := pl.ContactsInput()
		if !ok || n > len(list) {
			return continuity.PlanInput{}, domainerr.Conflictf("%s", h.wb.clockOf(r).text().T("web.continuity_plans.contact_gone"))
		}
		list = slices.Delete(list, n-1, n)
		return continuity.PlanInput{Contacts: &list}, nil
	})
}

// testView is a test's page, or the form recording one (T.ID 0).
type testView struct {
	tx         i18n.Text
	T          continuity.Test
	Plans      []option
	Kinds      []string
	Agents     []option
	CanWrite   bool
	CanImprove bool
	F          *fieldErrors
	Error      string
	Today      string
}

// PlanCur is the tested plan as the form's choice.
func (v testView) PlanCur() string {
	if v.T.PlanID == 0 {
		return ""
	}
	return strconv.FormatInt(v.T.PlanID, 10)
}

// textField is one of a test's written fields.
type textField struct{ Name, Label, Cur string }

// TextFields are the test's written fields, in the order of the form.
func (v testView) TextFields() []textField {
	return []textField{
		{"scenario", v.tx.T("web.continuity_plans.scenario"), v.T.Scenario},
		{"issues", v.tx.T("web.continuity_plans.issues"), v.T.Issues},
		{"notes", v.tx.T("web.continuity_plans.notes"), v.T.Notes},
	}
}

func (h continuityPages) newTest(w http.ResponseWriter, r *http.Request) {
	var t continuity.Test
	if id, ok := formID(r, "plan_id"); ok && id != nil {
		t.PlanID = *id
	}
	t.Kind = "tabletop"
	h.showTest(w, r, http.StatusOK, t, nil, "")
}

func (h continuityPages) showTest(w http.ResponseWriter, r *http.Request, status int, t continuity.Test, fe *fieldErrors, msg string) {
	p := httpx.Principal(r)
	tx := h.wb.clockOf(r).text()
	v := testView{tx: tx, T: t, Kinds: continuity.Kinds, CanWrite: p.Can(continuity.PermWrite), CanImprove: p.Can(sms.PermWrite), F: fe, Error: msg,
		Today: time.Now().In(h.wb.clockOf(r).loc).Format(time.DateOnly)}
	if v.CanWrite {
		opts, err := h.wb.formOptions(r, false)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
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
	name, title := "continuity_test", tx.T("web.continuity_plans.test_title", "Plan", t.PlanTitle)
	if t.ID == 0 {
		name, title = "continuity_test_new", "Record a continuity test"
	}
	h.wb.render(w, r, status, name, page{Title: title, Active: "continuity-plans", Data: v})
}

func (h continuityPages) test(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	t, err := h.svc.Test(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showTest(w, r, http.StatusOK, t, nil, "")
}

func (h continuityPages) testFailed(w http.ResponseWriter, r *http.Request, id int64, form string, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	stale := errors.Is(err, domainerr.ErrStale)
	if !errors.As(err, &inv) && !errors.As(err, &conflict) && !stale {
		h.wb.fail(w, r, err)
		return
	}
	var t continuity.Test
	if id != 0 {
		var gerr error
		if t, gerr = h.svc.Test(r.Context(), httpx.Principal(r), id); gerr != nil {
			h.wb.fail(w, r, gerr)
			return
		}
	}
	switch {
	case inv != nil:
		h.showTest(w, r, http.StatusUnprocessableEntity, t, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case conflict != nil:
		h.showTest(w, r, http.StatusConflict, t, nil, conflict.Message)
	default:
		h.showTest(w, r, http.StatusConflict, t, nil, h.wb.stale(r))
	}
}

// formTest reads the test form.
func formTest(r *http.Request) continuity.TestInput {
	txt := func(name string) *string { s := formText(r, name); return &s }
	return continuity.TestInput{Kind: txt("kind"), HeldOn: txt("held_on"), Scenario: txt("scenario"), RTOAchieved: txt("rto_achieved"),
		RPOAchieved: txt("rpo_achieved"), Issues: txt("issues"), Notes: txt("notes")}
}

func (h continuityPages) createTest(w http.ResponseWriter, r *http.Request) {
	in := formTest(r)
	id, ok := formID(r, "plan_id")
	if !ok {
		h.testFailed(w, r, 0, "test", domainerr.Field("plan_id", "choose the plan from the list"))
		return
	}
	in.PlanID = id
	t, err := h.svc.RecordTest(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.testFailed(w, r, 0, "test", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-tests/"+strconv.FormatInt(t.ID, 10), "continuity-test-recorded")
}

func (h continuityPages) saveTest(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	if _, err := h.svc.UpdateTest(r.Context(), httpx.Principal(r), id, formTest(r), ver); err != nil {
		h.testFailed(w, r, id, "test", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-tests/"+strconv.FormatInt(id, 10), "continuity-saved")
}

func (h continuityPages) addAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	owner, msg := h.wb.person(r, "owner_id", agentPerson)
	if msg != "" {
		h.testFailed(w, r, id, "action", domainerr.Field("owner_id", "%s", msg))
		return
	}
	in := continuity.NewAction{Title: r.PostFormValue("title"), OwnerID: owner, DueOn: r.PostFormValue("due_on")}
	if _, err := h.svc.AddAction(r.Context(), httpx.Principal(r), id, in); err != nil {
		h.testFailed(w, r, id, "action", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-tests/"+strconv.FormatInt(id, 10)+"#actions", "action_added")
}

func (h continuityPages) actionIDs(w http.ResponseWriter, r *http.Request) (int64, int64, bool) {
	id, ok := pathID(r)
	aid, err := strconv.ParseInt(r.PathValue("action"), 10, 64)
	if !ok || err != nil {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return 0, 0, false
	}
	return id, aid, true
}

func (h continuityPages) doneAction(w http.ResponseWriter, r *http.Request) {
	id, aid, ok := h.actionIDs(w, r)
	if !ok {
		return
	}
	if err := h.svc.DoneAction(r.Context(), httpx.Principal(r), id, aid); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/continuity-tests/"+strconv.FormatInt(id, 10)+"#actions", "action_done")
}

func (h continuityPages) raiseAction(w http.ResponseWriter, r *http.Request) {
	id, aid, ok := h.actionIDs(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.RaiseImprovement(r.Context(), httpx.Principal(r), id, aid); err != nil {
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			err = domainerr.Conflictf("%s", inv.Error())
		}
		h.testFailed(w, r, id, "raise", err)
		return
	}
	h.wb.redirect(w, r, "/continuity-tests/"+strconv.FormatInt(id, 10)+"#actions", "continuity-raised")
}
