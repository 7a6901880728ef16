package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var createdAt = regexp.MustCompile(`/continuity-(plans|tests|invocations)/(\d+)`)

// idOf is the id a create redirected to.
func idOf(t *testing.T, p page) string {
	t.Helper()
	m := createdAt.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("no redirect to the record: %d %q %s", p.status, p.location, p.body)
	}
	return m[2]
}

// The overview a service owner opens first names each service's gaps in
// words: the demo's missed RTO, its plan untested for over a year and its
// service with requirements but no plan; requesters do not see it.
func TestContinuityOverview(t *testing.T) {
	s := newSite(t)
	p := s.signedIn("agent").get("/continuity")
	if p.status != 200 {
		t.Fatalf("overview: %d", p.status)
	}
	for _, want := range []string{"3 services need attention", "took 5 h 20 min, beyond the RTO of 4 h",
		"Not tested for over 12 months", "Has an RTO of 4 h but no plan in force covers it", "Reviewed"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	if strings.Contains(p.body, "missed_rto") && !strings.Contains(p.body, `data-flag="missed_rto"`) {
		t.Error("a flag's code shows as words")
	}
	if rq := s.signedIn("requester").get("/continuity"); rq.status != http.StatusForbidden {
		t.Fatalf("a requester opens continuity: %d", rq.status)
	}
	if au := s.signedIn("auditor").get("/continuity"); au.status != 200 || strings.Contains(au.body, "Set requirements") {
		t.Fatalf("the auditor reads without the forms: %d", au.status)
	}
}

// Requirements, a plan, its steps, contacts and approval, a test and an
// invocation, all from forms; bad input comes back with its field named
// and what was typed kept.
func TestContinuityForms(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var svc string
	if err := s.app.DB.QueryRow(ctx, "SELECT CAST(id AS TEXT) FROM services WHERE name = 'Payroll'").Scan(&svc); err != nil {
		t.Fatal(err)
	}
	agent, admin := s.signedIn("agent"), s.signedIn("admin")
	bad := agent.post("/continuity/requirements", url.Values{"service_id": {svc}, "rto": {"0"}, "rpo": {"45"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "More than zero") && !strings.Contains(bad.body, "more than zero") ||
		!strings.Contains(bad.body, "Say the unit") && !strings.Contains(bad.body, "say the unit") || !strings.Contains(bad.body, `value="45"`) {
		t.Fatalf("an RTO of zero: %d", bad.status)
	}
	if ok := agent.post("/continuity/requirements", url.Values{"service_id": {svc}, "rto": {"1 day"}, "rpo": {"4h"}, "min_service_level": {"Pay runs on time"}}); ok.status != http.StatusSeeOther {
		t.Fatalf("a requirement: %d %s", ok.status, ok.body)
	}
	if p := agent.get("/continuity"); !strings.Contains(p.body, "1 day") || !strings.Contains(p.body, "Pay runs on time") {
		t.Fatal("the requirement does not show")
	}

	if p := agent.post("/continuity-plans", url.Values{"title": {""}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "at least one service") {
		t.Fatalf("an empty plan: %d", p.status)
	}
	plan := "/continuity-plans/" + idOf(t, agent.post("/continuity-plans", url.Values{"title": {"Payroll recovery"}, "service_ids": {svc}}))
	for _, st := range []string{"Restore the payroll database", "Rerun the payroll"} {
		if p := agent.post(plan+"/steps", url.Values{"title": {st}}); p.status != http.StatusSeeOther {
			t.Fatalf("add step: %d %s", p.status, p.body)
		}
	}
	if p := agent.post(plan+"/steps/2", url.Values{"do": {"up"}}); p.status != http.StatusSeeOther {
		t.Fatalf("move step: %d", p.status)
	}
	if p := agent.post(plan+"/contacts", url.Values{"name": {"Payroll bureau"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `value="Payroll bureau"`) {
		t.Fatalf("a contact nobody can reach: %d", p.status)
	}
	if p := agent.post(plan+"/approve", nil); p.status != http.StatusForbidden {
		t.Fatalf("an agent approves: %d", p.status)
	}
	if p := admin.post(plan+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", p.status, p.body)
	}
	p := agent.get(plan)
	if i, j := strings.Index(p.body, "Rerun the payroll"), strings.Index(p.body, "Restore the payroll database"); i < 0 || j < i || !strings.Contains(p.body, "Approved") {
		t.Fatal("the plan's steps are not in the order chosen, or it is not approved")
	}
	planID := strings.TrimPrefix(plan, "/continuity-plans/")

	tomorrow := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	if p := agent.post("/continuity-tests", url.Values{"plan_id": {planID}, "kind": {"simulation"}, "held_on": {tomorrow}, "rto_achieved": {"2 days"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "cannot be in the future") && !strings.Contains(p.body, "Cannot be in the future") {
		t.Fatalf("a test in the future: %d", p.status)
	}
	test := "/continuity-tests/" + idOf(t, agent.post("/continuity-tests", url.Values{"plan_id": {planID}, "kind": {"full_failover"},
		"held_on": {time.Now().AddDate(0, 0, -1).Format(time.DateOnly)}, "rto_achieved": {"1 day 2 h"}, "rpo_achieved": {"1h"}, "issues": {"The bureau's line was busy."}}))
	if p := agent.get(test); !strings.Contains(p.body, "Missed") || !strings.Contains(p.body, "1 day 2 h") || !strings.Contains(p.body, "Full failover") {
		t.Fatal("the test is not judged against the RTO")
	}
	if p := agent.post(test+"/actions", url.Values{"title": {"Add a second line to the bureau"}, "due_on": {tomorrow}}); p.status != http.StatusSeeOther {
		t.Fatalf("action: %d", p.status)
	}
	if p := agent.get("/continuity"); !strings.Contains(p.body, "took 1 day 2 h, beyond the RTO of 1 day") {
		t.Fatal("the overview does not flag the missed RTO")
	}

	if p := agent.post("/continuity-invocations", url.Values{"plan_id": {planID}, "started_at": {"2026-01-10T09:00"}, "ended_at": {"2026-01-10T08:00"},
		"summary": {"Bureau down"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "after the start") {
		t.Fatalf("an end before the start: %d", p.status)
	}
	inv := "/continuity-invocations/" + idOf(t, agent.post("/continuity-invocations", url.Values{"plan_id": {planID},
		"started_at": {"2026-01-10T09:00"}, "ended_at": {"2026-01-10T15:30"}, "summary": {"Bureau down"}}))
	if p := agent.get(inv); !strings.Contains(p.body, "6 h 30 min") || !strings.Contains(p.body, "write its post-invocation review") {
		t.Fatal("the invocation's recovery or its awaited review does not show")
	}
	if p := agent.post(inv, url.Values{"started_at": {"2026-01-10T09:00"}, "ended_at": {"2026-01-10T15:30"}, "summary": {"Bureau down"},
		"review": {"Worked; the bureau needs a second line."}}); p.status != http.StatusSeeOther {
		t.Fatalf("review: %d %s", p.status, p.body)
	}
	if p := s.signedIn("auditor").get(inv); !strings.Contains(p.body, "Worked; the bureau needs a second line.") || strings.Contains(p.body, `name="review"`) {
		t.Fatal("the auditor does not read the review, or gets its form")
	}
}
