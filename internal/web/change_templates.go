package web

import (
	"errors"
	"net/http"

	"steward/internal/change"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/store"
)

type changeTemplatesView struct {
	Items    []change.Template
	CanWrite bool
}

func (h *changePages) templates(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	items, err := h.svc.Templates(r.Context(), p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, http.StatusOK, "change_templates", page{Title: h.wb.clockOf(r).text().T("web.change_templates.title"), Active: "change-templates",
		Data: changeTemplatesView{Items: items, CanWrite: p.Can(change.PermTemplateWrite)}})
}

type changeTemplateView struct {
	T        change.Template
	New      bool
	CanWrite bool
	F        *fieldErrors
	Risks    []string
}

func (h *changePages) newTemplate(w http.ResponseWriter, r *http.Request) {
	h.showTemplate(w, r, http.StatusOK, change.Template{Risk: "low"}, true, nil)
}

func (h *changePages) template(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	t, err := h.svc.GetTemplate(r.Context(), httpx.Principal(r), id)
	if errors.Is(err, store.ErrNotFound) {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showTemplate(w, r, http.StatusOK, t, false, nil)
}

func (h *changePages) showTemplate(w http.ResponseWriter, r *http.Request, status int, t change.Template, isNew bool, f *fieldErrors) {
	title := h.wb.clockOf(r).text().T("web.change_templates.title_new")
	if !isNew {
		title = t.Name
	}
	h.wb.render(w, r, status, "change_template", page{Title: title, Active: "change-templates", Data: changeTemplateView{
		T: t, New: isNew, CanWrite: httpx.Principal(r).Can(change.PermTemplateWrite), F: f, Risks: change.RiskLevels}})
}

func (h *changePages) saveTemplate(w http.ResponseWriter, r *http.Request) {
	var id int64
	if r.PathValue("id") != "" {
		var ok bool
		if id, ok = pathID(r); !ok {
			h.wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
	}
	text := func(name string) *string { s := formText(r, name); return &s }
	approved := r.PostFormValue("approved") == "on"
	in := change.TemplateInput{Name: text("name"), Description: text("description"),
		ImplementationPlan: text("implementation_plan"), TestPlan: text("test_plan"), BackoutPlan: text("backout_plan"),
		Risk: text("risk"), Approved: &approved}
	t, err := h.svc.SaveTemplate(r.Context(), httpx.Principal(r), id, in, changeVersion(r))
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/change-templates", "saved")
	case errors.As(err, &inv):
		cur := change.Template{ID: id}
		h.showTemplate(w, r, http.StatusUnprocessableEntity, cur, id == 0, &fieldErrors{Form: "template", Errs: inv.Fields, Values: r.PostForm})
	case errors.Is(err, domainerr.ErrStale):
		h.wb.errorPage(w, r, http.StatusConflict, h.wb.clockOf(r).text().T("web.change_templates.someone_changed_template"))
	default:
		_ = t
		h.wb.fail(w, r, err)
	}
}

type changePoliciesView struct {
	Items    []change.Policy
	Groups   []option
	Rules    []string
	CanWrite bool
	Error    string
	Names    map[int64]string
}

func (h *changePages) policies(w http.ResponseWriter, r *http.Request) {
	h.showPolicies(w, r, http.StatusOK, "")
}

func (h *changePages) showPolicies(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := httpx.Principal(r)
	items, err := h.svc.Policies(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := changePoliciesView{Items: items, Groups: opts.Groups, Rules: change.Rules, CanWrite: p.Can(change.PermTemplateWrite),
		Error: msg, Names: map[int64]string{}}
	for _, g := range opts.Groups {
		v.Names[g.ID] = g.Name
	}
	h.wb.render(w, r, status, "change_policies", page{Title: h.wb.clockOf(r).text().T("web.change_templates.title_policy"), Active: "change-policies", Data: v})
}

func (h *changePages) savePolicy(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	group, ok := formID(r, "group_id")
	if !ok {
		h.showPolicies(w, r, http.StatusUnprocessableEntity, h.wb.clockOf(r).text().T("web.change_templates.group_invalid"))
		return
	}
	err := h.svc.SetPolicy(r.Context(), httpx.Principal(r), id, group, nil, r.PostFormValue("rule"))
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/change-policies", "saved")
	case errors.As(err, &inv):
		h.showPolicies(w, r, http.StatusUnprocessableEntity, invalidText(inv))
	case errors.Is(err, store.ErrNotFound):
		h.wb.errorPage(w, r, http.StatusNotFound, "")
	default:
		h.wb.fail(w, r, err)
	}
}
