package web

import (
	"errors"
	"net/http"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
)

// IncidentPages are incident management's pages; the queue is the home page.
var IncidentPages Pages = (*Web).registerIncidents

func (wb *Web) registerIncidents(rt *httpx.Router) {
	rt.Handle("GET /{$}", incident.PermRead, wb.queue)
	rt.Handle("GET /incidents/new", incident.PermCreate, wb.newIncidentForm)
	wb.post(rt, "POST /incidents", incident.PermCreate, wb.createIncident)
	rt.Handle("GET /incidents/{ref}", incident.PermRead, wb.incidentPage)
	wb.post(rt, "POST /incidents/{ref}/comments", incident.PermComment, wb.commentIncident(true))
	wb.post(rt, "POST /incidents/{ref}/notes", incident.PermWorkNote, wb.commentIncident(false))
	wb.post(rt, "POST /incidents/{ref}/edit", incident.PermUpdate, wb.editIncident)
	for _, a := range incidentActions {
		wb.post(rt, "POST /incidents/{ref}/"+a.path, incident.PermUpdate, wb.incidentAction(a))
	}
	for _, a := range incidentAnswers {
		wb.post(rt, "POST /incidents/{ref}/"+a.path, incident.PermCreate, wb.answerIncident(a))
	}
	wb.recordShows[incident.KindName] = func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors) {
		inc, err := wb.Incidents.Get(r.Context(), httpx.Principal(r), id)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		wb.showIncident(w, r, status, inc, f, "")
	}
}

type newIncidentView struct {
	F        *fieldErrors
	Staff    bool
	Options  formOptions
	Levels   []incident.Level
	Services []option
	Service  string // preselected, e.g. when coming from a catalogue entry
}

func (wb *Web) newIncidentForm(w http.ResponseWriter, r *http.Request) {
	wb.showNewIncident(w, r, http.StatusOK, nil)
}

func (wb *Web) showNewIncident(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors) {
	p := httpx.Principal(r)
	v := newIncidentView{F: f, Staff: p.IsStaff(), Levels: incident.Levels, Service: r.URL.Query().Get("service_id")}
	var err error
	if v.Services, err = wb.serviceOptions(r, 0); err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.Staff {
		opts, err := wb.formOptions(r, true)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Options = opts
	}
	wb.render(w, r, status, "incident_new", page{Title: wb.clockOf(r).text().T("web.incidents.title_new"), Active: "new", Data: v})
}

func (wb *Web) createIncident(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	in := incident.NewIncident{
		Title:       r.PostFormValue("title"),
		Description: formText(r, "description"),
		Category:    r.PostFormValue("category"),
		Subcategory: r.PostFormValue("subcategory"),
		Impact:      incident.Level(r.PostFormValue("impact")),
		Urgency:     incident.Level(r.PostFormValue("urgency")),
	}
	bad := domainerr.NewInvalid()
	if id, ok := formID(r, "service_id"); ok {
		in.ServiceID = id
	} else {
		bad.Add("service_id", "%s", wb.clockOf(r).text().T("web.incidents.invalid_choice"))
	}
	if p.IsStaff() {
		for _, ref := range []struct {
			field string
			dst   **int64
		}{{"customer_id", &in.CustomerID}, {"group_id", &in.GroupID}} {
			id, ok := formID(r, ref.field)
			if !ok {
				bad.Add(ref.field, "%s", wb.clockOf(r).text().T("web.incidents.invalid_choice"))
			}
			*ref.dst = id
		}
		in.RequesterID = wb.personID(r, bad, "requester_id", requesterPerson)
		in.AssigneeID = wb.personID(r, bad, "assignee_id", agentPerson)
		in.Major = r.PostFormValue("major") == "on"
	}
	var err error
	if bad.Err() != nil {
		err = bad
	} else {
		var inc incident.Incident
		inc, err = wb.Incidents.Create(r.Context(), p, in, nil)
		if err == nil {
			wb.redirect(w, r, "/incidents/"+inc.Number, "created")
			return
		}
	}
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		wb.showNewIncident(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "new", Errs: inv.Fields, Values: r.PostForm})
		return
	}
	wb.fail(w, r, err)
}
