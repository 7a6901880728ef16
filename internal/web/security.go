package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/infosec"
	"steward/internal/patch"
	"steward/internal/store"
)

// securityPages serves information security: security incidents, the
// controls register and vulnerability exposure.
type securityPages struct {
	wb  *Web
	svc *infosec.Service
}

// SecurityPages are information security's pages over svc.
func SecurityPages(svc *infosec.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := securityPages{wb: wb, svc: svc}
		wb.security = h.incidentPanel
		rt.Handle("GET /security-incidents", infosec.PermRead, h.list)
		rt.Handle("GET /security-incidents/new", infosec.PermWork, h.newForm)
		wb.post(rt, "POST /security-incidents", infosec.PermWork, h.create)
		wb.post(rt, "POST /security-incidents/escalate", infosec.PermWork, h.escalate)
		rt.Handle("GET /security-incidents/{ref}", infosec.PermRead, h.page)
		wb.post(rt, "POST /security-incidents/{ref}", infosec.PermWork, h.update)
		wb.post(rt, "POST /security-incidents/{ref}/notes", infosec.PermWork, h.note)
		rt.Handle("GET /admin/security-groups", infosec.PermGroups, h.groups)
		wb.post(rt, "POST /admin/security-groups", infosec.PermGroups, h.saveGroups)
		h.registerControls(rt)
		h.registerExposure(rt)
	}
}

// securityPanel is the incident page's card for the security group.
type securityPanel struct {
	Incident string
	Items    []infosec.Incident
	CSRF     string
}

func (h securityPages) incidentPanel(r *http.Request, inc incident.Incident) (*securityPanel, error) {
	p := httpx.Principal(r)
	if ok, err := infosec.Cleared(r.Context(), h.wb.DB, p); err != nil || !ok || !p.Can(infosec.PermWork) {
		return nil, err
	}
	pg, err := h.svc.List(r.Context(), p, infosec.Filter{IncidentID: inc.ID, Limit: 20})
	if err != nil {
		return nil, err
	}
	return &securityPanel{Incident: inc.Number, Items: pg.Items, CSRF: p.CSRFToken}, nil
}

type securityListView struct {
	Items            []infosec.Incident
	Tab, Next        string
	Cleared, CanWork bool
}

