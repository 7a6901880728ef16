package web_test

import (
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRequesterConfirms walks the requester's side in a real
// browser: the desk resolves her incident, she reopens it from the
// incident page saying what is still wrong, and when it is resolved again
// she confirms straight from the notification.
func TestBrowserRequesterConfirms(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	agent := s.signedIn("agent")
	ritaID, _ := s.userID(t, "requester@steward.demo")
	made := agent.post("/incidents", url.Values{"title": {"Second screen stays black"}, "requester_id": {strconv.FormatInt(ritaID, 10)}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("raise: %d", made.status)
	}
	path := made.location
	number := strings.TrimPrefix(path, "/incidents/")
	resolve := func(notes string) {
		t.Helper()
		page := agent.get(path)
		if p := agent.post(path+"/resolve", url.Values{"version": {versionOf(t, page)}, "resolution_code": {"fixed"}, "resolution_notes": {notes}}); p.status != http.StatusSeeOther {
			t.Fatalf("resolve: %d\n%s", p.status, p.body)
		}
	}
	resolve("Swapped the DisplayPort cable.")

	b := openTab(t, bin, s.url, shots)
	b.login("requester@steward.demo")
	b.do(chromedp.Navigate(s.url+path), chromedp.WaitVisible(chromedp.CSS("#answer")))
	if head := b.text(".head-meta .raised"); !strings.Contains(head, "Raised by Alex Agent for Rita Requester") {
		t.Fatalf("header: %q", head)
	}
	b.shot("incident-answer")
	b.do(chromedp.Click(chromedp.CSS("#answer details.resolve > summary")),
		chromedp.WaitVisible(chromedp.CSS("#reopen-reason")),
		chromedp.SendKeys(chromedp.CSS("#reopen-reason"), "It goes black again after the laptop sleeps."),
		chromedp.Click(chromedp.CSS(`#answer form[action$="/reopen"] button[type="submit"]`)))
	b.waitFlash("Incident reopened.")
	if st := b.text(".head-meta .pill"); st != "In progress" {
		t.Fatalf("state after reopening: %q", st)
	}
	if journal := b.text(".journal"); !strings.Contains(journal, "It goes black again after the laptop sleeps.") {
		t.Fatalf("the reason is not in the journal: %q", journal)
	}
	b.shot("incident-reopened")

	resolve("Updated the dock's firmware.")
	b.do(chromedp.Navigate(s.url+"/notifications"), chromedp.WaitVisible(chromedp.CSS(".rq-notes")))
	note := `//li[contains(@class,"rq-note")][.//strong[contains(., "Resolved: ` + number + `")]]`
	b.do(chromedp.WaitVisible(note + `//form[contains(@action, "/confirm")]//button`))
	b.shot("notification-confirm")
	b.do(chromedp.Click(note + `//form[contains(@action, "/confirm")]//button`))
	b.waitFlash("the resolution is confirmed")
	if st := b.text(".head-meta .pill"); st != "Closed" {
		t.Fatalf("state after confirming: %q", st)
	}
	b.shot("incident-confirmed")
	if got := s.incident(t, number); got.State != "closed" {
		t.Fatalf("stored state %s", got.State)
	}
}
