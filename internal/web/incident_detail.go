package web

import (
	"context"
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/org"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/ticket"
)

type detailView struct {
	Inc      incident.Incident
	Journal  []journalLine
	F        *fieldErrors
	Error    string
	Options  formOptions
	Services []option
	SLA      []sla.TimerView // staff only
	CIs      incidentCIsView // affected CIs, staff only
	Records  recordPanels    // files and linked records
	// KnownErrors are the known errors that may explain the incident.
	KnownErrors *knownErrorPanel
	// Alerts are the incident's alerts, when it has any.
	Alerts *incidentAlertsPanel
	// Knowledge is the articles that may answer the incident.
	Knowledge *kbPanel
	// Survey is the requester's rating widget, when there is one to show.
	Survey *csatPanel
	// Security is the security group's panel, nil for everyone else.
	Security *securityPanel

	Staff, CanUpdate, CanComment, CanNote bool
	// CanAnswer: the requester's side, who confirms, reopens or withdraws.
	CanAnswer bool

	Levels          []incident.Level
	HoldReasons     []string
	ResolutionCodes []string
}

// Action helpers for the template: which quick actions fit the state.
func (v detailView) Open() bool              { return v.Inc.State.Open() }
func (v detailView) Closed() bool            { return v.Inc.State == incident.Closed }
func (v detailView) Is(s string) bool        { return string(v.Inc.State) == s }
func (v detailView) CanMoveTo(s string) bool { return incident.CanMove(v.Inc.State, incident.State(s)) }

// RaisedBy and RaisedFor say who raised the incident and for whom, when
// they differ: "Raised by Alex Agent for Anna Lind". Either is "" when
// there is nothing to say.
func (v detailView) RaisedBy() string { return v.Inc.CreatedByName }

func (v detailView) RaisedFor() string {
	i := v.Inc
	if i.RequesterName == "" || (i.CreatedByName != "" && i.CreatedByID != nil && i.RequesterID != nil && *i.CreatedByID == *i.RequesterID) {
		return ""
	}
	return i.RequesterName
}

// journalLine is an entry with references turned into names.
type journalLine struct {
	incident.Entry
	Lines []incident.Change
}

func (wb *Web) loadIncident(w http.ResponseWriter, r *http.Request) (incident.Incident, bool) {
	id, ok := incident.ParseRef(r.PathValue("ref"))
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return incident.Incident{}, false
	}
	inc, err := wb.Incidents.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		wb.fail(w, r, err)
		return inc, false
	}
	return inc, true
}

func (wb *Web) incidentPage(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.loadIncident(w, r)
	if !ok {
		return
	}
	wb.showIncident(w, r, http.StatusOK, inc, nil, "")
}

// showIncident renders the detail page; f brings back a failed form, msg a
// banner such as a stale edit.
func (wb *Web) showIncident(w http.ResponseWriter, r *http.Request, status int, inc incident.Incident, f *fieldErrors, msg string) {
	p := httpx.Principal(r)
	entries, err := wb.Incidents.Journal(r.Context(), p, inc.ID)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := detailView{
		Inc: inc, F: f, Error: msg, Staff: p.IsStaff(),
		CanUpdate: p.Can(incident.PermUpdate), CanComment: p.Can(incident.PermComment), CanNote: p.Can(incident.PermWorkNote),
		CanAnswer: !p.Can(incident.PermUpdate) && p.Can(incident.PermCreate),
		Levels:    incident.Levels, HoldReasons: incident.HoldReasons, ResolutionCodes: incident.ResolutionCodes,
	}
	if v.Journal, err = wb.nameJournal(r.Context(), wb.clockOf(r).text(), entries); err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.Staff {
		if v.SLA, err = wb.slaService().Views(r.Context(), ticket.Incident, inc.ID); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	if v.Records, err = wb.panels(r, incident.KindName, inc.ID, f); err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.CIs, err = wb.incidentCIs(r, inc); err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.Survey, err = wb.csatPanelFor(r, ticket.Incident, inc.ID); err != nil {
		wb.fail(w, r, err)
		return
	}
	if wb.knownErrors != nil && v.Staff {
		if v.KnownErrors, err = wb.knownErrors(r, inc); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	if wb.incidentAlerts != nil && v.Staff {
		if v.Alerts, err = wb.incidentAlerts(r, inc); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	if wb.security != nil && v.Staff {
		if v.Security, err = wb.security(r, inc); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	if wb.knowledge != nil {
		if v.Knowledge, err = wb.knowledge(r, inc); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	if v.CanUpdate {
		if v.Options, err = wb.formOptions(r, true); err != nil {
			wb.fail(w, r, err)
			return
		}
		if v.Services, err = wb.serviceOptions(r, refID(inc.ServiceID)); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	wb.render(w, r, status, "incident", page{Title: inc.Number + " " + inc.Title, Active: "incidents", Data: v})
}

// nameJournal replaces ids in field changes with the names people know.
func (wb *Web) nameJournal(ctx context.Context, tx i18n.Text, entries []incident.Entry) ([]journalLine, error) {
	var groups, customers, services map[int64]string
	users := map[int64]string{}
	name := func(field, val string) (string, error) {
		id, err := strconv.ParseInt(val, 10, 64)
		if val == "" || err != nil {
			return val, nil
		}
		switch field {
		case "group_id":
			if groups == nil {
				if groups, err = org.Groups.Names(ctx, wb.DB); err != nil {
					return "", err
				}
			}
			return orID(groups[id], id), nil
		case "customer_id":
			if customers == nil {
				if customers, err = org.Customers.Names(ctx, wb.DB); err != nil {
					return "", err
				}
			}
			return orID(customers[id], id), nil
		case "service_id":
			if services == nil {
				if services, err = wb.catalog().Names(ctx); err != nil {
					return "", err
				}
			}
			return orID(services[id], id), nil
		case "assignee_id", "requester_id":
			if n, ok := users[id]; ok {
				return n, nil
			}
			u, err := auth.GetUser(ctx, wb.DB, id)
			if err != nil && err != store.ErrNotFound {
				return "", err
			}
			users[id] = orID(u.Name, id)
			return users[id], nil
		}
		return val, nil
	}
	out := make([]journalLine, len(entries))
	for i, e := range entries {
		out[i].Entry = e
		for _, c := range e.Changes {
			var err error
			if c.Old, err = name(c.Field, c.Old); err != nil {
				return nil, err
			}
			if c.New, err = name(c.Field, c.New); err != nil {
				return nil, err
			}
			if c.Field != "description" && c.Field != "resolution_notes" {
				c.Old, c.New = humanValueIn(tx, c.Field, c.Old), humanValueIn(tx, c.Field, c.New)
			}
			out[i].Lines = append(out[i].Lines, c)
		}
	}
	return out, nil
}

func orID(name string, id int64) string {
	if name != "" {
		return name
	}
	return "#" + strconv.FormatInt(id, 10)
}

// humanValueIn shows stored codes (in_progress, awaiting_requester) as
// words in the language of tx.
func humanValueIn(tx i18n.Text, field, v string) string {
	switch field {
	case "state", "hold_reason", "resolution_code", "impact", "urgency":
		return tx.Label(v)
	case "major":
		if v == "true" {
			return tx.T("web.incident_detail.yes")
		}
		return tx.T("web.incident_detail.no")
	}
	return v
}
