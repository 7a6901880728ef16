package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/catalog"
	"steward/internal/continuity"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sms"
)

// continuityPages are service continuity's pages (8.7.2): the overview a
// service owner opens first, requirements, plans, tests and invocations.
type continuityPages struct {
	wb  *Web
	svc *continuity.Service
}

// ContinuityPages are continuity's pages over svc.
func ContinuityPages(svc *continuity.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := continuityPages{wb: wb, svc: svc}
		rt.Handle("GET /continuity", continuity.PermRead, h.overview)
		rt.Handle("GET /continuity/requirements/new", continuity.PermWrite, h.newRequirement)
		wb.post(rt, "POST /continuity/requirements", continuity.PermWrite, h.createRequirement)
		rt.Handle("GET /continuity/requirements/{id}", continuity.PermWrite, h.editRequirement)
		wb.post(rt, "POST /continuity/requirements/{id}", continuity.PermWrite, h.saveRequirement)
		wb.post(rt, "POST /continuity/requirements/{id}/delete", continuity.PermWrite, h.deleteRequirement)
		rt.Handle("GET /continuity-plans", continuity.PermRead, h.plans)
		rt.Handle("GET /continuity-plans/new", continuity.PermWrite, h.newPlan)
		wb.post(rt, "POST /continuity-plans", continuity.PermWrite, h.createPlan)
		rt.Handle("GET /continuity-plans/{id}", continuity.PermRead, h.plan)
		wb.post(rt, "POST /continuity-plans/{id}", continuity.PermWrite, h.savePlan)
		wb.post(rt, "POST /continuity-plans/{id}/approve", continuity.PermApprove, h.approvePlan)
		wb.post(rt, "POST /continuity-plans/{id}/state", continuity.PermWrite, h.planState)
		wb.post(rt, "POST /continuity-plans/{id}/steps", continuity.PermWrite, h.addStep)
		wb.post(rt, "POST /continuity-plans/{id}/steps/{n}", continuity.PermWrite, h.changeStep)
		wb.post(rt, "POST /continuity-plans/{id}/contacts", continuity.PermWrite, h.addContact)
		wb.post(rt, "POST /continuity-plans/{id}/contacts/{n}/delete", continuity.PermWrite, h.deleteContact)
		rt.Handle("GET /continuity-tests/new", continuity.PermWrite, h.newTest)
		wb.post(rt, "POST /continuity-tests", continuity.PermWrite, h.createTest)
		rt.Handle("GET /continuity-tests/{id}", continuity.PermRead, h.test)
		wb.post(rt, "POST /continuity-tests/{id}", continuity.PermWrite, h.saveTest)
		wb.post(rt, "POST /continuity-tests/{id}/actions", continuity.PermWrite, h.addAction)
		wb.post(rt, "POST /continuity-tests/{id}/actions/{action}/done", continuity.PermWrite, h.doneAction)
		wb.post(rt, "POST /continuity-tests/{id}/actions/{action}/improvement", sms.PermWrite, h.raiseAction)
		rt.Handle("GET /continuity-invocations/new", continuity.PermWrite, h.newInvocation)
		wb.post(rt, "POST /continuity-invocations", continuity.PermWrite, h.createInvocation)
		rt.Handle("GET /continuity-invocations/{id}", continuity.PermRead, h.invocation)
		wb.post(rt, "POST /continuity-invocations/{id}", continuity.PermWrite, h.saveInvocation)
		wb.assurance = append(wb.assurance, h.serviceCard)
	}
}

// continuityView is the overview: every service's standing, the viewer's
// own services first, then the recent tests and invocations.
type continuityView struct {
	Mine, Others []continuity.ServiceStanding
	Flagged      int
	Tests        []continuity.Test
	Invocations  []continuity.Invocation
	CanWrite     bool
}

func (h continuityPages) overview(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	st, err := h.svc.Standing(r.Context(), p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := continuityView{Flagged: st.Flagged, CanWrite: p.Can(continuity.PermWrite)}
	for _, s := range st.Services {
		if s.OwnerID != nil && *s.OwnerID == p.UserID {
			v.Mine = append(v.Mine, s)
		} else {
			v.Others = append(v.Others, s)
		}
	}
	if v.Tests, err = h.svc.Tests(r.Context(), p, continuity.TestFilter{Limit: 10}); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Invocations, err = h.svc.Invocations(r.Context(), p, 0, 10); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, http.StatusOK, "continuity", page{Title: h.wb.clockOf(r).text().T("web.continuity.title"), Active: "continuity", Data: v})
}

