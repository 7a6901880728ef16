package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/problem"
)

// knownErrorsView is the known-error database's search page.
type knownErrorsView struct {
	Q        string
	Service  int64
	Services []option
	Items    []problem.Problem
	Error    string
}

func (h *problemPages) knownErrors(w http.ResponseWriter, r *http.Request) {
	v := knownErrorsView{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	v.Service, _ = strconv.ParseInt(r.URL.Query().Get("service"), 10, 64)
	var err error
	if v.Services, err = h.serviceOptions(r, 0); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.KnownErrors(r.Context(), httpx.Principal(r), problem.KnownErrorFilter{Query: v.Q, ServiceID: v.Service})
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		v.Error = h.clockOf(r).text().T("web.problem_insights.type_words")
	case err != nil:
		h.fail(w, r, err)
		return
	}
	v.Items = items
	h.render(w, r, http.StatusOK, "known_errors", page{Title: h.clockOf(r).text().T("web.problem_insights.known_errors"), Active: "known-errors", Data: v})
}

// knownErrorPanel is what the incident page shows of the known-error
// database: the known errors that match the incident, or those matching
// what the agent searched for, each with its workaround to apply.
type knownErrorPanel struct {
	Incident  incident.Incident
	Q         string
	Searched  bool
	Items     []problem.Suggestion
	Error     string
	CanApply  bool
	CanCreate bool
	CSRF      string
}

// panel builds the known-error panel of the incident page, for staff who
// may read problems; nil for everyone else.
func (h *problemPages) panel(r *http.Request, inc incident.Incident) (*knownErrorPanel, error) {
	p := httpx.Principal(r)
	if !p.Can(problem.PermRead) {
		return nil, nil
	}
	v := &knownErrorPanel{Incident: inc, Q: strings.TrimSpace(r.URL.Query().Get("ke")), CanApply: canApply(p) && inc.State != incident.Closed,
		CanCreate: p.Can(problem.PermCreate), CSRF: p.CSRFToken}
	if v.Q == "" {
		items, err := h.svc.Suggest(r.Context(), p, inc)
		v.Items = items
		return v, err
	}
	v.Searched = true
	items, err := h.svc.KnownErrors(r.Context(), p, problem.KnownErrorFilter{Query: v.Q, Limit: 10})
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Error = h.clockOf(r).text().T("web.problem_insights.type_words")
		return v, nil
	} else if err != nil {
		return nil, err
	}
	for _, pr := range items {
		v.Items = append(v.Items, problem.Suggestion{Problem: pr})
	}
	return v, nil
}

// applyWorkaround links the incident to the known error named in the
// form and puts the workaround in a work note.
func (h *problemPages) applyWorkaround(w http.ResponseWriter, r *http.Request) {
	inc, ok := h.loadIncident(w, r)
	if !ok {
		return
	}
	id, ok := problem.ParseRef(r.PostFormValue("problem"))
	if !ok {
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.problem_insights.form_known_error"))
		return
	}
	_, err := h.svc.ApplyWorkaround(r.Context(), httpx.Principal(r), id, inc.ID)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		h.redirect(w, r, "/incidents/"+inc.Number+"#journal", "workaround-applied")
	case errors.As(err, &conflict):
		h.showIncident(w, r, http.StatusConflict, inc, nil, conflict.Message)
	default:
		h.fail(w, r, err)
	}
}

// trendsView is the recurring incidents of the last weeks.
type trendsView struct {
	Weeks, Min int
	Report     problem.TrendReport
	Error      string
	CanCreate  bool
	tx         i18n.Text // the reader's language, for section labels and titles
}

// Max is the highest weekly count, for the bars.
func (v trendsView) Max() int {
	m := 1
	for _, g := range v.Report.Groups {
		for _, n := range g.Weeks {
			m = max(m, n)
		}
	}
	return m
}

