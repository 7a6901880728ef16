package web_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/config"
	"steward/internal/jobs"
	"steward/internal/mail"
)

// In a real browser: an administrator finds the outbox under
// Administration, opens a failed message and sends it again; a requester
// switches comments off on their mail settings; someone who forgot their
// password asks for a link and sets a new password through it.
func TestBrowserMail(t *testing.T) {
	bin := chromium(t)
	s := newSiteWith(t, func(c *config.Config) {
		c.SMTPURL, c.MailFrom = "smtp://127.0.0.1:9", "Service desk <desk@steward.test>"
	})
	ctx := context.Background()
	// The demo's own notices are never mailed; five of them are mailed here
	// as if they had just been written.
	if _, err := s.app.DB.Exec(ctx, `UPDATE notifications SET mail_state = 'pending'
		WHERE id IN (SELECT id FROM notifications WHERE kind <> 'survey' ORDER BY id DESC LIMIT 5)`); err != nil {
		t.Fatal(err)
	}
	if err := s.app.Mail.Dispatch(ctx, jobs.Job{}); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.app.Mail.List(ctx, mail.Filter{Limit: 3})
	if err != nil || len(list) == 0 {
		t.Fatalf("the demo data made no mail: %v", err)
	}
	failed := list[0]
	if _, err := s.app.DB.Exec(ctx, `UPDATE mail_outbox SET state = 'failed', attempts = 12,
		last_error = 'connecting to 127.0.0.1:9: dial tcp 127.0.0.1:9: connect: connection refused' WHERE id = ?`, failed.ID); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openTab(t, bin, s.url, shots)
	b.login("admin@steward.demo")
	b.do(chromedp.Click(`//details[contains(@class,"nav-menu")]/summary[normalize-space(.)="Administration"]`),
		chromedp.WaitVisible(chromedp.CSS(`.nav-pop a[href="/admin/mail"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(`.nav-pop a[href="/admin/mail"]`)))
	if h := b.text(".page-head h1"); h != "Outgoing mail" {
		t.Fatalf("heading %q", h)
	}
	mailShot(b, "mail-outbox")
	b.navigates(chromedp.Click(chromedp.CSS(`a[href="/admin/mail?state=failed"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(`.mail-list a[href^="/admin/mail/"]`)))
	if h := b.text(".page-head h1"); h != failed.Subject {
		t.Fatalf("message page %q, want %q", h, failed.Subject)
	}
	mailShot(b, "mail-message")
	b.navigates(chromedp.Click(`//button[normalize-space(.)="Retry now"]`))
	b.waitFlash("queued again")
	if m, _ := s.app.Mail.Get(ctx, failed.ID); m.State != mail.Queued {
		t.Errorf("after Retry now: %s", m.State)
	}
	// The server takes it: the page keeps what went wrong before.
	if _, err := s.app.DB.Exec(ctx, "UPDATE mail_outbox SET state = 'sent', attempts = 1, sent_at = created_at, last_error = '' WHERE id = ?", failed.ID); err != nil {
		t.Fatal(err)
	}
	b.navigates(chromedp.Reload())
	if msg := b.text(".banner-warn"); !strings.Contains(msg, "Failed before: connecting to 127.0.0.1:9") {
		t.Errorf("the sent message's page says %q", msg)
	}
	mailShot(b, "mail-message-sent")
	b.logout()

	b.login("requester@steward.demo")
	b.navigates(chromedp.Click(chromedp.CSS(`a.avatar`)))
	b.navigates(chromedp.Click(chromedp.CSS(`a[href="/profile/mail"]`)))
	mailShot(b, "mail-settings")
	b.navigates(
		chromedp.Click(chromedp.CSS(`input[name="on"][value="comments"]`)),
		chromedp.Click(chromedp.CSS(`input[name="delivery"][value="digest"]`)),
		chromedp.Click(`//button[normalize-space(.)="Save"]`),
	)
	b.waitFlash("Mail settings saved")
	b.logout()

	// Forgot the password: the link on the sign-in page, the address, the
	// link from the mail, the new password.
	b.navigates(chromedp.Click(chromedp.CSS(`a[href="/password/forgot"]`)))
	mailShot(b, "mail-forgot")
	b.do(chromedp.SendKeys(chromedp.CSS("#email"), "requester@steward.demo"))
	b.navigates(chromedp.Click(chromedp.CSS(`.login-card button[type="submit"]`)))
	if msg := b.text(".login-card .banner"); !strings.Contains(msg, "If an account with that address exists") {
		t.Fatalf("after asking: %q", msg)
	}
	var text string
	if err := s.app.DB.QueryRow(ctx, "SELECT text_body FROM mail_outbox WHERE kind = 'password_reset' ORDER BY id DESC LIMIT 1").Scan(&text); err != nil {
		t.Fatal(err)
	}
	// The test's node has no --base-url; the path is what matters.
	link := regexp.MustCompile(`/password/reset/\S+`).FindString(text)
	if link == "" {
		t.Fatalf("no link in the reset mail:\n%s", text)
	}
	b.navigates(chromedp.Navigate(s.url + link))
	mailShot(b, "mail-reset")
	b.do(chromedp.SendKeys(chromedp.CSS("#password"), "a-brand-new-password"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "a-brand-new-password"))
	b.navigates(chromedp.Click(chromedp.CSS(`.login-card button[type="submit"]`)))
	b.waitFlash("Your password is changed")
	b.do(chromedp.SendKeys(chromedp.CSS("#email"), "requester@steward.demo"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a-brand-new-password"),
		chromedp.Click(chromedp.CSS(`.login-card button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".topbar .me")))

	// How a notification reads in a mail client.
	if shots != "" {
		for _, k := range []struct{ name, kinds string }{{"mail-notification", "'incident_comment', 'request_comment'"},
			{"mail-password-changed", "'password_changed'"}} {
			var html string
			if err := s.app.DB.QueryRow(ctx, "SELECT html_body FROM mail_outbox WHERE kind IN ("+k.kinds+") ORDER BY id LIMIT 1").Scan(&html); err != nil {
				t.Fatal(k.name, err)
			}
			file := filepath.Join(t.TempDir(), k.name+".html")
			if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			b.navigates(chromedp.Navigate("file://" + file))
			mailShot(b, k.name)
		}
	}
}

// mailShot saves the page at 1280 wide (whole page) and at 390 wide (the
// first two screens of a phone) when screenshots are asked for.
func mailShot(b *tab, name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	b.do(chromedp.Evaluate[chromedp.Void](`document.documentElement.style.scrollbarWidth = "none"`))
	for _, size := range []struct {
		label string
		w, h  int64
		scale float64
		full  bool
	}{{"1280", 1280, 900, 1, true}, {"390", 390, 1688, 2, false}} {
		png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(size.scale))(ctx, t); err != nil {
				return nil, err
			}
			if size.full {
				return chromedp.FullScreenshot(100)(ctx, t)
			}
			return chromedp.CaptureScreenshot()(ctx, t)
		})
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, size.label+"-"+name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1366, 900))
}
