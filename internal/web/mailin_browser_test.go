package web_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/auth"
	"steward/internal/mailin"
)

// The incoming mail pages in a browser: the address map and settings as
// an administrator maps an address, and the log with a held message an
// agent accepts, at desktop and phone widths.
func TestBrowserIncomingMail(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	ctx := context.Background()
	st := mailin.DefaultSettings()
	st.UnknownSender = mailin.UnknownHold
	adminID, _ := s.userID(t, "admin@steward.demo")
	if _, err := s.app.Inbound.SaveSettings(ctx, &auth.Principal{UserID: adminID, Role: auth.Admin}, st); err != nil {
		t.Fatal(err)
	}
	s.inMail(t, "requester@steward.demo", "Projector in room 4 shows no picture", "Since this morning.")
	s.inMail(t, "requester@steward.demo", "Automatic reply: away until Monday", "away", "Auto-Submitted: auto-replied")
	s.inMail(t, "\"Sam Stranger\" <sam.stranger@outside-company.example>", "Quote for 40 laptops with docking stations", "Please call me.")
	spoof := "From: Admin <admin@steward.demo>\r\nTo: desk@steward.demo\r\nSubject: Send me the payroll export\r\nMessage-ID: <spoof@evil.example>\r\n\r\nTo mallory@evil.example please.\r\n"
	if _, err := s.app.Inbound.Take(ctx, mailin.Delivery{Raw: []byte(spoof), Via: "smtp", EnvelopeFrom: "mallory@evil.example"}); err != nil {
		t.Fatal(err)
	}
	b := openTab(t, bin, s.url, os.Getenv("STEWARD_SCREENSHOTS"))

	b.login("admin@steward.demo")
	b.navigates(chromedp.Navigate(s.url + "/admin/incoming-mail"))
	b.do(chromedp.SendKeys(chromedp.CSS("#mi-address"), "network@steward.demo"))
	b.do(chromedp.SetValue(chromedp.CSS("#mi-group"), firstOption(t, s, "support_groups")))
	b.navigates(chromedp.Click(chromedp.CSS(`form.mi-add button[type="submit"]`)))
	b.waitFlash("Address mapped")
	if got := b.text("table.mi-map"); !strings.Contains(got, "network@steward.demo") {
		t.Fatalf("map: %q", got)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#mi-address"), "customer@steward.demo"))
	b.do(chromedp.SetValue(chromedp.CSS("#mi-customer"), firstOption(t, s, "customers")))
	b.do(chromedp.SendKeys(chromedp.CSS("#mi-domains"), "customer.example, customer.example.org"))
	b.navigates(chromedp.Click(chromedp.CSS(`form.mi-add button[type="submit"]`)))
	b.waitFlash("Address mapped")
	if got := b.text("table.mi-map"); !strings.Contains(got, "customer.example, customer.example.org") {
		t.Fatalf("map with sender domains: %q", got)
	}
	b.shot("incoming-mail")
	b.darkShot("incoming-mail")
	b.logout()

	b.login("agent@steward.demo")
	b.navigates(chromedp.Navigate(s.url + "/admin/incoming-mail/log"))
	if got := b.text("table.mi-log"); !strings.Contains(got, "Ticket opened") || !strings.Contains(got, "An automatic reply") || !strings.Contains(got, "Held") {
		t.Fatalf("log: %q", got)
	}
	b.shot("incoming-mail-log")
	b.navigates(chromedp.Navigate(s.url + "/admin/incoming-mail/log?outcome=held"))
	if tab := b.text(`.tabs a[aria-current="page"]`); tab != "Held (2)" {
		t.Errorf("the Held tab reads %q, want the count of waiting messages", tab)
	}
	// The agent reads the stranger's message before deciding.
	b.navigates(chromedp.Click(`//td[contains(@class,"mi-subject")]/a[contains(., "Quote for 40 laptops")]`))
	if got := b.text(".mi-text"); !strings.Contains(got, "Please call me.") {
		t.Fatalf("the message's text: %q", got)
	}
	if got := b.text(".mi-headers"); !strings.Contains(got, "sam.stranger@outside-company.example") || !strings.Contains(got, "desk@steward.demo") {
		t.Fatalf("the message's headers: %q", got)
	}
	b.shot("incoming-mail-message")
	b.navigates(chromedp.Navigate(s.url + "/admin/incoming-mail/log?outcome=held"))
	b.navigates(chromedp.Click(chromedp.CSS(`form.mi-accept button[type="submit"]`)))
	b.waitFlash("Message accepted")
	b.navigates(chromedp.Navigate(s.url + "/admin/incoming-mail/log"))
	if got := b.text("table.mi-log"); !strings.Contains(got, "Accepted by") {
		t.Fatalf("after accepting: %q", got)
	}
}

func firstOption(t *testing.T, s *site, table string) string {
	t.Helper()
	var id string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT CAST(id AS TEXT) FROM "+table+" ORDER BY id LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