// trendSection is the groups of one kind: same CI, service or category.
type trendSection struct {
	Label  string
	Groups []problem.Trend
}

// Sections are the groups by kind, in the report's order.
func (v trendsView) Sections() []trendSection {
	labels := map[string]string{problem.ByCI: v.tx.T("web.problem_insights.same_ci"), problem.ByService: v.tx.T("web.problem_insights.same_service"),
		problem.ByCategory: v.tx.T("web.problem_insights.same_category")}
	var out []trendSection
	for _, g := range v.Report.Groups {
		if len(out) == 0 || out[len(out)-1].Label != labels[g.Dimension] {
			out = append(out, trendSection{Label: labels[g.Dimension]})
		}
		out[len(out)-1].Groups = append(out[len(out)-1].Groups, g)
	}
	return out
}

// OpenURL is the new-problem form filled from trend g.
func (v trendsView) OpenURL(g problem.Trend) string {
	q := url.Values{}
	switch g.Dimension {
	case problem.ByCI:
		q.Set("ci_id", g.Key)
		q.Set("title", v.tx.T("web.problem_insights.recurring_on", "Label", g.Label))
	case problem.ByService:
		q.Set("service_id", g.Key)
		q.Set("title", v.tx.T("web.problem_insights.recurring_on", "Label", g.Label))
	default:
		q.Set("category", g.Key)
		q.Set("title", v.tx.T("web.problem_insights.recurring_category", "Label", g.Label))
	}
	for i, id := range g.Incidents {
		if i == 50 {
			break
		}
		q.Add("incident", incident.FormatNumber(id))
	}
	return "/problems/new?" + q.Encode()
}

// Week is a week's start as the axis shows it: a date without a time,
// the Monday the report's weeks start on.
func (v trendsView) Week(t time.Time) string {
	return v.tx.T("web.problem_insights.week", "Day", t.Day(), "Month", v.tx.T(fmt.Sprintf("web.problem_insights.month_%d", t.Month())))
}

// Bar is a week's count as a share of the highest, in tenths, for a class.
func (v trendsView) Bar(n int) int { return (n*10 + v.Max() - 1) / v.Max() }

func (h *problemPages) trends(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	tx := h.clockOf(r).text()
	v := trendsView{Weeks: 8, Min: 3, CanCreate: p.Can(problem.PermCreate), tx: tx}
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("weeks")); err == nil {
		v.Weeks = n
	}
	if n, err := strconv.Atoi(q.Get("min")); err == nil {
		v.Min = n
	}
	rep, err := h.svc.Trends(r.Context(), p, v.Weeks, v.Min, time.Now())
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		v.Error = inv.Error()
		v.Weeks, v.Min = 8, 3
		rep, err = h.svc.Trends(r.Context(), p, v.Weeks, v.Min, time.Now())
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Report = rep
	h.render(w, r, http.StatusOK, "problem_trends", page{Title: tx.T("web.problem_insights.recurring"), Active: "problem-trends", Data: v})
}

// overviewView is problem management's figures.
type overviewView struct {
	O problem.Overview
}

// Max is the highest weekly count, for the bars.
func (v overviewView) Max() int {
	m := 1
	for _, w := range v.O.Weeks {
		m = max(m, w.Opened, w.Closed)
	}
	return m
}

// Bar is a count as a share of the highest, in tenths, for a class.
func (v overviewView) Bar(n int) int { return (n*10 + v.Max() - 1) / v.Max() }

// Share is the share of incidents linked to a known error, as shown.
func (v overviewView) Share() string {
	return strconv.FormatFloat(v.O.SharePercent(), 'f', 1, 64) + " %"
}

func (h *problemPages) overview(w http.ResponseWriter, r *http.Request) {
	o, err := h.svc.Overview(r.Context(), httpx.Principal(r), 12, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "problem_overview", page{Title: h.clockOf(r).text().T("web.problem_insights.overview"), Active: "problem-overview", Data: overviewView{O: o}})
}
