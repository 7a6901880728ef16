package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"steward/internal/incident"
)

// An agent opens a problem from the pages, records it as a known error,
// and applies its workaround from an incident's page; the pages of the
// area answer for those who may read them.
func TestProblemPages(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")
	ctx := context.Background()

	for path, want := range map[string]string{
		"/problems":                       "VPN sessions drop when a gateway certificate expires",
		"/known-errors?q=certificate":     "Renew the certificate on the affected gateway",
		"/problems/trends?weeks=52&min=2": "Recurring incidents",
		"/problems/overview":              "known errors",
		"/problems/new":                   "Open problem",
	} {
		if p := a.get(path); p.status != http.StatusOK || !strings.Contains(html.UnescapeString(p.body), want) {
			t.Errorf("GET %s: %d, want %q on the page", path, p.status, want)
		}
	}

	// A trend opens a problem with its incidents ticked.
	trends := a.get("/problems/trends?weeks=52&min=2")
	i := strings.Index(trends.body, `href="/problems/new?`)
	if i < 0 {
		t.Fatal("the trends page offers no problem to open")
	}
	open := html.UnescapeString(trends.body[i+len(`href="`):])
	open = open[:strings.Index(open, `"`)]
	form := a.get(open)
	if form.status != http.StatusOK || strings.Count(form.body, `name="incident"`) < 2 || !strings.Contains(form.body, "Recurring") {
		t.Fatalf("the new problem from a trend: %d, %d incidents ticked", form.status, strings.Count(form.body, `name="incident"`))
	}
	q, _ := url.ParseQuery(open[strings.Index(open, "?")+1:])
	p := a.post("/problems", url.Values{"title": {q.Get("title")}, "incident": q["incident"], "ci": {q.Get("ci_id")},
		"service_id": {q.Get("service_id")}, "category": {q.Get("category")}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("opening the problem from a trend: %d", p.status)
	}
	if got := a.get(p.location); strings.Count(got.body, `action="/problems/`+strings.TrimPrefix(p.location, "/problems/")+`/incidents/delete"`) != len(q["incident"]) {
		t.Fatalf("the problem from a trend does not list its %d incidents", len(q["incident"]))
	}

	var printer, other int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM incidents WHERE state <> 'closed' AND title LIKE 'Laptop%' ORDER BY id LIMIT 1").Scan(&printer); err != nil {
		t.Fatal(err)
	}
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM incidents WHERE state <> 'closed' AND id <> ? ORDER BY id LIMIT 1", printer).Scan(&other); err != nil {
		t.Fatal(err)
	}
	inc := incident.FormatNumber(printer)

	p = a.post("/problems", url.Values{"title": {"Laptops overheat under load"}, "incidents": {inc + ", INC-999999"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "INC-999999") {
		t.Fatalf("new problem with a missing incident: %d", p.status)
	}
	p = a.post("/problems", url.Values{"title": {"Laptops overheat under load"}, "category": {"hardware"}, "incidents": {incident.FormatNumber(other)}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/problems/PRB-") {
		t.Fatalf("new problem: %d %q", p.status, p.location)
	}
	prb := strings.TrimPrefix(p.location, "/problems/")
	detail := a.get(p.location)
	if !strings.Contains(detail.body, "Problem opened.") || !strings.Contains(detail.body, incident.FormatNumber(other)) {
		t.Fatal("the new problem's page lacks the notice or its incident")
	}
	if p := a.post("/problems/"+prb+"/move", url.Values{"version": {versionOf(t, detail)}, "state": {"investigating"}}); p.status != http.StatusSeeOther {
		t.Fatalf("investigate: %d", p.status)
	}
	detail = a.get("/problems/" + prb)
	v := versionOf(t, detail)
	p = a.post("/problems/"+prb+"/move", url.Values{"version": {v}, "state": {"known_error"}, "root_cause": {"Dust in the fans."}, "workaround": {""}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "is required with the move to known error") || !strings.Contains(p.body, "Dust in the fans.") {
		t.Fatalf("known error without a workaround: %d", p.status)
	}
	p = a.post("/problems/"+prb+"/move", url.Values{"version": {v}, "state": {"closed"}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, "cannot move from investigating to closed") {
		t.Fatalf("investigating -> closed: %d", p.status)
	}
	p = a.post("/problems/"+prb+"/move", url.Values{"version": {v}, "state": {"known_error"}, "root_cause": {"Dust in the fans."},
		"workaround": {"Run the laptop on its stand with power saving on."}, "cause_category": {"hardware"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("known error: %d %s", p.status, p.body)
	}
	if p := a.post("/problems/"+prb+"/cis", url.Values{"ci": {"no such ci at all"}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("linking a missing CI: %d", p.status)
	}

	if p := a.post("/problems/"+prb+"/notes", url.Values{"body": {""}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty note: %d", p.status)
	}
	if p := a.post("/problems/"+prb+"/notes", url.Values{"body": {"Only the 14-inch models."}}); p.status != http.StatusSeeOther {
		t.Fatalf("a note: %d", p.status)
	}
	if p := a.get("/problems/" + prb); !strings.Contains(p.body, "Note added.") || !strings.Contains(p.body, "Only the 14-inch models.") {
		t.Fatal("the note is not on the problem's page")
	}

	var vpn int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM services WHERE name = 'VPN'").Scan(&vpn); err != nil {
		t.Fatal(err)
	}
	detail = a.get("/problems/" + prb)
	p = a.post("/problems/"+prb+"/edit", url.Values{"version": {versionOf(t, detail)}, "services_sent": {"1"},
		"service_ids": {strconv.FormatInt(vpn, 10)}, "fix_change": {"CHG-999999"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Change CHG-999999 does not exist.") {
		t.Fatalf("editing with a missing change: %d", p.status)
	}
	p = a.post("/problems/"+prb+"/edit", url.Values{"version": {versionOf(t, detail)}, "services_sent": {"1"},
		"service_ids": {strconv.FormatInt(vpn, 10)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("editing the services: %d", p.status)
	}
	if got := a.get("/problems/" + prb); !strings.Contains(got.body, `Services:</span> <span class="chg-old">—</span> → <span class="chg-new">VPN</span>`) {
		t.Error("the journal does not name the service added")
	}

	// The incident page suggests it by words and searches the database.
	page := a.get("/incidents/" + inc + "?ke=stand")
	if !strings.Contains(page.body, `id="known-errors"`) || !strings.Contains(page.body, prb) {
		t.Fatalf("the incident's known-error search does not find %s", prb)
	}
	if p := a.post("/incidents/"+inc+"/workaround", url.Values{"problem": {prb}}); p.status != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", p.status, p.body)
	}
	page = a.get("/incidents/" + inc)
	for _, want := range []string{"Workaround applied", "Run the laptop on its stand with power saving on.", "Work note", "Already linked to this incident"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("after applying, the incident page lacks %q", want)
		}
	}
	if p := a.get("/problems/" + prb); !strings.Contains(p.body, inc) {
		t.Error("the problem does not list the incident its workaround was applied to")
	}

	// Requesters see no known errors on their incidents; auditors read
	// problems without forms.
	var mine int64
	_, cust := s.userID(t, "requester@steward.demo")
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM incidents WHERE customer_id = ? ORDER BY id LIMIT 1", cust).Scan(&mine); err != nil {
		t.Fatal(err)
	}
	if p := s.signedIn("requester").get("/incidents/" + incident.FormatNumber(mine)); p.status != http.StatusOK || strings.Contains(p.body, "known-errors") {
		t.Errorf("requester's incident page: %d, known errors shown: %v", p.status, strings.Contains(p.body, "known-errors"))
	}
	au := s.signedIn("auditor").get("/problems/" + prb)
	if au.status != http.StatusOK || strings.Contains(au.body, `/move"`) || strings.Contains(au.body, `/edit"`) {
		t.Errorf("auditor's problem page: %d, with forms", au.status)
	}
}
