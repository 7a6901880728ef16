package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/notify"
	"steward/internal/patch"
	"steward/internal/store"
)

// incidentAction is a one-button move of the state machine, with the few
// fields that move needs.
type incidentAction struct {
	path  string
	flash string
	build func(r *http.Request, p incident.Incident, me int64) incident.Patch
}

func state(s incident.State) *incident.State { return &s }
func str(s string) *string                   { return &s }

var incidentActions = []incidentAction{
	{"assign-to-me", "assigned", func(r *http.Request, inc incident.Incident, me int64) incident.Patch {
		pt := incident.Patch{AssigneeID: patch.Of(me)}
		if inc.State == incident.New {
			pt.State = state(incident.InProgress)
		}
		return pt
	}},
	{"resolve", "resolved", func(r *http.Request, _ incident.Incident, _ int64) incident.Patch {
		return incident.Patch{State: state(incident.Resolved),
			ResolutionCode: str(r.PostFormValue("resolution_code")), ResolutionNotes: str(formText(r, "resolution_notes"))}
	}},
	{"hold", "held", func(r *http.Request, _ incident.Incident, _ int64) incident.Patch {
		return incident.Patch{State: state(incident.OnHold), HoldReason: str(r.PostFormValue("hold_reason"))}
	}},
	{"resume", "resumed", func(*http.Request, incident.Incident, int64) incident.Patch {
		return incident.Patch{State: state(incident.InProgress)}
	}},
	{"close", "closed", func(*http.Request, incident.Incident, int64) incident.Patch {
		return incident.Patch{State: state(incident.Closed)}
	}},
}

// incidentAnswer is one of the requester's answers to the desk (the desk
// may give them too): confirm a resolution, reopen it, withdraw.
type incidentAnswer struct {
	path, flash string
	run         func(s *incident.Service, ctx context.Context, p *auth.Principal, id int64, reason string, version int) (incident.Incident, error)
}

var incidentAnswers = []incidentAnswer{
	{"confirm", "confirmed", func(s *incident.Service, ctx context.Context, p *auth.Principal, id int64, _ string, version int) (incident.Incident, error) {
		return s.Confirm(ctx, p, id, version)
	}},
	{"reopen", "reopened", (*incident.Service).Reopen},
	{"withdraw", "withdrawn", (*incident.Service).Withdraw},
}

// answerIncident takes an answer from the incident page or straight from
// a notification, which it marks read. The version is optional: a
// notification does not know it, and the state decides what may happen.
func (wb *Web) answerIncident(a incidentAnswer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inc, ok := wb.loadIncident(w, r)
		if !ok {
			return
		}
		p := httpx.Principal(r)
		version, _ := formVersion(r)
		if _, err := a.run(wb.Incidents, r.Context(), p, inc.ID, formText(r, "reason"), version); err != nil {
			wb.showAfterFailure(w, r, inc, a.path, err)
			return
		}
		if id, err := strconv.ParseInt(r.PostFormValue("notification"), 10, 64); err == nil && id > 0 {
			// Someone else's notification is simply not found: nothing to mark.
			if _, err := notify.MarkRead(r.Context(), wb.DB, p.UserID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				wb.Log.Warn("web: marking a notification read", "err", err)
			}
		}
		wb.redirect(w, r, "/incidents/"+inc.Number, a.flash)
	}
}

func (wb *Web) incidentAction(a incidentAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inc, ok := wb.loadIncident(w, r)
		if !ok {
			return
		}
		wb.applyPatch(w, r, inc, a.path, a.flash, a.build(r, inc, httpx.Principal(r).UserID))
	}
}

// applyPatch saves a change made from form, or shows the page again with
// what went wrong: field messages, a stale version or a conflict.
func (wb *Web) applyPatch(w http.ResponseWriter, r *http.Request, inc incident.Incident, form, flash string, pt incident.Patch) {
	version, ok := formVersion(r)
	if !ok {
		wb.errorPage(w, r, http.StatusBadRequest, wb.clockOf(r).text().T("web.incident_actions.form_version_incident"))
		return
	}
	p := httpx.Principal(r)
	_, err := wb.Incidents.Update(r.Context(), p, inc.ID, pt, version)
	if err == nil {
		wb.redirect(w, r, "/incidents/"+inc.Number, flash)
		return
	}
	wb.showAfterFailure(w, r, inc, form, err)
}

