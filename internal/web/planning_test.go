package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The demo's planning pages tell the truth a reader needs first: what is
// above the appetite untreated, what is overdue, what is off track.
func TestPlanningPagesShowWhatNeedsAttention(t *testing.T) {
	s := newSite(t)
	admin, agent := s.signedIn("admin"), s.signedIn("agent")
	for _, c := range []struct {
		who  *browser
		path string
		want []string
		not  []string
	}{
		{admin, "/risks", []string{"2 risks are above the appetite without a treatment", "1 review is overdue", `id="heat-inherent-3-5"`,
			`href="/risks/new"`, "Not decided yet"}, []string{"undecided"}},
		{agent, "/risks", []string{"Ransomware encrypts file shares"}, []string{`href="/risks/new"`}},
		{agent, "/risks?untreated=1", []string{"Ransomware encrypts file shares", "Key person for the nightly ERP batch"}, []string{"Printer fleet"}},
		{admin, "/objectives", []string{"On track", "Off track", "at most"}, []string{"at_most", "on_track"}},
		{admin, "/improvements", []string{"Improved", "Known-error panel on the incident page", "In progress", "Rejected"}, []string{"in_progress"}},
		{admin, "/service-reports", []string{"1 report is overdue", "Weekly major incident summary"}, nil},
		{agent, "/kpis", []string{"Incidents resolved within SLA", "Mean days to close a nonconformity", "No data", `href="/reports/sla?kind=incident"`}, nil},
		{admin, "/risk-criteria", []string{"Almost certain", `name="appetite"`}, nil},
		{agent, "/risks/1", []string{"Single database cluster for ERP", "Treatment plan"}, []string{`name="title"`}},
		{admin, "/objectives/1", []string{"Since the start", `name="metric_key"`}, nil},
		{agent, "/improvements/1", []string{"Evaluation criteria", "Improved"}, []string{`action="/improvements/1/act"`}},
		{admin, "/service-reports/1", []string{"Record a report produced", "Customers&#39; service owners"}, nil},
		{agent, "/service-reports/2", []string{"overdue", "Produced"}, []string{"Record a report produced"}},
	} {
		p := c.who.get(c.path)
		if p.status != http.StatusOK {
			t.Errorf("%s: %d", c.path, p.status)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s: no %q", c.path, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(visibleText(p.body), n) || (strings.ContainsAny(n, "=") && strings.Contains(p.body, n)) {
				t.Errorf("%s shows %q", c.path, n)
			}
		}
	}
}

func TestRiskFormKeepsWhatWasTyped(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	adminID, _ := s.userID(t, "admin@steward.demo")
	p := admin.post("/risks", url.Values{"title": {"Flooded basement"}, "kind": {"risk"}, "likelihood": {""}, "impact": {"4"},
		"treatment": {"exploit"}, "status": {"open"}, "owner_id": {strconv.FormatInt(adminID, 10)}, "review_due": {"next week"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad risk: %d", p.status)
	}
	for _, w := range []string{`value="Flooded basement"`, "This field must be a level from 1 to 5.", "A risk is reduced, accepted, avoided or transferred",
		`value="next week"`, `<option value="4" selected>`} {
		if !strings.Contains(p.body, w) {
			t.Errorf("form came back without %q", w)
		}
	}
	p = admin.post("/risks", url.Values{"title": {"Flooded basement"}, "kind": {"risk"}, "likelihood": {"2"}, "impact": {"4"},
		"treatment": {"undecided"}, "status": {"open"}, "owner_id": {strconv.FormatInt(adminID, 10)}, "ci": {"no such CI anywhere"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "No CI named") {
		t.Errorf("unknown CI: %d", p.status)
	}
	p = admin.post("/risks", url.Values{"title": {"Flooded basement"}, "kind": {"risk"}, "likelihood": {"2"}, "impact": {"4"},
		"treatment": {"undecided"}, "status": {"open"}, "owner_id": {strconv.FormatInt(adminID, 10)}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/risks/") {
		t.Fatalf("good risk: %d %s", p.status, p.location)
	}
	if page := admin.get(p.location); !strings.Contains(page.body, "8 Medium") {
		t.Errorf("risk page does not show score 8, medium")
	}

	// Criteria whose bands fall are refused, the rows kept as typed.
	form := url.Values{"version": {"1"}, "appetite": {"8"}, "band_name": {"low", "high", ""}, "band_max": {"12", "6", ""}}
	for i := 0; i < 5; i++ {
		form.Add("likelihood", "L"+strconv.Itoa(i))
		form.Add("impact", "I"+strconv.Itoa(i))
	}
	p = admin.post("/risk-criteria", form)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "The thresholds must rise") || !strings.Contains(p.body, `value="L3"`) {
		t.Errorf("falling bands: %d", p.status)
	}
}

func TestImprovementApprovalAsksForCriteria(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	p := admin.post("/improvements", url.Values{"title": {"Chat for the service desk"}, "source": {"customer"}, "priority": {"low"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("propose: %d", p.status)
	}
	p = admin.post(p.location+"/act", url.Values{"action": {"approve"}, "version": {"1"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Describe how the improvement will be evaluated before approving it") {
		t.Errorf("approval without criteria: %d", p.status)
	}
	// The form below still holds the improvement, ready for the criteria.
	if !strings.Contains(p.body, `value="Chat for the service desk"`) {
		t.Error("the refused approval emptied the improvement's form")
	}
}
