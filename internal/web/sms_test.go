package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The management system's pages show the demo's records: overdue issues
// flagged, the climate decision, processes without an owner, the scope
// in force and the draft, and the competence gaps.
func TestSMSPagesShowTheRecords(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("auditor")
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/context", []string{"Overdue", "Judged relevant", "Heat waves and cooling of the server room"}},
		{"/context?show=overdue", []string{"New data protection guidance for health data"}},
		{"/parties", []string{"Contoso Health", "No requirements", "Regulator"}},
		{"/scope", []string{"In force: version 1", "Draft: version 2", "service added: Driver app", "locations changed"}},
		{"/processes", []string{"No owner", "Budgeting and accounting for services", "→ Problem management"}},
		{"/processes/incident", []string{"Alex Agent", "Run a major incident", "Problem management"}},
		{"/competence", []string{"Sam Patel", "Not assessed", "Expired", "Cisco CCNP Enterprise", "Check pending"}},
		{"/competence/setup", []string{"Service desk agent", "Networking"}},
		{"/trainings", []string{"CISSP", "Certification"}},
	} {
		p := b.get(c.path)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s: %d", c.path, p.status)
		}
		for _, w := range c.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s does not show %q", c.path, w)
			}
		}
		// The auditor reads; the only form that changes anything is signing out.
		if n := strings.Count(p.body, `method="post"`); n != 1 {
			t.Errorf("%s offers the auditor %d POST forms, want only sign-out", c.path, n)
		}
	}
	var sam int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM users WHERE email = 'sam.patel@steward.demo'").Scan(&sam); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/competence/people/" + strconv.FormatInt(sam, 10)); p.status != 200 || !strings.Contains(p.body, "ITIL 4 Foundation") || !strings.Contains(p.body, "Check overdue") {
		t.Errorf("Sam's page: %d", p.status)
	}
}

// Bad input comes back beside its field with everything typed kept.
func TestSMSFormsKeepInput(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("admin")
	b.get("/context/new")
	p := b.post("/context", url.Values{"title": {"Energy prices"}, "origin": {"external"}, "category": {"Economic"}, "effect": {"Hosting costs rise"},
		"identified_on": {"2026-05-01"}, "review_due": {"2026-04-01"}, "status": {"open"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "must not be before the date the issue was identified") ||
		!strings.Contains(p.body, `value="Energy prices"`) || !strings.Contains(p.body, "Hosting costs rise") {
		t.Fatalf("review before identification: %d %s", p.status, p.body)
	}
	p = b.post("/context", url.Values{"title": {"Energy prices"}, "origin": {"external"}, "identified_on": {"2026-05-01"}, "review_due": {"2027-05-01"}, "status": {"open"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/context/") {
		t.Fatalf("good issue: %d %s", p.status, p.location)
	}
	// Two people accountable for one activity: the message stands beside the second.
	pg := b.get("/processes/problem")
	ver := versionOf(t, pg)
	var agent, jonas int64
	ctx := context.Background()
	s.app.DB.QueryRow(ctx, "SELECT id FROM users WHERE email = 'agent@steward.demo'").Scan(&agent)
	s.app.DB.QueryRow(ctx, "SELECT id FROM users WHERE email = 'jonas.berg@steward.demo'").Scan(&jonas)
	form := url.Values{"version": {ver}, "rows": {"3"},
		"activity_0": {"Find root causes"}, "who_0": {"u:" + strconv.FormatInt(agent, 10)}, "letter_0": {"A"},
		"activity_1": {"Find root causes"}, "who_1": {"u:" + strconv.FormatInt(jonas, 10)}, "letter_1": {"A"}}
	p = b.post("/processes/problem/raci", form)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "already has someone accountable") || !strings.Contains(p.body, `value="Find root causes"`) {
		t.Fatalf("two A's: %d", p.status)
	}
	form.Set("letter_1", "R")
	if p = b.post("/processes/problem/raci", form); p.status != http.StatusSeeOther {
		t.Fatalf("good RACI: %d %s", p.status, p.body)
	}
	if p = b.get("/processes/problem"); !strings.Contains(p.body, `value="Find root causes"`) {
		t.Error("the saved RACI is not shown")
	}
	// A stale version is refused, not silently applied.
	form.Set("letter_1", "C")
	if p = b.post("/processes/problem/raci", form); p.status != http.StatusConflict {
		t.Errorf("stale RACI form: %d", p.status)
	}
	// A training that expires before it was completed.
	p = b.post("/trainings", url.Values{"user_id": {strconv.FormatInt(jonas, 10)}, "kind": {"certification"}, "title": {"AWS SysOps"},
		"completed_on": {"2026-03-01"}, "expires_on": {"2025-03-01"}, "effectiveness": {"pending"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "must be after the date it was completed") || !strings.Contains(p.body, `value="AWS SysOps"`) {
		t.Errorf("expiry before completion: %d", p.status)
	}
}
