package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Who may open and change what: everyone reads a dashboard, all but
// auditors arrange their own, only administrators a role's and the KPI
// definitions; a requester downloads only their organisation's reports.
func TestDashboardPagePermissions(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var staffRun, customerRun int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM report_runs WHERE customer_id IS NULL AND file_size > 0").Scan(&staffRun); err != nil {
		t.Fatal(err)
	}
	_, cust := s.userID(t, "requester@steward.demo")
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM report_runs WHERE customer_id = ?", cust).Scan(&customerRun); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path    string
		allowed []string
	}{
		{"/dashboard", []string{"admin", "agent", "auditor", "requester"}},
		{"/dashboard?board=desk-lead", []string{"admin", "agent", "auditor"}},
		{"/dashboard/edit", []string{"admin", "agent", "requester"}},
		{"/dashboard/edit?board=service-owner", []string{"admin"}},
		{"/kpi-definitions", []string{"admin", "agent", "auditor"}},
		{"/kpi-definitions/incident-within-sla", []string{"admin", "agent", "auditor"}},
		{"/kpi-definitions/new", []string{"admin"}},
		{"/report-runs/" + strconv.FormatInt(staffRun, 10) + "/file", []string{"admin", "agent", "auditor"}},
		{"/report-runs/" + strconv.FormatInt(customerRun, 10) + "/file", []string{"admin", "agent", "auditor", "requester"}},
	} {
		for _, role := range []string{"admin", "agent", "auditor", "requester"} {
			p := s.signedIn(role).get(c.path)
			allowed := false
			for _, a := range c.allowed {
				allowed = allowed || a == role
			}
			if allowed != (p.status == http.StatusOK) || !allowed && p.status != http.StatusForbidden && p.status != http.StatusNotFound {
				t.Errorf("%s GET %s: %d (allowed: %v)", role, c.path, p.status, allowed)
			}
		}
		if p := s.browser().get(c.path); p.status != http.StatusSeeOther {
			t.Errorf("a stranger GET %s: %d", c.path, p.status)
		}
	}

	rq := s.signedIn("requester")
	if p := rq.get("/dashboard"); !strings.Contains(p.body, "Figures for ") || strings.Contains(p.body, "tile-p1-within-sla") {
		t.Errorf("the requester's dashboard is not their organisation's alone")
	}
	if p := rq.get("/report-runs/" + strconv.FormatInt(customerRun, 10) + "/file"); !strings.HasPrefix(p.body, "%PDF") {
		t.Errorf("the requester's report is not a PDF: %.40q", p.body)
	}

	agent := s.signedIn("agent")
	agent.get("/dashboard/edit")
	if p := agent.post("/dashboard/edit", url.Values{"board": {"desk-lead"}, "do": {"add"}, "add": {"incident-backlog"}}); p.status != http.StatusForbidden {
		t.Errorf("an agent arranged the desk lead's dashboard: %d", p.status)
	}
	if p := agent.post("/dashboard/edit", url.Values{"board": {"mine"}, "do": {"add"}, "add": {"sla-breaches"}}); p.status != http.StatusSeeOther {
		t.Errorf("an agent arranging their own: %d", p.status)
	}
	if p := agent.get("/dashboard"); !strings.Contains(p.body, `id="tile-sla-breaches"`) {
		t.Error("the agent's own dashboard does not hold the tile they added")
	}

	admin := s.signedIn("admin")
	admin.get("/kpi-definitions/new")
	p := admin.post("/kpi-definitions", url.Values{"title": {"Acme backlog"}, "metric": {"problem.opened"}, "period": {"week"},
		"filter_group": {"1"}, "target": {"many"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "must be a number") {
		t.Errorf("a bad target: %d", p.status)
	}
	p = admin.post("/kpi-definitions", url.Values{"title": {"Acme backlog"}, "metric": {"problem.opened"}, "period": {"week"}, "filter_group": {"1"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "cannot be narrowed by group") {
		t.Errorf("a filter the measure does not take: %d", p.status)
	}
	p = admin.post("/kpi-definitions", url.Values{"title": {"Backlog of group 1"}, "metric": {"incident.backlog"}, "period": {"day"}, "filter_group": {"1"}})
	if p.status != http.StatusSeeOther || p.location != "/kpi-definitions/backlog-of-group-1" {
		t.Errorf("a valid KPI: %d %s", p.status, p.location)
	}
}

// A figure links only to a page its reader may open: a requester sees
// their organisation's satisfaction figure without a link to the
// satisfaction report they may not read; staff follow it.
func TestDashboardLinksOnlyWhereTheReaderMayGo(t *testing.T) {
	s := newSite(t)
	rq := s.signedIn("requester").get("/dashboard")
	if !strings.Contains(rq.body, `id="tile-satisfaction-average"`) {
		t.Fatalf("the requester's dashboard has no satisfaction tile")
	}
	if strings.Contains(rq.body, `href="/satisfaction`) || strings.Contains(rq.body, `href="/reports/sla`) {
		t.Errorf("the requester's dashboard links to a report they may not read")
	}
	if p := s.signedIn("requester").get("/satisfaction"); p.status != http.StatusForbidden {
		t.Fatalf("a requester opens /satisfaction: %d", p.status)
	}
	if !strings.Contains(rq.body, `class="dash-figure" href="/?view=open`) {
		t.Errorf("the requester's open incidents do not link to their list")
	}
	admin := s.signedIn("admin").get("/dashboard?board=sms-manager")
	if !strings.Contains(admin.body, `href="/satisfaction`) {
		t.Errorf("the administrator's satisfaction figure does not link to the report")
	}
}
