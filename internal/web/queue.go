package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/record"
	"steward/internal/ticket"
)

// queueTab is one of the fixed queues an agent works from.
type queueTab struct {
	Key, Label string
	Open       bool // limited to open states unless a state is chosen
}

// staffQueues name their labels by message id; the handler puts them in
// the reader's words.
var staffQueues = []queueTab{
	{"mine", "web.queue.tab_mine", true},
	{"groups", "web.queue.tab_groups", true},
	{"unassigned", "web.queue.tab_unassigned", true},
	{"major", "web.queue.tab_major", true},
	{"open", "web.queue.tab_open", true},
	{"all", "web.queue.tab_all", false},
}

type queueView struct {
	Tabs      []tabCount
	View      string
	Heading   string
	Q         url.Values // the filter as sent, to refill the controls
	Items     []incident.Incident
	NextURL   string
	PrevURL   string
	Error     string
	Empty     string
	Filtered  bool
	Lists     listChoices // the filters of several values, which no single option shows
	Options   formOptions
	Services  []option
	States    []incident.State
	Staff     bool
	CanCreate bool
	Tools     queueTools
	Self      string            // this page's address, to come back to after a bulk edit
	SLA       map[int64]slaCell // time to breach per row, for those who read SLAs
}

var queueParams = []string{"view", "state", "priority", "group", "assignee", "customer", "service", "category", "from", "to",
	"resolved_from", "resolved_to", "major", "q", "sort"}

func (wb *Web) queue(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	v := queueView{Q: url.Values{}, States: incident.States, Staff: p.IsStaff(), CanCreate: p.Can(incident.PermCreate)}
	for _, k := range queueParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Q.Set(k, s)
			v.Filtered = v.Filtered || (k != "view" && k != "sort")
		}
	}
	tx := wb.clockOf(r).text()
	f, tab, msg := buildFilter(tx, p, v.Q)
	msg = readListDaysIn(tx, v.Q, wb.Loc, msg, listDays{"from", "to", &f.CreatedAfter, &f.CreatedBefore},
		listDays{"resolved_from", "resolved_to", &f.ResolvedAfter, &f.ResolvedBefore})
	v.View, v.Heading = tab.Key, tab.Label
	if p.IsStaff() {
		v.Heading = tx.T("web.queue.incidents")
	}
	if p.IsStaff() {
		var err error
		v.Tabs, err = countTabs(tabsFor(p, staffQueues), func(key string) (int, error) {
			tf, _, _ := buildFilter(tx, p, url.Values{"view": {key}})
			if key == "groups" && len(p.GroupIDs) == 0 {
				return 0, nil
			}
			return wb.Incidents.Count(r.Context(), p, tf, maxTabCount)
		})
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		for i := range v.Tabs {
			v.Tabs[i].Label = tx.T(v.Tabs[i].Label)
		}
		opts, err := wb.formOptions(r, false)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Options = opts
	}
	services, err := wb.serviceFilterOptions(r)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Services = services
	v.Lists = readListChoices(tx, v.Q, v.Options.Groups)
	if v.Tools, err = wb.tools(r, incident.KindName, "/", v.Q); err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Tools.Options, v.Tools.States, v.Tools.Holds, v.Tools.Codes = v.Options, []string{"in_progress", "on_hold", "resolved"}, incident.HoldReasons, incident.ResolutionCodes
	v.Self = r.URL.RequestURI()
	f.Cursor = q.Get("cursor")
	status := http.StatusOK
	switch {
	case msg != "":
		v.Error, status = msg, http.StatusUnprocessableEntity
	case tab.Key == "groups" && len(p.GroupIDs) == 0:
		v.Empty = tx.T("web.queue.no_groups")
	default:
		pg, err := wb.Incidents.List(r.Context(), p, f)
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			v.Error, status = invalidText(inv), http.StatusUnprocessableEntity
			break
		} else if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Items = pg.Items
		if p.IsStaff() && p.Can(auth.SLARead) {
			ids := make([]int64, len(pg.Items))
			for i, inc := range pg.Items {
				ids[i] = inc.ID
			}
			if v.SLA, err = wb.queueClocks(r.Context(), wb.clockOf(r), ticket.Incident, ids); err != nil {
				wb.fail(w, r, err)
				return
			}
		}
		v.PrevURL, v.NextURL = pageLinks("/", v.Q, f.Cursor, q.Get("trail"), pg.NextCursor)
	}
	if v.Empty == "" && len(v.Items) == 0 && v.Error == "" {
		v.Empty = tx.T("web.queue.empty")
		if v.Filtered {
			v.Empty = tx.T("web.queue.empty_filtered")
		}
	}
	wb.render(w, r, status, "queue", page{Title: tab.Label, Active: "incidents", Data: v})
}

