package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"steward/internal/catalog"
	"steward/internal/change"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// ChangePages are change management's pages: the list, the overview with
// its KPIs, the new change form, a change's page with its assessment,
// approvals, conflicts and moves, and the standard change catalogue.
func ChangePages(svc *change.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := &changePages{wb: wb, svc: svc}
		rt.Handle("GET /changes", change.PermRead, h.list)
		rt.Handle("GET /changes/overview", change.PermRead, h.overview)
		rt.Handle("GET /changes/new", change.PermCreate, h.newForm)
		wb.post(rt, "POST /changes", change.PermCreate, h.create)
		rt.Handle("GET /changes/{ref}", change.PermRead, h.show)
		wb.post(rt, "POST /changes/{ref}", change.PermUpdate, h.update)
		wb.post(rt, "POST /changes/{ref}/state", change.PermUpdate, h.move)
		wb.post(rt, "POST /changes/{ref}/approvals", change.PermApprove, h.decide)
		rt.Handle("GET /change-templates", change.PermRead, h.templates)
		rt.Handle("GET /change-templates/new", change.PermTemplateWrite, h.newTemplate)
		wb.post(rt, "POST /change-templates", change.PermTemplateWrite, h.saveTemplate)
		rt.Handle("GET /change-templates/{id}", change.PermRead, h.template)
		wb.post(rt, "POST /change-templates/{id}", change.PermTemplateWrite, h.saveTemplate)
		rt.Handle("GET /change-policies", change.PermRead, h.policies)
		wb.post(rt, "POST /change-policies/{id}", change.PermTemplateWrite, h.savePolicy)
		// The shared files and links panels come back here when their form fails.
		wb.recordShows[change.KindName] = func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors) {
			c, err := svc.Get(r.Context(), httpx.Principal(r), id)
			if err != nil {
				wb.fail(w, r, err)
				return
			}
			h.render(w, r, status, c, f, "")
		}
	}
}

type changePages struct {
	wb  *Web
	svc *change.Service
}

type changesView struct {
	Items     []change.Change
	State     string
	Type      string
	Outcome   string
	Outcomes  []string
	Q         string
	Days      url.Values // the day filters as sent: from, to, closed_from, closed_to
	States    []string
	Types     []string
	NextURL   string
	CanCreate bool
	Error     string
}

// changeDays are the change list's day filters: the days a change was
// raised (from, to) and those it was closed, rejected or cancelled on
// (closed_from, closed_to), read on the organisation's calendar.
var changeDays = []string{"from", "to", "closed_from", "closed_to"}

func (h *changePages) list(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	v := changesView{State: q.Get("state"), Type: q.Get("type"), Outcome: q.Get("outcome"), Q: strings.TrimSpace(q.Get("q")), Days: url.Values{},
		States: change.Machine.States, Types: change.Types, Outcomes: change.Outcomes, CanCreate: p.Can(change.PermCreate)}
	f := change.Filter{Query: v.Q, Cursor: q.Get("cursor"), Limit: 50}
	switch v.State {
	case "":
	case "open":
		f.States = change.Machine.Open
	case "submitted":
		// Every change past its draft: those the change KPIs count.
		for _, st := range change.Machine.States {
			if st != change.Draft {
				f.States = append(f.States, st)
			}
		}
	default:
		f.States = []string{v.State}
	}
	if v.Type != "" {
		f.Types = []string{v.Type}
	}
	switch v.Outcome {
	case "":
	case "unsuccessful":
		f.Outcomes = []string{change.Failed, change.BackedOut}
	default:
		f.Outcomes = []string{v.Outcome}
	}
	for _, k := range changeDays {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Days.Set(k, s)
		}
	}
	status := http.StatusOK
	if v.Error = readListDaysIn(h.wb.clockOf(r).text(), v.Days, h.wb.Loc, "", listDays{"from", "to", &f.CreatedAfter, &f.CreatedBefore},
		listDays{"closed_from", "closed_to", &f.ClosedAfter, &f.ClosedBefore}); v.Error != "" {
		h.wb.render(w, r, http.StatusUnprocessableEntity, "changes", page{Title: h.wb.clockOf(r).text().T("web.changes.title"), Active: "changes", Data: v})
		return
	}
	pg, err := h.svc.List(r.Context(), p, f)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Error, status = invalidText(inv), http.StatusUnprocessableEntity
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Items = pg.Items
	if pg.NextCursor != "" {
		next := url.Values{"state": {v.State}, "type": {v.Type}, "outcome": {v.Outcome}, "q": {v.Q}, "cursor": {pg.NextCursor}}
		for k, d := range v.Days {
			next[k] = d
		}
		v.NextURL = "/changes?" + next.Encode()
	}
	h.wb.render(w, r, status, "changes", page{Title: h.wb.clockOf(r).text().T("web.changes.title"), Active: "changes", Data: v})
}

type changeOverview struct {
	K                                                         change.KPIs
	Days                                                      int
	Success, EmergencyShare, FailedShare, CausedShare, Unauth string
	Lead                                                      string
}