func (h securityPages) list(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	cleared, err := infosec.Cleared(r.Context(), h.wb.DB, p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := securityListView{Tab: r.URL.Query().Get("state"), Cleared: cleared, CanWork: cleared && p.Can(infosec.PermWork)}
	f := infosec.Filter{Limit: 100, Cursor: r.URL.Query().Get("cursor")}
	switch v.Tab {
	case "", "open":
		v.Tab, f.States = "open", infosec.OpenStates
	case "closed":
		f.States = []infosec.State{infosec.Closed}
	case "all":
	default:
		h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.security.choose_tabs_open"))
		return
	}
	pg, err := h.svc.List(r.Context(), p, f)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.wb.errorPage(w, r, http.StatusBadRequest, inv.Error())
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Items, v.Next = pg.Items, pg.NextCursor
	h.wb.render(w, r, http.StatusOK, "security_incidents", page{Title: "Security incidents", Active: "security-incidents", Data: v})
}

type securityFormView struct {
	In     infosec.NewIncident
	Aware  string // datetime-local in the viewer's zone
	People []option
	F      *fieldErrors
	Levels []string
}

func (h securityPages) people(r *http.Request) ([]option, error) {
	ps, err := h.svc.People(r.Context(), httpx.Principal(r))
	if err != nil {
		return nil, err
	}
	out := make([]option, len(ps))
	for i, x := range ps {
		out[i] = option{ID: x.ID, Name: x.Name, Email: x.Email}
	}
	return out, nil
}

func (h securityPages) newForm(w http.ResponseWriter, r *http.Request) {
	in := infosec.NewIncident{Incident: strings.TrimSpace(r.URL.Query().Get("incident"))}
	h.showNew(w, r, http.StatusOK, in, nil)
}

func (h securityPages) showNew(w http.ResponseWriter, r *http.Request, status int, in infosec.NewIncident, fe *fieldErrors) {
	people, err := h.people(r)
	if err != nil {
		h.wb.fail(w, r, notClearedAsNotFound(err))
		return
	}
	v := securityFormView{In: in, People: people, F: fe, Levels: infosec.Levels,
		Aware: time.Now().In(h.wb.clockOf(r).loc).Format(dateTimeLocal)}
	h.wb.render(w, r, status, "security_incident_new", page{Title: "Report a security incident", Active: "security-incidents", Data: v})
}

// notClearedAsNotFound: to someone outside the security groups the
// pages of security incidents do not exist.
func notClearedAsNotFound(err error) error {
	if errors.Is(err, domainerr.ErrForbidden) {
		return store.ErrNotFound
	}
	return err
}

func (h securityPages) localTime(r *http.Request, v *domainerr.Invalid, name string) *time.Time {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation(dateTimeLocal, s, h.wb.clockOf(r).loc)
	if err != nil {
		v.Add(name, "must be a date and time such as 2026-12-20T18:00")
		return nil
	}
	return &t
}

func (h securityPages) create(w http.ResponseWriter, r *http.Request) {
	v := domainerr.NewInvalid()
	in := infosec.NewIncident{Title: strings.TrimSpace(r.PostFormValue("title")), Description: formText(r, "description"),
		Confidentiality: r.PostFormValue("confidentiality"), Integrity: r.PostFormValue("integrity"), Availability: r.PostFormValue("availability"),
		PersonalData: r.PostFormValue("personal_data"), Incident: r.PostFormValue("incident")}
	in.AwareAt = h.localTime(r, v, "aware_at")
	in.OwnerID = h.wb.personID(r, v, "owner_id", securityPerson)
	var err error
	if len(v.Fields) == 0 {
		var c infosec.Incident
		if c, err = h.svc.Create(r.Context(), httpx.Principal(r), in); err == nil {
			h.wb.redirect(w, r, "/security-incidents/"+c.Number, "saved")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showNew(w, r, http.StatusUnprocessableEntity, in, &fieldErrors{Form: "sec", Errs: bad.Fields, Values: r.PostForm})
}

func (h securityPages) escalate(w http.ResponseWriter, r *http.Request) {
	ref := r.PostFormValue("incident")
	c, err := h.svc.Escalate(r.Context(), httpx.Principal(r), ref)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/security-incidents/"+c.Number, "saved")
}

// clockLine is a notification deadline as the page shows it.
type clockLine struct {
	infosec.Clock
	Whom, Status string
}

type securityView struct {
	S        infosec.Incident
	Clocks   []clockLine
	Journal  []infosec.Entry
	CanWork  bool
	F        *fieldErrors
	Error    string
	People   []option
	Next     []string
	Aware    string
	TellAuth string
	TellSubj string
}

func (h securityPages) load(w http.ResponseWriter, r *http.Request) (infosec.Incident, bool) {
	id, ok := infosec.ParseRef(r.PathValue("ref"))
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return infosec.Incident{}, false
	}
	c, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return c, false
	}
	return c, true
}

func (h securityPages) page(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	h.show(w, r, http.StatusOK, c, nil, "")
}

// span is a duration in hours and minutes: "41 h 12 min".
func span(tx i18n.Text, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Minute)
	hrs, mins := int(d.Hours()), int(d.Minutes())%60
	switch {
	case hrs >= 48:
		return tx.T("web.security.span_days", "Days", hrs/24, "Hours", hrs%24)
	case hrs > 0:
		return tx.T("web.security.span_hours", "Hours", hrs, "Minutes", mins)
	}
	return tx.T("web.security.span_minutes", "Minutes", mins)
}

func clockLines(tx i18n.Text, cs []infosec.Clock) []clockLine {
	out := make([]clockLine, len(cs))
	for i, c := range cs {
		l := clockLine{Clock: c, Whom: tx.T("web.security.authority")}
		if c.Who == "subjects" {
			l.Whom = tx.T("web.security.subjects")
		}
		switch c.State {
		case infosec.ClockRunning:
			l.Status = tx.T("web.security.left", "Span", span(tx, time.Duration(c.Left)*time.Second))
		case infosec.ClockOverdue:
			l.Status = tx.T("web.security.overdue", "Span", span(tx, time.Duration(c.Left)*time.Second))
		case infosec.ClockOnTime:
			l.Status = tx.T("web.security.on_time")
		case infosec.ClockLate:
			l.Status = tx.T("web.security.late", "Span", span(tx, c.NotifiedAt.Sub(c.Due)))
		}
		out[i] = l
	}
	return out
}

