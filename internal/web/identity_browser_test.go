package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"steward/internal/config"
	"steward/internal/demo"
)

// idShot saves the whole page at 1280 and 390 pixels wide.
func (b *tab) idShot(name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	for _, size := range []struct {
		label string
		w, h  int64
		scale float64
	}{{"1280", 1280, 800, 1}, {"390", 390, 844, 2}} {
		png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(size.scale))(ctx, t); err != nil {
				return nil, err
			}
			// Reading the layout lets it settle at the new width first.
			if _, err := chromedp.Evaluate[int](`document.documentElement.scrollWidth`)(ctx, t); err != nil {
				return nil, err
			}
			return chromedp.FullScreenshot(100)(ctx, t)
		})
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, "identity-"+name+"-"+size.label+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 800))
}

// A person sets a second factor up from their profile (QR code and
// secret), keeps the recovery codes, and the next sign-in asks for a
// code on a page of its own; the sign-in page shows the provider's button.
func TestBrowserSecondFactor(t *testing.T) {
	bin := chromium(t)
	s := newSiteWith(t, func(c *config.Config) {
		// Nothing answers there: the button shows; these pages do not follow it.
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret, c.OIDCName = "http://127.0.0.1:9", "steward", "secret", "Example ID"
	})
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openTab(t, bin, s.url, shots)
	b.do(chromedp.EmulateViewport(1280, 800), chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS(".id-sso")))
	if got := b.text(".id-sso"); got != "Sign in with Example ID" {
		t.Fatalf("the provider's button reads %q", got)
	}
	b.idShot("login")

	b.login("agent@steward.demo")
	b.navigates(chromedp.Navigate(s.url + "/profile"))
	b.navigates(chromedp.Click(chromedp.CSS(`a[href="/profile/2fa"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(`form[action="/profile/2fa/start"] button`)))
	b.do(chromedp.WaitVisible(chromedp.CSS("img.id-qr")))
	b.idShot("enrol")
	secret := strings.ReplaceAll(b.text(".id-secret"), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.SendKeys(chromedp.CSS("#on-password"), demo.Password))
	b.idShot("enrol-filled")
	b.navigates(chromedp.Click(chromedp.CSS(`form[action="/profile/2fa/confirm"] button[type="submit"]`)))
	codes := b.text(".id-codes")
	if n := len(strings.Fields(codes)); n != 10 {
		t.Fatalf("%d recovery codes shown: %q", n, codes)
	}
	b.idShot("recovery-codes")
	b.navigates(chromedp.Click(chromedp.CSS(`.id-codes ~ div a`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(".id-on")))
	b.idShot("profile-on")
	b.logout()

	b.do(chromedp.SendKeys(chromedp.CSS("#email"), "agent@steward.demo"), chromedp.SendKeys(chromedp.CSS("#password"), demo.Password))
	b.navigates(chromedp.Click(chromedp.CSS(`.login-card button[type="submit"]`)))
	b.do(chromedp.WaitVisible(chromedp.CSS("#code")))
	b.idShot("code")
	b.navigates(chromedp.SendKeys(chromedp.CSS("#code"), "000000"), chromedp.Click(chromedp.CSS(`.login-card button[type="submit"]`)))
	if msg := b.text(".banner-error"); !strings.Contains(msg, "wrong or was used already") {
		t.Fatalf("a wrong code: %q", msg)
	}
	b.idShot("code-wrong")
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	b.navigates(chromedp.SendKeys(chromedp.CSS("#code"), next), chromedp.Click(chromedp.CSS(`.login-card button[type="submit"]`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(".topbar .me")))
	b.logout()

	b.login("admin@steward.demo")
	b.navigates(chromedp.Navigate(s.url + "/admin/single-sign-on"))
	b.do(chromedp.WaitVisible(chromedp.CSS(".id-rules")))
	if list := b.text(".id-reset table"); !strings.Contains(list, "agent@steward.demo") {
		t.Fatalf("the administrator's list: %q", list)
	}
	b.idShot("settings")
}