// buildFilter turns the query string into a list filter; a message comes
// back for values that cannot be read.
func buildFilter(tx i18n.Text, p *auth.Principal, q url.Values) (incident.Filter, queueTab, string) {
	var f incident.Filter
	var bad []string
	tab := queueTab{"org", "web.queue.tab_org", false}
	if p.CustomerID == 0 {
		tab.Label = "web.queue.tab_own"
	}
	if p.IsStaff() {
		tab = staffQueues[0]
		if p.Role == auth.Auditor {
			tab = staffQueues[4]
		}
		for _, t := range tabsFor(p, staffQueues) {
			if t.Key == q.Get("view") {
				tab = t
			}
		}
	}
	tab.Label = tx.T(tab.Label)
	switch tab.Key {
	case "mine":
		f.AssigneeID = p.UserID
	case "groups":
		f.GroupIDs = p.GroupIDs
	case "unassigned":
		f.Unassigned = true
	case "major":
		yes := true
		f.Major = &yes
	}
	f = f.With(incident.ListFields.Read(q, record.PageListParams, p.UserID, func(name, _ string) { bad = append(bad, name) }))
	if q.Get("state") == "" && (tab.Open || !p.IsStaff() && q.Get("view") == "open") {
		// A requester has no queues, but a figure of open incidents
		// links to their open ones.
		f.States = incident.OpenStates
	}
	f.Category = q.Get("category")
	switch q.Get("major") {
	case "yes", "no":
		m := q.Get("major") == "yes"
		f.Major = &m
	case "":
	default:
		bad = append(bad, "major")
	}
	// The days (from, to, resolved_from, resolved_to) are read by the
	// handler, on the organisation's calendar: see readListDays.
	switch {
	case f.Query != "":
		f.Sort = "" // search results come newest first, by number
	case f.Sort == "":
		f.Sort = "-updated_at"
	}
	if len(bad) > 0 {
		return f, tab, tx.T("web.queue.bad_filters", "Names", strings.Join(bad, ", "))
	}
	return f, tab, ""
}

// listChoice is a filter value no single option of its select stands
// for: several values separated by commas, as a link from the API's
// names or a saved filter may hold. The select offers it as its chosen
// option, in words, so that the page shows what the list holds and
// sending the form again keeps it; picking another option replaces it.
type listChoice struct{ Value, Label string }

// listChoices are the choices of a ticket queue's state, priority and
// group selects; nil where the select's own options serve.
type listChoices struct{ State, Priority, Group *listChoice }

// readListChoices words the filters of q that hold several values.
func readListChoices(tx i18n.Text, q url.Values, groups []option) listChoices {
	names := map[string]string{}
	for _, g := range groups {
		names[strconv.FormatInt(g.ID, 10)] = g.Name
	}
	choice := func(param string, word func(string) string) *listChoice {
		v := q.Get(param)
		if !strings.Contains(v, ",") {
			return nil
		}
		parts := strings.Split(v, ",")
		for i, s := range parts {
			parts[i] = word(strings.TrimSpace(s))
		}
		return &listChoice{Value: v, Label: strings.Join(parts, ", ")}
	}
	return listChoices{
		State:    choice("state", tx.Label),
		Priority: choice("priority", strings.ToUpper),
		Group: choice("group", func(id string) string {
			if name, ok := names[id]; ok {
				return name
			}
			return id
		}),
	}
}

// invalidText joins per-field messages into one sentence for a banner.
func invalidText(inv *domainerr.Invalid) string {
	var parts []string
	for k, m := range inv.Fields {
		parts = append(parts, fieldLabel(k)+" "+m)
	}
	if len(parts) == 0 {
		return inv.Error()
	}
	return strings.Join(parts, "; ") + "."
}
