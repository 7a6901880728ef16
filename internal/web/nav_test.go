package web_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var navLink = regexp.MustCompile(`<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>`)
var navMenu = regexp.MustCompile(`<summary( class="is-current")?>([^<]+)</summary>`)

// topBar reads the links and menus of a page's main navigation.
func topBar(t *testing.T, body string) (links []string, current []string, menus []string, lit []string) {
	t.Helper()
	i := strings.Index(body, `<nav class="nav" id="main-nav" aria-label="Main">`)
	j := strings.Index(body, `</nav>`)
	if i < 0 || j < i {
		t.Fatalf("no main navigation on the page")
	}
	nav := body[i:j]
	for _, m := range navLink.FindAllStringSubmatch(nav, -1) {
		links = append(links, m[3])
		if m[2] != "" {
			current = append(current, m[3])
		}
	}
	for _, m := range navMenu.FindAllStringSubmatch(nav, -1) {
		menus = append(menus, m[2])
		if m[1] != "" {
			lit = append(lit, m[2])
		}
	}
	return
}

func TestTopBarFollowsRolesAndPage(t *testing.T) {
	s := newSite(t)
	cases := []struct {
		role       string
		path       string
		links      []string
		menus      []string
		current    string
		litMenu    string
		notVisible []string
	}{
		{"admin", "/", []string{"Dashboard", "Incidents", "Requests", "Request catalogue", "Approvals", "Knowledge", "Services",
			"Problem queue", "Known errors", "Trends", "Overview", "Configuration items", "CI types", "Baselines", "Imports", "Assets &amp; licences",
			"Changes", "Change overview", "Standard changes", "Approval policy", "Change calendar", "Freeze periods", "Releases", "Breaching soon", "SLA report", "Agreements", "Business calendars", "Without a clock",
			"Satisfaction", "Complaints", "Service reviews",
			"Alert console", "Unmapped devices", "Integrations", "Processing settings",
			"Context &amp; parties", "Scope", "Processes", "Competence", "Documents", "To acknowledge",
			"Risks", "Objectives", "Improvements", "Service reports", "KPIs", "KPI definitions",
			"Readiness", "Roadmap", "Snapshots", "Internal audits", "Nonconformities", "Management reviews", "Actions",
			"Customers", "Groups", "Users", "Managers", "Audit trail", "Priority matrix", "Failed jobs",
			"Outgoing mail", "Incoming mail", "Incoming mail log", "Webhooks", "Single sign-on", "Surveys &amp; complaints",
			"Security groups",
			"Availability", "Outages", "Capacity", "Capacity plans", "Demand", "Continuity", "Continuity plans",
			"Security incidents", "Controls", "Vulnerabilities", "Costs &amp; budgets", "Cost-benefit"},
			[]string{"Requests", "Problems", "Configuration", "Changes", "Service levels", "Events", "Management system", "Compliance", "Organisation", "Administration", "Assurance"}, "Incidents", "", nil},
		{"admin", "/admin/single-sign-on", nil, nil, "Single sign-on", "Administration", nil},
		{"auditor", "/availability", nil, nil, "Availability", "Assurance", nil},
		{"agent", "/outages", nil, nil, "Outages", "Assurance", nil},
		{"admin", "/admin/mail", nil, nil, "Outgoing mail", "Administration", nil},
		{"admin", "/compliance/roadmap", nil, nil, "Roadmap", "Compliance", nil},
		{"auditor", "/compliance", nil, nil, "Readiness", "Compliance", nil},
		{"admin", "/calendars", nil, nil, "Business calendars", "Service levels", nil},
		{"admin", "/managers", nil, nil, "Managers", "Organisation", nil},
		{"agent", "/releases", nil, nil, "Releases", "Changes", nil},
		{"agent", "/settings/priority-matrix", nil, nil, "Priority matrix", "Organisation", []string{"Failed jobs"}},
		{"agent", "/cis", nil, []string{"Requests", "Problems", "Configuration", "Changes", "Service levels", "Events", "Management system", "Compliance", "Organisation", "Administration", "Assurance"}, "Configuration items", "Configuration",
			[]string{"Audit trail", "Failed jobs", "Readiness"}},
		{"requester", "/requests", []string{"Dashboard", "Incidents", "Requests", "Request catalogue", "Approvals", "Help articles", "Services", "My complaints"},
			[]string{"Requests"}, "Requests", "Requests", []string{"Configuration items", "Customers", "Breaching soon", "Priority matrix", "Releases", "Problem queue", "Known errors", "Scope", "Competence", "Risks", "KPIs",
				"Alert console", "Internal audits", "Nonconformities", "Management reviews", "Actions", "Capacity", "Demand", "Continuity", "Continuity plans"}},
		{"agent", "/capacity", nil, nil, "Capacity", "Assurance", nil},
		{"auditor", "/capacity/plans", nil, nil, "Capacity plans", "Assurance", nil},
		{"admin", "/capacity/demand", nil, nil, "Demand", "Assurance", nil},
		{"agent", "/problems/trends", nil, nil, "Trends", "Problems", nil},
		{"auditor", "/scope", nil, nil, "Scope", "Management system", nil},
		{"agent", "/processes/incident", nil, nil, "Processes", "Management system", nil},
		{"admin", "/parties", nil, nil, "Context &amp; parties", "Management system", nil},
		{"auditor", "/known-errors", nil, nil, "Known errors", "Problems", nil},
		{"agent", "/documents/acknowledge", nil, nil, "To acknowledge", "Management system", nil},
		{"auditor", "/documents", nil, nil, "Documents", "Management system", nil},
		{"auditor", "/audit", nil, []string{"Requests", "Problems", "Configuration", "Changes", "Service levels", "Events", "Management system", "Compliance", "Organisation", "Administration", "Assurance"}, "Audit trail", "Organisation",
			[]string{"Approvals", "Failed jobs"}},
		{"agent", "/integrations/settings", nil, nil, "Processing settings", "Events", nil},
		{"admin", "/risks", nil, nil, "Risks", "Management system", nil},
		{"agent", "/objectives", nil, nil, "Objectives", "Management system", nil},
		{"auditor", "/kpis", nil, nil, "KPIs", "Management system", nil},
		{"auditor", "/service-reports", nil, nil, "Service reports", "Management system", nil},
		{"admin", "/improvements", nil, nil, "Improvements", "Management system", nil},
		{"auditor", "/internal-audits", nil, nil, "Internal audits", "Compliance", nil},
		{"agent", "/nonconformities", nil, nil, "Nonconformities", "Compliance", nil},
		{"admin", "/management-reviews", nil, nil, "Management reviews", "Compliance", nil},
		{"agent", "/actions", nil, nil, "Actions", "Compliance", nil},
		{"agent", "/alerts", nil, nil, "Alert console", "Events", nil},
		{"agent", "/alerts/unmapped", nil, nil, "Unmapped devices", "Events", nil},
		{"auditor", "/alerts", nil, nil, "Alert console", "Events", nil},
		{"auditor", "/integrations", nil, nil, "Integrations", "Events", []string{"New integration"}},
		{"auditor", "/costs", nil, nil, "Costs &amp; budgets", "Assurance", nil},
		{"agent", "/costs/benefit", nil, nil, "Cost-benefit", "Assurance", nil},
		{"admin", "/costs/rates", nil, nil, "Costs &amp; budgets", "Assurance", nil},
		{"agent", "/continuity", nil, nil, "Continuity", "Assurance", nil},
		{"auditor", "/continuity-plans", nil, nil, "Continuity plans", "Assurance", nil},
		{"agent", "/security-incidents", nil, nil, "Security incidents", "Assurance", []string{"Security groups"}},
		{"auditor", "/controls", nil, nil, "Controls", "Assurance", []string{"Security groups"}},
		{"agent", "/vulnerabilities", nil, nil, "Vulnerabilities", "Assurance", nil},
		{"admin", "/admin/security-groups", nil, nil, "Security groups", "Administration", nil},
	}
	for _, c := range cases {
		t.Run(c.role+c.path, func(t *testing.T) {
			p := s.signedIn(c.role).get(c.path)
			if p.status != http.StatusOK {
				t.Fatalf("GET %s: %d", c.path, p.status)
			}
			links, current, menus, lit := topBar(t, p.body)
			if c.links != nil && !slices.Equal(links, c.links) {
				t.Errorf("links %q, want %q", links, c.links)
			}
			if c.menus != nil && !slices.Equal(menus, c.menus) && !(len(c.menus) == 0 && len(menus) == 0) {
				t.Errorf("menus %q, want %q", menus, c.menus)
			}
			if !slices.Equal(current, []string{c.current}) {
				t.Errorf("current %q, want only %q", current, c.current)
			}
			if want := []string{c.litMenu}; c.litMenu == "" && len(lit) != 0 || c.litMenu != "" && !slices.Equal(lit, want) {
				t.Errorf("lit menus %q, want %q", lit, c.litMenu)
			}
			for _, l := range c.notVisible {
				if slices.Contains(links, l) {
					t.Errorf("%s sees %q", c.role, l)
				}
			}
		})
	}
}

// A bar with many areas takes a row of its own for its links; a
// requester's few links stay beside the brand.
func TestTopBarRows(t *testing.T) {
	s := newSite(t)
	for role, want := range map[string]bool{"admin": true, "agent": true, "requester": false} {
		p := s.signedIn(role).get("/")
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", role, p.status)
		}
		if got := strings.Contains(p.body, `<header class="topbar topbar-rows">`); got != want {
			t.Errorf("%s: links on a row of their own %v, want %v", role, got, want)
		}
	}
}
