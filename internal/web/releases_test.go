package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var releaseNumber = regexp.MustCompile(`/releases/(REL-\d{6})$`)

// An administrator plans a release from the form (a window that ends
// before it starts is refused in place), moves it to testing, records a
// deployment and verifies it; the CI's page shows that deployment, and
// agents read the release without the forms that change it.
func TestReleasePages(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var ciID, ciName string
	if err := s.app.DB.QueryRow(ctx, `SELECT CAST(c.id AS TEXT), c.name FROM cis c JOIN ci_types t ON t.id = c.type_id
		WHERE t.name = 'Server' ORDER BY c.id LIMIT 1`).Scan(&ciID, &ciName); err != nil {
		t.Fatal(err)
	}
	admin := s.signedIn("admin")
	if p := admin.get("/releases"); p.status != 200 || !strings.Contains(p.body, "Customer portal 4.2") {
		t.Fatalf("release list: %d, demo release missing", p.status)
	}
	form := url.Values{"title": {"Billing 2.0"}, "type": {"major"}, "planned_start": {"2026-05-02T10:00"}, "planned_end": {"2026-05-01T10:00"}}
	p := admin.post("/releases", form)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "after the planned start") || !strings.Contains(p.body, `value="Billing 2.0"`) {
		t.Fatalf("end before start: %d", p.status)
	}
	form.Set("planned_end", "2026-05-02T18:00")
	form.Set("changes", "CHG-999999")
	if p := admin.post("/releases", form); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "CHG-999999 does not exist") {
		t.Fatalf("unknown change: %d", p.status)
	}
	form.Del("changes")
	p = admin.post("/releases", form)
	m := releaseNumber.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q", p.status, p.location)
	}
	num := m[1]
	page := admin.get("/releases/" + num)
	if !strings.Contains(page.body, "Release created.") || !strings.Contains(page.body, "Billing 2.0") || strings.Contains(page.body, "2026-05-02T10:00:00Z") {
		t.Fatalf("release page after creating it lacks its notice or shows a raw instant")
	}
	version := func() string {
		v := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(admin.get("/releases/" + num).body)
		return v[1]
	}
	for _, to := range []string{"building", "testing"} {
		if p := admin.post("/releases/"+num+"/state", url.Values{"to": {to}, "version": {version()}}); p.status != http.StatusSeeOther {
			t.Fatalf("to %s: %d %s", to, p.status, p.body)
		}
	}
	// Deploying needs test results: the page says so and nothing moves.
	p = admin.post("/releases/"+num+"/state", url.Values{"to": {"deploying"}, "version": {version()}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, "Start deploying needs the acceptance criteria and the test results") {
		t.Fatalf("deploying without tests: %d", p.status)
	}
	if p := admin.post("/releases/"+num+"/deployments", url.Values{"environment": {"Live!"}, "ci": {ciID}, "version": {"2.0.0"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "lower-case name") {
		t.Fatalf("bad environment: %d", p.status)
	}
	if p := admin.post("/releases/"+num+"/deployments", url.Values{"environment": {"test"}, "ci": {ciName}, "version": {"2.0.0"}}); p.status != http.StatusSeeOther {
		t.Fatalf("deploy: %d %s", p.status, p.body)
	}
	page = admin.get("/releases/" + num)
	did := regexp.MustCompile(`action="/releases/` + num + `/deployments/(\d+)"`).FindStringSubmatch(page.body)
	if did == nil || !strings.Contains(page.body, "Pending verification") {
		t.Fatalf("the deployment is not on the page")
	}
	if p := admin.post("/releases/"+num+"/deployments/"+did[1], url.Values{"act": {"verify"}, "verification": {"maybe"}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("verification maybe: %d", p.status)
	}
	if p := admin.post("/releases/"+num+"/deployments/"+did[1], url.Values{"act": {"verify"}, "verification": {"passed"}, "verification_notes": {"Invoices render."}}); p.status != http.StatusSeeOther {
		t.Fatalf("verify: %d", p.status)
	}
	if page = admin.get("/releases/" + num); !strings.Contains(page.body, "Verification passed") || !strings.Contains(page.body, "Invoices render.") {
		t.Fatalf("the verification is not on the page")
	}
	ci := admin.get("/cis/" + ciID)
	if !strings.Contains(ci.body, `id="deps-title"`) || !strings.Contains(ci.body, num) || !strings.Contains(ci.body, "2.0.0") {
		t.Fatalf("the CI page does not show the deployment")
	}

	// The shared panels: a release links to an incident; a missing target is refused in place.
	if p := admin.post("/releases/"+num+"/links", url.Values{"type": {"related"}, "target": {"INC-999999"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Billing 2.0") {
		t.Fatalf("link to a missing record: %d", p.status)
	}
	if p := admin.post("/releases/"+num+"/links", url.Values{"type": {"related"}, "target": {"INC-000001"}}); p.status != http.StatusSeeOther {
		t.Fatalf("link: %d %s", p.status, p.body)
	}
	if page := admin.get("/releases/" + num); !strings.Contains(page.body, "INC-000001") {
		t.Fatalf("the linked incident is not on the release's page")
	}

	agent := s.signedIn("agent")
	page = agent.get("/releases/" + num)
	if page.status != 200 || strings.Contains(page.body, "Record a deployment") || strings.Contains(page.body, `action="/releases/`+num+`/state"`) {
		t.Fatalf("agent's view: %d, or it offers changes", page.status)
	}
	if p := agent.post("/releases/"+num+"/state", url.Values{"to": {"cancelled"}, "version": {"1"}}); p.status != http.StatusForbidden {
		t.Fatalf("agent moved a release: %d", p.status)
	}
	au := s.signedIn("auditor")
	for _, path := range []string{"/releases", "/releases/REL-000001", "/releases/" + num, "/cis/" + ciID} {
		p := au.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("auditor on %s: %d", path, p.status)
		}
		if n := strings.Count(p.body, `method="post"`); n != 1 {
			t.Errorf("auditor on %s: %d POST forms, want only sign-out", path, n)
		}
	}
	if p := s.signedIn("requester").get("/releases/" + num); p.status != http.StatusForbidden {
		t.Fatalf("requester opened a release: %d", p.status)
	}
}