func (h securityPages) show(w http.ResponseWriter, r *http.Request, status int, c infosec.Incident, fe *fieldErrors, msg string) {
	p := httpx.Principal(r)
	loc := h.wb.clockOf(r).loc
	local := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format(dateTimeLocal)
	}
	v := securityView{S: c, Clocks: clockLines(h.wb.clockOf(r).text(), c.Clocks), CanWork: p.Can(infosec.PermWork) && c.State != infosec.Closed, F: fe, Error: msg,
		Next: infosec.Machine.Next(string(c.State)), Aware: local(&c.AwareAt), TellAuth: local(c.AuthorityNotifiedAt), TellSubj: local(c.SubjectsNotifiedAt)}
	var err error
	if v.Journal, err = h.svc.Journal(r.Context(), p, c.ID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.CanWork {
		if v.People, err = h.people(r); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.wb.render(w, r, status, "security_incident", page{Title: c.Number + " " + c.Title, Active: "security-incidents", Data: v})
}

// update saves the working form; a button naming a state moves the
// incident there with what the form holds.
func (h securityPages) update(w http.ResponseWriter, r *http.Request) {
	id, ok := infosec.ParseRef(r.PathValue("ref"))
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	v := domainerr.NewInvalid()
	txt := func(name string) *string { s := formText(r, name); return &s }
	val := func(name string) *string { s := r.PostFormValue(name); return &s }
	pt := infosec.Patch{Title: txt("title"), Description: txt("description"), Confidentiality: val("confidentiality"),
		Integrity: val("integrity"), Availability: val("availability"), PersonalData: val("personal_data"), Breach: val("breach"),
		BreachReason: txt("breach_reason"), Closure: txt("closure"), Incident: patch.Of(strings.TrimSpace(r.PostFormValue("incident")))}
	pt.AwareAt = h.localTime(r, v, "aware_at")
	for name, dst := range map[string]*patch.Field[time.Time]{"authority_notified_at": &pt.AuthorityNotifiedAt, "subjects_notified_at": &pt.SubjectsNotifiedAt} {
		t := h.localTime(r, v, name)
		*dst = patch.Field[time.Time]{Set: true, Null: t == nil}
		if t != nil {
			dst.V = *t
		}
	}
	owner := h.wb.personID(r, v, "owner_id", securityPerson)
	pt.OwnerID = patch.Field[int64]{Set: true, Null: owner == nil}
	if owner != nil {
		pt.OwnerID.V = *owner
	}
	if st := r.PostFormValue("move"); st != "" {
		s := infosec.State(st)
		pt.State = &s
	}
	ver, _ := formVersion(r)
	var err error
	if len(v.Fields) == 0 {
		var c infosec.Incident
		if c, err = h.svc.Update(r.Context(), httpx.Principal(r), id, pt, ver); err == nil {
			h.wb.redirect(w, r, "/security-incidents/"+c.Number, "saved")
			return
		}
	}
	var conflict *domainerr.Conflict
	stale := errors.Is(err, domainerr.ErrStale)
	cur, gerr := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	if errors.As(err, &conflict) || stale {
		msg := h.wb.stale(r)
		if conflict != nil {
			msg = conflict.Message
		}
		h.show(w, r, http.StatusConflict, cur, nil, msg)
		return
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.show(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "sec", Errs: bad.Fields, Values: r.PostForm}, "")
}

func (h securityPages) note(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	_, err := h.svc.AddNote(r.Context(), httpx.Principal(r), c.ID, formText(r, "body"))
	if err == nil {
		h.wb.redirect(w, r, "/security-incidents/"+c.Number+"#journal", "saved")
		return
	}
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		h.wb.fail(w, r, err)
		return
	}
	h.show(w, r, http.StatusUnprocessableEntity, c, &fieldErrors{Form: "note", Errs: inv.Fields, Values: r.PostForm}, "")
}

type securityGroupsView struct {
	Groups []infosec.Group
}

func (h securityPages) groups(w http.ResponseWriter, r *http.Request) {
	gs, err := h.svc.Groups(r.Context(), httpx.Principal(r))
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, http.StatusOK, "security_groups", page{Title: "Security groups", Active: "security-groups", Data: securityGroupsView{Groups: gs}})
}

// saveGroups sets the flag of every group listed on the form: the boxes
// ticked are security groups, the others not.
func (h securityPages) saveGroups(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	gs, err := h.svc.Groups(r.Context(), p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	on := map[string]bool{}
	for _, s := range r.PostForm["security"] {
		on[s] = true
	}
	for _, g := range gs {
		want := on[fmt.Sprint(g.ID)]
		if want == g.Security {
			continue
		}
		if err := h.svc.SetSecurityGroup(r.Context(), p, g.ID, want); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.wb.redirect(w, r, "/admin/security-groups", "saved")
}
