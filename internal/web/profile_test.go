package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/internal/demo"
	"steward/internal/store"
)

func TestProfileSetsTheZoneOfEveryDate(t *testing.T) {
	s := newSite(t)
	inc := s.incidents(t, 0, false)
	var created store.Time
	if err := s.app.DB.QueryRow(context.Background(), "SELECT created_at FROM incidents WHERE id = ?", inc.ID).Scan(&created); err != nil {
		t.Fatal(err)
	}
	inc.CreatedAt = created.Time
	ag := s.signedIn("agent")
	if p := ag.get("/profile"); p.status != http.StatusOK || !strings.Contains(p.body, "Time zone") {
		t.Fatalf("profile page: %d", p.status)
	}
	// A wrong zone is refused with what to type, and what was typed stays.
	p := ag.post("/profile", url.Values{"time_zone": {"Mars/Olympus"}, "locale": {"iso"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "is not a time zone we know") ||
		!strings.Contains(p.body, `value="Mars/Olympus"`) {
		t.Fatalf("a wrong zone: %d", p.status)
	}
	if p := ag.post("/profile", url.Values{"time_zone": {"Asia/Tokyo"}, "locale": {"iso"}}); p.status != http.StatusSeeOther {
		t.Fatalf("saving: %d %s", p.status, p.body)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	want := inc.CreatedAt.In(tokyo).Format("2006-01-02 15:04")
	page := ag.get("/incidents/" + inc.Number)
	if !strings.Contains(page.body, want) {
		t.Errorf("the incident page does not show its creation in Tokyo time as %q", want)
	}
	if strings.Contains(page.body, inc.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC")) {
		t.Error("the incident page still shows UTC")
	}
	// Someone else still reads UTC in the default format.
	other := s.signedIn("admin").get("/incidents/" + inc.Number)
	if !strings.Contains(other.body, inc.CreatedAt.UTC().Format("Mon 2 Jan 2006, 15:04")) {
		t.Errorf("another agent's page lost the default format")
	}
	// Signing in from a browser takes its zone while none is chosen.
	rq := s.browser()
	m := hiddenCSRF.FindStringSubmatch(rq.get("/login").body)
	if m == nil {
		t.Fatal("no sign-in token")
	}
	if p := rq.post("/login", url.Values{"csrf_token": {m[1]}, "email": {"requester@steward.demo"}, "password": {demo.Password},
		"tz": {"America/Chicago"}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.status)
	}
	if p := rq.get("/profile"); !strings.Contains(p.body, `value="America/Chicago"`) {
		t.Error("the browser's zone was not taken at sign-in")
	}

	// Every role has a profile; strangers are sent to sign in.
	for _, role := range []string{"requester", "auditor", "admin"} {
		if p := s.signedIn(role).get("/profile"); p.status != http.StatusOK {
			t.Errorf("%s: profile %d", role, p.status)
		}
	}
	if p := s.browser().get("/profile"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("a stranger: %d %s", p.status, p.location)
	}
}
