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
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/ticket"
)

// requestQueues are the fixed lists of the request queue; requesters have
// their own two. They name their labels by message id; the handler puts
// them in the reader's words.
var requestQueues = []queueTab{
	{"mine", "web.requests_list.tab_mine", true},
	{"groups", "web.requests_list.tab_groups", true},
	{"unassigned", "web.requests_list.tab_unassigned", true},
	{"approval", "web.requests_list.tab_approval", false},
	{"open", "web.requests_list.tab_open", true},
	{"all", "web.requests_list.tab_all", false},
}

var requesterQueues = []queueTab{
	{"own", "web.requests_list.tab_own", false},
	{"org", "web.requests_list.tab_org", false},
}

type requestQueueView struct {
	Tabs      []tabCount
	View      string
	OpenTab   bool // the queue holds open requests unless a state is chosen
	Q         url.Values
	Items     []request.Request
	NextURL   string
	PrevURL   string
	Error     string
	Empty     string
	Filtered  bool
	Lists     listChoices // the filters of several values, which no single option shows
	Options   formOptions
	Services  []option
	States    []request.State
	Staff     bool
	CanCreate bool
	Tools     queueTools
	Self      string            // this page's address, to come back to after a bulk edit
	SLA       map[int64]slaCell // time to breach per row, for those who read SLAs
}

var requestQueueParams = []string{"view", "state", "priority", "group", "assignee", "customer", "service", "from", "to",
	"fulfilled_from", "fulfilled_to", "q", "sort"}

func (h *requestPages) queue(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	tx := h.clockOf(r).text()
	v := requestQueueView{Q: url.Values{}, States: request.States, Staff: p.IsStaff(), CanCreate: p.Can(request.PermCreate)}
	for _, k := range requestQueueParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Q.Set(k, s)
			v.Filtered = v.Filtered || (k != "view" && k != "sort")
		}
	}
	f, tab, msg := requestFilter(tx, p, v.Q)
	tab.Label = tx.T(tab.Label)
	msg = readListDaysIn(tx, v.Q, h.Loc, msg, listDays{"from", "to", &f.CreatedAfter, &f.CreatedBefore},
		listDays{"fulfilled_from", "fulfilled_to", &f.FulfilledAfter, &f.FulfilledBefore})
	v.View, v.OpenTab = tab.Key, tab.Open
	tabs := requesterQueues
	if v.Staff {
		tabs = tabsFor(p, requestQueues)
	}
	var err error
	v.Tabs, err = countTabs(tabs, func(key string) (int, error) {
		tf, _, _ := requestFilter(tx, p, url.Values{"view": {key}})
		if key == "groups" && len(p.GroupIDs) == 0 {
			return 0, nil
		}
		return h.svc.Count(r.Context(), p, tf, maxTabCount)
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := range v.Tabs {
		v.Tabs[i].Label = tx.T(v.Tabs[i].Label)
	}
	if v.Staff {
		opts, err := h.formOptions(r, false)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Options = opts
		if v.Services, err = h.serviceChoices(r); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	v.Lists = readListChoices(tx, v.Q, v.Options.Groups)
	if v.Tools, err = h.tools(r, request.KindName, "/requests", v.Q); err != nil {
		h.fail(w, r, err)
		return
	}
	v.Tools.Options, v.Tools.States, v.Tools.Prios = v.Options, []string{"in_fulfilment", "fulfilled"}, []string{"P1", "P2", "P3", "P4", "P5"}
	v.Self = r.URL.RequestURI()
	f.Cursor = q.Get("cursor")
	status := http.StatusOK
	switch {
	case msg != "":
		v.Error, status = msg, http.StatusUnprocessableEntity
	case tab.Key == "groups" && len(p.GroupIDs) == 0:
		v.Empty = tx.T("web.requests_list.no_groups")
	default:
		pg, err := h.svc.List(r.Context(), p, f)
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			v.Error, status = invalidText(inv), http.StatusUnprocessableEntity
			break
		} else if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Items = pg.Items
		if p.IsStaff() && p.Can(auth.SLARead) {
			ids := make([]int64, len(pg.Items))
			for i, rq := range pg.Items {
				ids[i] = rq.ID
			}
			if v.SLA, err = h.queueClocks(r.Context(), h.clockOf(r), ticket.Request, ids); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		v.PrevURL, v.NextURL = pageLinks("/requests", v.Q, f.Cursor, q.Get("trail"), pg.NextCursor)
	}
	if v.Empty == "" && len(v.Items) == 0 && v.Error == "" {
		v.Empty = tx.T("web.requests_list.empty")
		if v.Filtered {
			v.Empty = tx.T("web.requests_list.empty_filtered")
		}
	}
	h.show(w, r, status, "requests", page{Title: tx.T("web.requests_list.title", "Tab", tab.Label), Active: "requests", Data: v})
}

// serviceChoices lists every service by name, for the queue's filter.
func (h *requestPages) serviceChoices(r *http.Request) ([]option, error) {
	rows, err := h.DB.Query(r.Context(), "SELECT id, name FROM services ORDER BY lower(name), id LIMIT ?", maxChoices)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// requestFilter turns the query string into a list filter; a message comes
// back for values that cannot be read.
func requestFilter(tx i18n.Text, p *auth.Principal, q url.Values) (request.Filter, queueTab, string) {
	var f request.Filter
	var bad []string
	tabs := requesterQueues
	if p.IsStaff() {
		tabs = tabsFor(p, requestQueues)
	}
	tab := tabs[0]
	if p.Role == auth.Auditor {
		tab = requestQueues[4]
	}
	if !p.IsStaff() && p.CustomerID != 0 && q.Get("customer") == strconv.FormatInt(p.CustomerID, 10) {
		// A figure of the requester's organisation links here with
		// their customer: the list is the organisation's.
		tab = requesterQueues[1]
	}
	for _, t := range tabs {
		if t.Key == q.Get("view") {
			tab = t
		}
	}
	switch tab.Key {
	case "own":
		f.RequesterID = p.UserID
	case "mine":
		f.AssigneeID = p.UserID
	case "groups":
		f.GroupIDs = p.GroupIDs
	case "unassigned":
		f.Unassigned = true
	case "approval":
		f.States = []request.State{request.AwaitingApproval}
	}
	f = f.With(request.ListFields.Read(q, record.PageListParams, p.UserID, func(name, _ string) { bad = append(bad, name) }))
	if q.Get("state") == "" && (tab.Open || !p.IsStaff() && q.Get("view") == "open") {
		// A requester has no open queue, but a figure of open requests
		// links to their organisation's open ones.
		f.States = request.OpenStates
	}
	switch f.Sort {
	case "":
		f.Sort = "-created_at"
	case "-created_at", "created_at", "-updated_at", "updated_at":
	default:
		bad = append(bad, "sort")
	}
	if f.Query != "" {
		f.Sort = "-number"
	}
	if len(bad) > 0 {
		return f, tab, tx.T("web.requests_list.filters_unread", "List", strings.Join(bad, ", "))
	}
	return f, tab, ""
}
