package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/internal/demo"
)

// The requester hears of a hold and a resolution, answers from the
// notification or the incident page, and withdraws what they no longer
// need; a requester of another organisation cannot answer.
func TestIncidentRequesterAnswers(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	rita := s.signedIn("requester")
	ritaID, _ := s.userID(t, "requester@steward.demo")
	anna := s.browser()
	if p := anna.login("anna.lind@contoso.example", demo.Password); p.status != http.StatusSeeOther {
		t.Fatalf("sign in as Anna: %d", p.status)
	}
	anna.get("/")

	made := agent.post("/incidents", url.Values{"title": {"Badge does not open the garage"}, "requester_id": {strconv.FormatInt(ritaID, 10)}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("raise for Rita: %d\n%s", made.status, made.body)
	}
	path := made.location
	number := strings.TrimPrefix(path, "/incidents/")
	page := agent.get(path)
	if !strings.Contains(page.body, "Raised by Alex Agent for Rita Requester") {
		t.Fatalf("the header does not say who raised the incident for whom:\n%s", page.body)
	}
	if p := agent.post(path+"/hold", url.Values{"version": {versionOf(t, page)}, "hold_reason": {"awaiting_requester"}}); p.status != http.StatusSeeOther {
		t.Fatalf("hold: %d", p.status)
	}
	if notes := rita.get("/notifications"); !strings.Contains(notes.body, "Waiting for you: "+number) {
		t.Fatalf("Rita is not told the desk waits for her")
	}
	resolve := func() {
		t.Helper()
		page := agent.get(path)
		if p := agent.post(path+"/resolve", url.Values{"version": {versionOf(t, page)}, "resolution_code": {"fixed"}, "resolution_notes": {"Re-encoded the badge."}}); p.status != http.StatusSeeOther {
			t.Fatalf("resolve: %d\n%s", p.status, p.body)
		}
	}
	resolve()
	if page := agent.get(path); strings.Contains(page.body, `<span class="tag">Awaiting requester</span>`) {
		t.Error("the resolved incident still shows its hold reason")
	}

	if p := anna.post(path+"/confirm", nil); p.status != http.StatusNotFound {
		t.Fatalf("a requester of another organisation confirming: %d, want 404", p.status)
	}
	mine := rita.get(path)
	if !strings.Contains(mine.body, "Is it working again?") || !strings.Contains(mine.body, `action="/incidents/`+number+`/confirm"`) {
		t.Fatalf("Rita's page offers no answer to the resolution")
	}
	if p := rita.post(path+"/reopen", url.Values{"reason": {" "}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "say what is still wrong") {
		t.Fatalf("reopen without a reason: %d", p.status)
	}
	if p := rita.post(path+"/reopen", url.Values{"reason": {"The garage still stays shut."}}); p.status != http.StatusSeeOther {
		t.Fatalf("reopen: %d\n%s", p.status, p.body)
	}
	if page := rita.get(path); !strings.Contains(page.body, "Incident reopened.") || !strings.Contains(page.body, "The garage still stays shut.") {
		t.Fatalf("after the reopen the page lacks the notice or the reason")
	}

	resolve()
	notes := rita.get("/notifications")
	m := regexp.MustCompile(`action="/incidents/` + number + `/confirm"><input type="hidden" name="csrf_token" value="[^"]+"><input type="hidden" name="notification" value="(\d+)">`).FindStringSubmatch(notes.body)
	if m == nil {
		t.Fatalf("the resolution notice offers no confirmation:\n%s", notes.body)
	}
	if n := strings.Count(notes.body, `action="/incidents/`+number+`/confirm"`); n != 1 {
		t.Fatalf("%d notices offer to confirm %s, want only the newest", n, number)
	}
	p := rita.post(path+"/confirm", url.Values{"notification": {m[1]}})
	if p.status != http.StatusSeeOther || p.location != path {
		t.Fatalf("confirm from the notification: %d %q", p.status, p.location)
	}
	if got := s.incident(t, number); got.State != "closed" {
		t.Fatalf("after confirming the incident is %s", got.State)
	}
	if page := rita.get(path); !strings.Contains(page.body, "the resolution is confirmed") || strings.Contains(page.body, "Is it working again?") {
		t.Fatal("after confirming the page lacks the notice or still asks")
	}
	var read bool
	if err := s.app.DB.QueryRow(context.Background(), "SELECT read_at IS NOT NULL FROM notifications WHERE id = ?", m[1]).Scan(&read); err != nil || !read {
		t.Fatalf("the notification answered is not read: %v", err)
	}
	if notes := rita.get("/notifications"); strings.Contains(notes.body, `action="/incidents/`+number+`/confirm"`) {
		t.Error("a closed incident's notice still offers a confirmation")
	}

	own := rita.post("/incidents", url.Values{"title": {"Desk lamp flickers"}})
	if own.status != http.StatusSeeOther {
		t.Fatalf("raise: %d", own.status)
	}
	if page := rita.get(own.location); !strings.Contains(page.body, "Raised by Rita Requester,") || !strings.Contains(page.body, "Withdraw this incident") {
		t.Fatal("Rita's own incident should say she raised it and offer a withdrawal")
	}
	if p := rita.post(own.location+"/withdraw", url.Values{"reason": {"The bulb was loose."}}); p.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d\n%s", p.status, p.body)
	}
	if page := rita.get(own.location); !strings.Contains(page.body, "Incident withdrawn.") || !strings.Contains(page.body, "Resolution · Withdrawn") {
		t.Fatal("the withdrawn incident lacks the notice or its resolution")
	}
}
