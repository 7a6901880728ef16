package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
)

// alertConsolePages are the agent's screens of event management: the
// alert console with its counts and groups, each alert with its
// timeline, and the devices waiting to be mapped to CIs
// (events_devices.go). They also give the incident page its alerts panel.
func alertConsolePages(wb *Web, rt *httpx.Router, svc *event.Service) {
	h := consolePages{wb: wb, svc: svc}
	rt.Handle("GET /alerts", event.PermRead, h.console)
	rt.Handle("GET /alerts/{id}", event.PermRead, h.alert)
	wb.post(rt, "POST /alerts/{id}/acknowledge", event.PermWrite, h.act(event.Acknowledge))
	wb.post(rt, "POST /alerts/{id}/resolve", event.PermWrite, h.act(event.Resolve))
	rt.Handle("GET /alerts/unmapped", event.PermRead, h.unmapped)
	wb.post(rt, "POST /alerts/unmapped/map", event.PermWrite, h.mapDevice)
	wb.post(rt, "POST /alerts/unmapped/ignore", event.PermWrite, h.ignoreDevice)
	wb.incidentAlerts = h.incidentPanel
}

type consolePages struct {
	wb  *Web
	svc *event.Service
}

// alertRow is an alert as the console lists it, with names for its ids.
type alertRow struct {
	event.Alert
	Integration string
	CIName      string
	Incident    string // the incident's number
	HeldText    string // why the alert has no incident, in words, or ""
}

func heldText(tx i18n.Text, held string) string {
	switch held {
	case "flapping":
		return tx.T("web.events_console.held_flapping")
	case "maintenance":
		return tx.T("web.events_console.held_maintenance")
	case "severity":
		return tx.T("web.events_console.below_severity")
	case "unmapped":
		return tx.T("web.events_console.unmapped")
	}
	return ""
}

// consoleView is the alert console.
type consoleView struct {
	Counts     event.Console
	Items      []alertRow
	Q          url.Values
	Filtered   bool
	NextURL    string
	SearchedTo time.Time // the list checked the filters back to here only
	Error      string
	Group      string
	GroupTitle string // "Site Lyon S-0001" when the list shows one group
	GroupLinks []groupLink
	GroupURLs  [3]string // the console grouped by nothing, service, site
	Ints       []option
	States     [][2]string
	Severities []event.Severity
	CanWrite   bool
}

// groupLink is a group row: its counts and the console narrowed to it.
type groupLink struct {
	event.GroupCount
	URL string
}

var consoleParams = []string{"state", "severity", "integration", "q", "group", "service", "site", "incident_id", "ci_id"}

const consolePageSize = 50

func (h consolePages) console(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	ctx := r.Context()
	q := r.URL.Query()
	tx := h.wb.clockOf(r).text()
	v := consoleView{Q: url.Values{}, CanWrite: p.Can(event.PermWrite), Severities: event.Severities,
		States: [][2]string{{"", tx.T("web.events_console.open_and_acknowledged")}, {"open", tx.T("web.events_console.open")}, {"acknowledged", tx.T("web.events_console.acknowledged")},
			{"resolved", tx.T("web.events_console.resolved")}, {"all", tx.T("web.events_console.all_states")}}}
	for _, k := range consoleParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Q.Set(k, s)
			if k != "group" {
				v.Filtered = true
			}
		}
	}
	v.Group = v.Q.Get("group")
	for i, g := range []string{event.GroupNone, event.GroupService, event.GroupSite} {
		u := cloneValues(v.Q)
		u.Del("group")
		if g != "" {
			u.Set("group", g)
		}
		v.GroupURLs[i] = "/alerts"
		if len(u) > 0 {
			v.GroupURLs[i] += "?" + u.Encode()
		}
	}
	f := event.AlertFilter{State: event.Active, Q: v.Q.Get("q"), After: q.Get("cursor"), Limit: consolePageSize}
	var bad []string
	switch st := v.Q.Get("state"); st {
	case "":
	case "all":
		f.State = ""
	default:
		f.State = st
	}
	if s := v.Q.Get("severity"); s != "" {
		f.Severity = []event.Severity{event.Severity(s)}
	}
	for _, n := range []struct {
		name, label string
		into        *int64
	}{{"integration", "integration", &f.IntegrationID}, {"service", "service", &f.Service}, {"site", "site", &f.Site},
		{"incident_id", "incident", &f.IncidentID}, {"ci_id", "CI", &f.CIID}} {
		if s := v.Q.Get(n.name); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				bad = append(bad, n.label)
			}
			*n.into = id
		}
	}
	if v.Group != event.GroupNone && v.Group != event.GroupService && v.Group != event.GroupSite {
		bad, v.Group = append(bad, "grouping"), event.GroupNone
	}
	status := http.StatusOK
	if err := event.CheckAlertFilter(&f); err != nil {
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) {
			h.wb.fail(w, r, err)
			return
		}
		for k := range inv.Fields {
			if slices.Contains([]string{"state", "severity", "q", "cursor"}, k) {
				bad = append(bad, tx.T("web.events_console.filter_"+k))
			}
		}
	}
	ints, err := h.svc.Integrations(ctx)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, it := range ints {
		v.Ints = append(v.Ints, option{ID: it.ID, Name: it.Name})
		names[it.ID] = it.Name
	}
	if len(bad) > 0 {
		v.Error, status = tx.T("web.events_console.bad_filters", "Filters", strings.Join(bad, ", ")), http.StatusUnprocessableEntity
		h.wb.render(w, r, status, "alerts", page{Title: "Alert console", Active: "alerts", Data: v})
		return
	}
	if v.Counts, err = h.svc.ConsoleCounts(ctx, p, f, v.Group); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, g := range v.Counts.Groups {
		link := cloneValues(v.Q)
		link.Del("group")
		link.Set(v.Group, strconv.FormatInt(g.ID, 10))
		v.GroupLinks = append(v.GroupLinks, groupLink{GroupCount: g, URL: "/alerts?" + link.Encode()})
	}
	for _, g := range []struct {
		label string
		id    int64
	}{{"web.events_console.group_service", f.Service}, {"web.events_console.group_site", f.Site}} {
		if g.id != 0 {
			name, err := h.svc.GroupName(ctx, g.id)
			if err != nil {
				h.wb.fail(w, r, err)
				return
			}
			v.GroupTitle = tx.T(g.label, "Name", orID(name, g.id))
		}
	}
	pg, err := h.svc.ListAlerts(ctx, p, f)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Items, err = h.rows(ctx, tx, pg.Items, names); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if pg.Next != "" {
		next := cloneValues(v.Q)
		next.Set("cursor", pg.Next)
		v.NextURL = "/alerts?" + next.Encode()
	}
	v.SearchedTo = pg.SearchedTo
	h.wb.render(w, r, status, "alerts", page{Title: "Alert console", Active: "alerts", Data: v})
}