func (h *changePages) overview(w http.ResponseWriter, r *http.Request) {
	days := 90
	k, err := h.svc.Overview(r.Context(), httpx.Principal(r), time.Now().AddDate(0, 0, -days))
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := changeOverview{K: k, Days: days, Success: change.Share(k.Successful, k.Finished),
		EmergencyShare: change.Share(k.Emergency, k.Raised), FailedShare: change.Share(k.FailedOrBackedOut, k.Finished),
		CausedShare: change.Share(k.CausedIncidents, k.Finished), Unauth: change.Share(k.Unauthorised, k.CIChanges), Lead: "—"}
	if k.Finished > 0 {
		v.Lead = leadText(k.LeadTimeHours)
	}
	h.wb.render(w, r, http.StatusOK, "change_overview", page{Title: h.wb.clockOf(r).text().T("web.changes.title_overview"), Active: "change-overview", Data: v})
}

func leadText(hours float64) string {
	if hours < 48 {
		return fmt.Sprintf("%.1f hours", hours)
	}
	return fmt.Sprintf("%.1f days", hours/24)
}

type newChangeView struct {
	F         *fieldErrors
	Types     []string
	Templates []change.Template
	Services  []option
	Agents    []option
	Groups    []option
}

func (h *changePages) newForm(w http.ResponseWriter, r *http.Request) {
	h.showNew(w, r, http.StatusOK, nil)
}

func (h *changePages) showNew(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors) {
	p := httpx.Principal(r)
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tpls, err := h.svc.Templates(r.Context(), p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := newChangeView{F: f, Types: change.Types, Agents: opts.Agents, Groups: opts.Groups}
	for _, t := range tpls {
		if t.Approved {
			v.Templates = append(v.Templates, t)
		}
	}
	svcs, err := catalog.New(h.wb.DB).List(r.Context(), p, catalog.Filter{Limit: 200})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, s := range svcs.Items {
		v.Services = append(v.Services, option{ID: s.ID, Name: s.Name})
	}
	h.wb.render(w, r, status, "change_new", page{Title: h.wb.clockOf(r).text().T("web.changes.title_new"), Active: "changes", Data: v})
}

// formTime reads a datetime-local field in the viewer's zone.
func (h *changePages) formTime(r *http.Request, name string, bad *domainerr.Invalid) *time.Time {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation(dateTimeLocal, s, h.wb.clockOf(r).loc)
	if err != nil {
		bad.Add(name, "%s", h.wb.clockOf(r).text().T("web.changes.date_time"))
		return nil
	}
	return &t
}

// localInput is t as a datetime-local field shows it to the viewer.
func (h *changePages) localInput(r *http.Request, t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(h.wb.clockOf(r).loc).Format(dateTimeLocal)
}

func (h *changePages) create(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	bad := domainerr.NewInvalid()
	in := change.NewChange{Title: r.PostFormValue("title"), Type: r.PostFormValue("type"),
		Description: formText(r, "description"), Justification: formText(r, "justification"),
		PlannedStart: h.formTime(r, "planned_start", bad), PlannedEnd: h.formTime(r, "planned_end", bad)}
	if id, ok := formID(r, "template_id"); ok {
		in.TemplateID = id
		if id != nil {
			in.Type = change.Standard
		}
	} else {
		bad.Add("template_id", "%s", h.wb.clockOf(r).text().T("web.changes.invalid_choice"))
	}
	for _, ref := range []struct {
		field string
		dst   **int64
	}{{"group_id", &in.GroupID}} {
		id, ok := formID(r, ref.field)
		if !ok {
			bad.Add(ref.field, "%s", h.wb.clockOf(r).text().T("web.changes.invalid_choice"))
		}
		*ref.dst = id
	}
	in.AssigneeID = h.wb.personID(r, bad, "assignee_id", agentPerson)
	if ids, ok := formIDs(r, "service_ids"); ok {
		in.ServiceIDs = ids
	} else {
		bad.Add("service_ids", "%s", h.wb.clockOf(r).text().T("web.changes.invalid_choice"))
	}
	for _, s := range r.PostForm["ci"] {
		if strings.TrimSpace(s) == "" {
			continue
		}
		id, err := h.wb.findCI(r.Context(), s)
		if err != nil {
			bad.Add("ci_ids", "%s", ciPickError(h.wb.clockOf(r).text(), err))
			continue
		}
		in.CIIDs = append(in.CIIDs, id)
	}
	err := bad.Err()
	if err == nil {
		var c change.Change
		if c, err = h.svc.Create(r.Context(), p, in, nil); err == nil {
			h.wb.redirect(w, r, "/changes/"+c.Number, "saved")
			return
		}
	}
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.showNew(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "new", Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.wb.fail(w, r, err)
}

func ciPickError(tx i18n.Text, err error) string {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return inv.Fields["other"]
	}
	return tx.T("web.changes.ci_not_found")
}
