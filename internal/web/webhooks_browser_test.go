package web_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/auth"
	"steward/internal/incident"
)

// In a real browser, an admin finds Webhooks in the Administration menu,
// corrects a wrong address, subscribes a receiver to two events by name,
// copies the secret shown once, sends a test and reads the receiver's
// answer, and follows deliveries in the log in their own time zone.
func TestBrowserWebhooks(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	rc := newPageCatcher(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openTab(t, bin, s.url, shots)
	b.login("admin@steward.demo")
	b.do(chromedp.Click(`//details[contains(@class,"nav-menu")]/summary[normalize-space(.)="Administration"]`),
		chromedp.WaitVisible(chromedp.CSS(`.nav-pop a[href="/webhooks"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(`.nav-pop a[href="/webhooks"]`)))
	if h := b.text(".page-head h1"); h != "Webhooks" {
		t.Fatalf("heading %q", h)
	}
	esShot(b, "webhooks-empty")

	b.navigates(chromedp.Click(chromedp.CSS(`a[href="/webhooks/new"]`)))
	b.navigates(
		chromedp.SendKeys(chromedp.CSS("#wh-url"), "ftp://files.example.com"),
		chromedp.Click(chromedp.CSS(`.wh-form button[type="submit"]`)),
	)
	if msg := b.text(".field.has-error .field-error"); !strings.Contains(msg, "http:// or https://") {
		t.Fatalf("error beside the address: %q", msg)
	}
	esShot(b, "webhook-form-error")

	b.navigates(
		chromedp.SetValue(chromedp.CSS("#wh-url"), rc.URL+"/hooks/steward"),
		chromedp.Click(chromedp.CSS(`input[name="events"][value="*"]`)), // untick "All events"
		chromedp.Click(`//label[contains(., "Ticket raised")]/input`),
		chromedp.Click(`//label[contains(., "Comment added")]/input`),
		chromedp.SetValue(chromedp.CSS("#wh-desc"), "Service desk chat channel"),
		chromedp.Click(chromedp.CSS(`.wh-form button[type="submit"]`)),
	)
	b.do(chromedp.WaitVisible(chromedp.CSS("#wh-secret")))
	if !strings.HasPrefix(b.text(".secret .card-title"), "Webhook created") {
		t.Fatal("no secret card after creating")
	}
	esShot(b, "webhook-created")

	hooks, err := s.app.Webhooks.List(t.Context())
	if err != nil || len(hooks) != 1 || strings.Join(hooks[0].Events, ",") != "record.created,record.commented" {
		t.Fatalf("stored: %+v %v", hooks, err)
	}
	admin := &auth.Principal{UserID: hooks[0].OwnerID, Role: auth.Admin, Email: "admin@steward.demo"}
	inc, err := s.app.Incidents.Create(t.Context(), admin, incident.NewIncident{Title: "VPN drops every ten minutes"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Incidents.AddComment(t.Context(), admin, inc.ID, "Looking at the concentrator logs", true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Webhooks.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.status = 503
	rc.mu.Unlock()
	if _, err := s.app.Incidents.AddComment(t.Context(), admin, inc.ID, "Vendor ticket opened", true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Webhooks.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}

	b.navigates(chromedp.Click(chromedp.CSS(`.wh-actions form[action$="/test"] button`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(".wh-test")))
	if got := b.text(".wh-test .card-title"); !strings.Contains(got, "did not accept") {
		t.Fatalf("test result: %q", got)
	}
	if log := b.text(".wh-log"); !strings.Contains(log, inc.Number) || !strings.Contains(log, "Retrying") || !strings.Contains(log, "Delivered") {
		t.Fatalf("the log: %q", log)
	}
	esShot(b, "webhook-detail")
	if crumbs := b.text(".crumbs"); crumbs != "Webhooks / "+strings.TrimPrefix(rc.URL, "http://") {
		t.Errorf("the breadcrumb reads %q", crumbs)
	}

	// A receiver that is gone is named with its host and what went wrong.
	rc.Close()
	b.navigates(chromedp.Click(chromedp.CSS(`.wh-actions form[action$="/test"] button`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(".wh-test")))
	if got := b.text(".wh-test"); !strings.Contains(got, "Could not connect to "+strings.TrimPrefix(rc.URL, "http://")+": connection refused") || strings.Contains(got, "dial tcp") {
		t.Errorf("the test of a receiver that is gone: %q", got)
	}
	if log := b.text(".wh-log"); !strings.Contains(log, "Could not connect to") || strings.Contains(log, "dial tcp") {
		t.Errorf("the log of a receiver that is gone: %q", log)
	}
	esShot(b, "webhook-unreachable")

	b.navigates(chromedp.Click(chromedp.CSS(`.crumbs a[href="/webhooks"]`)))
	if row := b.text(".wh-list tbody tr"); !strings.Contains(row, "Failing") || !strings.Contains(row, "Ticket raised, Comment added") {
		t.Fatalf("the list row: %q", row)
	}
	esShot(b, "webhooks-list")
	b.logout()

	// An auditor sees where deliveries go, not the path that may be a
	// token.
	b.login("auditor@steward.demo")
	b.navigates(chromedp.Navigate(s.url + "/webhooks/" + strconv.FormatInt(hooks[0].ID, 10)))
	if h := b.text(".wh-title"); strings.Contains(h, "/hooks/steward") || !strings.Contains(h, "/… (path ") {
		t.Fatalf("the auditor's heading: %q", h)
	}
	esShot(b, "webhook-detail-auditor")
}