// rows names the integrations, CIs and incidents of a page of alerts.
func (h consolePages) rows(ctx context.Context, tx i18n.Text, list []event.Alert, ints map[int64]string) ([]alertRow, error) {
	var ids []int64
	for _, a := range list {
		if a.CIID != nil {
			ids = append(ids, *a.CIID)
		}
	}
	cis, err := h.wb.ciNamesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]alertRow, 0, len(list))
	for _, a := range list {
		row := alertRow{Alert: a, Integration: orID(ints[a.IntegrationID], a.IntegrationID), HeldText: heldText(tx, a.Held)}
		if a.CIID != nil {
			row.CIName = orID(cis[*a.CIID], *a.CIID)
		}
		if a.IncidentID != nil {
			row.Incident = incident.FormatNumber(*a.IncidentID)
		}
		out = append(out, row)
	}
	return out, nil
}

// ciNamesOf names CIs by id, for a page of at most a few hundred.
func (wb *Web) ciNamesOf(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := wb.DB.Query(ctx, `SELECT id, name FROM cis WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// alertView is one alert's page.
type alertView struct {
	A        event.AlertDetail
	Row      alertRow
	CanWrite bool
}

func (h consolePages) alert(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showAlert(w, r, id, http.StatusOK)
}

func (h consolePages) showAlert(w http.ResponseWriter, r *http.Request, id int64, status int) {
	ctx := r.Context()
	p := httpx.Principal(r)
	d, err := h.svc.GetAlert(ctx, p, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	ints, err := h.integrationNames(ctx)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	rows, err := h.rows(ctx, h.wb.clockOf(r).text(), []event.Alert{d.Alert}, ints)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := alertView{A: d, Row: rows[0], CanWrite: p.Can(event.PermWrite)}
	title := d.Summary
	if title == "" {
		title = h.wb.clockOf(r).text().T("web.events_console.alert_title", "ID", d.ID)
	}
	h.wb.render(w, r, status, "alert", page{Title: title, Active: "alerts", Data: v})
}

func (h consolePages) integrationNames(ctx context.Context) (map[int64]string, error) {
	ints, err := h.svc.Integrations(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, it := range ints {
		out[it.ID] = it.Name
	}
	return out, nil
}

// act acknowledges or resolves an alert through the processor, which
// applies it within seconds; the page says so.
func (h consolePages) act(action event.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			h.wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		_, err := h.svc.ActOnAlert(r.Context(), httpx.Principal(r), id, action)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		flash := "alert_ack_sent"
		if action == event.Resolve {
			flash = "alert_resolve_sent"
		}
		h.wb.redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10), flash)
	}
}
