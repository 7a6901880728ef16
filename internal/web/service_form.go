package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/catalog"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/patch"
)

type serviceFormView struct {
	S             catalog.Service // ID 0 for a new service
	F             *fieldErrors
	Error         string
	Statuses      []catalog.Status
	Criticalities []catalog.Criticality
	Owners        []option
	Groups        []option
	Customers     []option
	Services      []option // the possible dependencies
}

// checked reports whether id is ticked in list field: as sent after a
// failed submission, else as stored.
func (v serviceFormView) checked(field string, stored []int64, id int64) bool {
	if v.F != nil {
		return slices.Contains(v.F.Values[field], strconv.FormatInt(id, 10))
	}
	return slices.Contains(stored, id)
}

// Serves reports whether customer id is ticked.
func (v serviceFormView) Serves(id int64) bool { return v.checked("customer_ids", v.S.CustomerIDs, id) }

// Needs reports whether service id is ticked as a dependency.
func (v serviceFormView) Needs(id int64) bool { return v.checked("depends_on", v.S.DependsOn, id) }

// Cost is the stored cost as the form shows it; a new service starts empty.
func (v serviceFormView) Cost() string {
	if v.S.ID == 0 {
		return ""
	}
	return v.S.CostPerMonth.String()
}

func (wb *Web) newServiceForm(w http.ResponseWriter, r *http.Request) {
	wb.showServiceForm(w, r, http.StatusOK, serviceFormView{S: catalog.Service{Status: catalog.Pipeline, Criticality: catalog.Medium}})
}

func (wb *Web) editServiceForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	s, err := wb.catalog().Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showServiceForm(w, r, http.StatusOK, serviceFormView{S: s})
}

func (wb *Web) showServiceForm(w http.ResponseWriter, r *http.Request, status int, v serviceFormView) {
	opts, err := wb.formOptions(r, false)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	names, err := wb.catalog().Names(r.Context())
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	delete(names, v.S.ID)
	v.Owners, v.Groups, v.Customers, v.Services = opts.Agents, opts.Groups, opts.Customers, namedOptions(names)
	v.Statuses, v.Criticalities = catalog.Statuses, catalog.Criticalities
	title := "New service"
	if v.S.ID != 0 {
		title = wb.clockOf(r).text().T("web.service_form.edit_title", "Name", v.S.Name)
	}
	wb.render(w, r, status, "service_form", page{Title: title, Active: "services", Data: v})
}

// serviceForm is what the service form sent, read once.
type serviceForm struct {
	name, description, hours, cost string
	status                         catalog.Status
	criticality                    catalog.Criticality
	owner, group                   *int64
	customers, deps                []int64
}

func readServiceForm(wb *Web, r *http.Request, bad *domainerr.Invalid) serviceForm {
	f := serviceForm{
		name: r.PostFormValue("name"), description: formText(r, "description"), hours: r.PostFormValue("hours"),
		cost: strings.TrimSpace(r.PostFormValue("cost_per_month")), status: catalog.Status(r.PostFormValue("status")),
		criticality: catalog.Criticality(r.PostFormValue("criticality")),
	}
	var ok bool
	f.owner = wb.personID(r, bad, "owner_id", agentPerson)
	if f.group, ok = formID(r, "support_group_id"); !ok {
		bad.Add("support_group_id", "is not a valid choice")
	}
	if f.customers, ok = formIDs(r, "customer_ids"); !ok {
		bad.Add("customer_ids", "are not valid choices")
	}
	if f.deps, ok = formIDs(r, "depends_on"); !ok {
		bad.Add("depends_on", "are not valid choices")
	}
	return f
}

func (wb *Web) createService(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	f := readServiceForm(wb, r, bad)
	in := catalog.NewService{Name: f.name, Description: f.description, OwnerID: f.owner, Status: f.status,
		CustomerIDs: f.customers, SupportGroupID: f.group, Criticality: f.criticality,
		CostPerMonth: catalog.Amount(f.cost), Hours: f.hours, DependsOn: f.deps}
	var err error = bad
	if bad.Err() == nil {
		var s catalog.Service
		if s, err = wb.catalog().Create(r.Context(), httpx.Principal(r), in); err == nil {
			wb.redirect(w, r, "/services/"+strconv.FormatInt(s.ID, 10), "saved")
			return
		}
	}
	wb.serviceFailed(w, r, catalog.Service{}, err)
}

// updateService sends only the fields that differ from the record, so that
// an unchanged reference (an owner since disabled, say) is not checked
// again and the audit trail shows what the user really changed.
func (wb *Web) updateService(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	p := httpx.Principal(r)
	cur, err := wb.catalog().Get(r.Context(), p, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	version, ok := formVersion(r)
	if !ok {
		wb.errorPage(w, r, http.StatusBadRequest, wb.clockOf(r).text().T("web.service_form.form_version_service"))
		return
	}
	bad := domainerr.NewInvalid()
	f := readServiceForm(wb, r, bad)
	var pt catalog.Patch
	text := func(v, old string, dst **string) {
		if v != old {
			*dst = &v
		}
	}
	text(f.name, cur.Name, &pt.Name)
	text(f.description, cur.Description, &pt.Description)
	text(f.hours, cur.Hours, &pt.Hours)
	if f.status != cur.Status {
		pt.Status = &f.status
	}
	if f.criticality != cur.Criticality {
		pt.Criticality = &f.criticality
	}
	if f.cost != cur.CostPerMonth.String() {
		cost := catalog.Amount(f.cost)
		if f.cost == "" {
			cost = "0"
		}
		pt.CostPerMonth = &cost
	}
	ref := func(v, old *int64, dst *patch.Field[int64]) {
		switch {
		case v == nil && old != nil:
			*dst = patch.Field[int64]{Set: true, Null: true}
		case v != nil && (old == nil || *old != *v):
			*dst = patch.Of(*v)
		}
	}
	ref(f.owner, cur.OwnerID, &pt.OwnerID)
	ref(f.group, cur.SupportGroupID, &pt.SupportGroupID)
	list := func(v, old []int64, dst *patch.Field[[]int64]) {
		v = slices.Clone(v)
		slices.Sort(v)
		if !slices.Equal(slices.Compact(v), old) {
			*dst = patch.Of(v)
		}
	}
	list(f.customers, cur.CustomerIDs, &pt.CustomerIDs)
	list(f.deps, cur.DependsOn, &pt.DependsOn)
	err = bad.Err()
	if err == nil {
		if _, err = wb.catalog().Update(r.Context(), p, id, pt, version); err == nil {
			wb.redirect(w, r, "/services/"+strconv.FormatInt(id, 10), "saved")
			return
		}
	}
	wb.serviceFailed(w, r, cur, err)
}

// serviceFailed shows the form again with the messages and what was typed.
func (wb *Web) serviceFailed(w http.ResponseWriter, r *http.Request, s catalog.Service, err error) {
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		wb.showServiceForm(w, r, http.StatusUnprocessableEntity, serviceFormView{S: s,
			F: &fieldErrors{Form: "service", Errs: inv.Fields, Values: r.PostForm}})
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := wb.catalog().Get(r.Context(), httpx.Principal(r), s.ID)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showServiceForm(w, r, http.StatusConflict, serviceFormView{S: fresh, Error: wb.stale(r)})
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) deleteService(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	err := wb.catalog().Delete(r.Context(), httpx.Principal(r), id)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/services", "deleted")
	case errors.As(err, &conflict):
		wb.showService(w, r, http.StatusConflict, id, conflict.Message)
	default:
		wb.fail(w, r, err)
	}
}