// showAfterFailure answers a refused change with the incident as it is now.
func (wb *Web) showAfterFailure(w http.ResponseWriter, r *http.Request, inc incident.Incident, form string, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		wb.showIncident(w, r, http.StatusUnprocessableEntity, inc, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := wb.Incidents.Get(r.Context(), httpx.Principal(r), inc.ID)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showIncident(w, r, http.StatusConflict, fresh, nil, wb.clockOf(r).text().T("web.incident_actions.stale"))
	case errors.As(err, &conflict):
		wb.showIncident(w, r, http.StatusConflict, inc, nil, conflict.Message)
	default:
		wb.fail(w, r, err)
	}
}

// editIncident sends only the fields that differ from the record, so that
// an unchanged reference (say, an assignee since disabled) is not
// re-validated and the journal shows what the user really changed.
func (wb *Web) editIncident(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.loadIncident(w, r)
	if !ok {
		return
	}
	var pt incident.Patch
	bad := domainerr.NewInvalid()
	text := func(field, cur string, dst **string) {
		if _, ok := r.PostForm[field]; ok {
			if v := formText(r, field); v != cur {
				*dst = &v
			}
		}
	}
	text("title", inc.Title, &pt.Title)
	text("description", inc.Description, &pt.Description)
	text("category", inc.Category, &pt.Category)
	text("subcategory", inc.Subcategory, &pt.Subcategory)
	level := func(field string, cur incident.Level, dst **incident.Level) {
		if v := incident.Level(r.PostFormValue(field)); v != cur {
			*dst = &v
		}
	}
	level("impact", inc.Impact, &pt.Impact)
	level("urgency", inc.Urgency, &pt.Urgency)
	ref := func(field string, cur *int64, dst *patch.Field[int64]) {
		if cur != nil && strings.TrimSpace(r.PostFormValue(field)) == strconv.FormatInt(*cur, 10) {
			return // unchanged
		}
		var id *int64
		switch field {
		case "requester_id", "assignee_id":
			kind := agentPerson
			if field == "requester_id" {
				kind = requesterPerson
			}
			if id = wb.personID(r, bad, field, kind); bad.Has(field) {
				return
			}
		default:
			var ok bool
			if id, ok = formID(r, field); !ok {
				bad.Add(field, "%s", wb.clockOf(r).text().T("web.incident_actions.invalid_choice"))
				return
			}
		}
		switch {
		case id == nil && cur != nil:
			*dst = patch.Field[int64]{Set: true, Null: true}
		case id != nil && (cur == nil || *cur != *id):
			*dst = patch.Of(*id)
		}
	}
	ref("requester_id", inc.RequesterID, &pt.RequesterID)
	ref("customer_id", inc.CustomerID, &pt.CustomerID)
	ref("group_id", inc.GroupID, &pt.GroupID)
	ref("assignee_id", inc.AssigneeID, &pt.AssigneeID)
	ref("service_id", inc.ServiceID, &pt.ServiceID)
	if major := r.PostFormValue("major") == "on"; major != inc.Major {
		pt.Major = &major
	}
	if bad.Err() != nil {
		wb.showAfterFailure(w, r, inc, "edit", bad)
		return
	}
	wb.applyPatch(w, r, inc, "edit", "updated", pt)
}

// commentIncident adds a public comment or a staff work note.
func (wb *Web) commentIncident(public bool) http.HandlerFunc {
	form, flash := "comment", "commented"
	if !public {
		form, flash = "note", "noted"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		inc, ok := wb.loadIncident(w, r)
		if !ok {
			return
		}
		_, err := wb.Incidents.AddComment(r.Context(), httpx.Principal(r), inc.ID, formText(r, "body"), public, nil)
		if err != nil {
			wb.showAfterFailure(w, r, inc, form, err)
			return
		}
		wb.redirect(w, r, "/incidents/"+inc.Number+"#journal", flash)
	}
}