// serviceOptions are the catalogue's services not retired, for choosing.
func (h continuityPages) serviceOptions(r *http.Request) ([]option, error) {
	list, err := catalog.New(h.wb.DB).List(r.Context(), httpx.Principal(r),
		catalog.Filter{Statuses: []catalog.Status{catalog.Live, catalog.Pipeline}, Limit: catalog.MaxLimit})
	if err != nil {
		return nil, err
	}
	var out []option
	for _, s := range list.Items {
		out = append(out, option{ID: s.ID, Name: s.Name})
	}
	return out, nil
}

// requirementView is the form setting one service's requirement.
type requirementView struct {
	ServiceID   int64
	ServiceName string
	R           *continuity.Requirement
	Services    []option
	F           *fieldErrors
}

func (h continuityPages) newRequirement(w http.ResponseWriter, r *http.Request) {
	h.showRequirement(w, r, http.StatusOK, 0, nil)
}

func (h continuityPages) editRequirement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showRequirement(w, r, http.StatusOK, id, nil)
}

func (h continuityPages) showRequirement(w http.ResponseWriter, r *http.Request, status int, serviceID int64, fe *fieldErrors) {
	v := requirementView{ServiceID: serviceID, F: fe}
	if serviceID != 0 {
		svc, err := catalog.New(h.wb.DB).Get(r.Context(), httpx.Principal(r), serviceID)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.ServiceName = svc.Name
		if req, err := h.svc.Requirement(r.Context(), httpx.Principal(r), serviceID); err == nil {
			v.R = &req
		}
	} else {
		opts, err := h.serviceOptions(r)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Services = opts
	}
	h.wb.render(w, r, status, "continuity_requirement", page{Title: h.wb.clockOf(r).text().T("web.continuity.title_requirement"), Active: "continuity", Data: v})
}

func (h continuityPages) createRequirement(w http.ResponseWriter, r *http.Request) {
	id, ok := formID(r, "service_id")
	if !ok || id == nil {
		h.showRequirement(w, r, http.StatusUnprocessableEntity, 0, &fieldErrors{Form: "req",
			Errs: map[string]string{"service_id": h.wb.clockOf(r).text().T("web.continuity.choose_service")}, Values: r.PostForm})
		return
	}
	h.writeRequirement(w, r, *id, 0)
}

func (h continuityPages) saveRequirement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.writeRequirement(w, r, id, id)
}

// writeRequirement saves the form; formService is the service the form
// was for (0 when it was chosen on the form).
func (h continuityPages) writeRequirement(w http.ResponseWriter, r *http.Request, id, formService int64) {
	in := continuity.RequirementInput{RTO: r.PostFormValue("rto"), RPO: r.PostFormValue("rpo"), MinServiceLevel: r.PostFormValue("min_service_level")}
	ver, _ := formVersion(r)
	_, err := h.svc.SetRequirement(r.Context(), httpx.Principal(r), id, in, ver)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/continuity", "continuity-saved")
	case errors.As(err, &inv):
		h.showRequirement(w, r, http.StatusUnprocessableEntity, formService, &fieldErrors{Form: "req", Errs: inv.Fields, Values: r.PostForm})
	default:
		h.wb.fail(w, r, err)
	}
}

func (h continuityPages) deleteRequirement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.DeleteRequirement(r.Context(), httpx.Principal(r), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/continuity", "continuity-saved")
}

// pathN reads a 1-based position from the path.
func pathN(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	return n, err == nil && n > 0
}

// formPlan reads the plan form's own fields.
func (h continuityPages) formPlan(r *http.Request) (continuity.PlanInput, error) {
	title, summary, review := r.PostFormValue("title"), formText(r, "summary"), strings.TrimSpace(r.PostFormValue("review_on"))
	in := continuity.PlanInput{Title: &title, Summary: &summary, ReviewOn: &review}
	owner, msg := h.wb.person(r, "owner_id", agentPerson)
	if msg != "" {
		return in, domainerr.Field("owner_id", "%s", msg)
	}
	var none int64
	in.OwnerID = &none
	if owner != nil {
		in.OwnerID = owner
	}
	ids, ok := formIDs(r, "service_ids")
	if !ok {
		return in, domainerr.Field("service_ids", "%s", h.wb.clockOf(r).text().T("web.continuity.choose_services"))
	}
	in.ServiceIDs = &ids
	return in, nil
}
