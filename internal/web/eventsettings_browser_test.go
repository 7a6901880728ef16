package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// esShot saves the page at 1280 (whole page) and 390 (phone, whole page)
// wide when screenshots are asked for.
func esShot(b *tab, name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	// Phones draw scrollbars over the page; without this the shot would be
	// a scrollbar narrower than the layout it shows.
	b.do(chromedp.Evaluate[chromedp.Void](`document.documentElement.style.scrollbarWidth = "none"`))
	for _, size := range []struct {
		label string
		w, h  int64
		scale float64
	}{{"1280", 1280, 900, 1}, {"390", 390, 844, 2}} {
		png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(size.scale))(ctx, t); err != nil {
				return nil, err
			}
			return chromedp.FullScreenshot(100)(ctx, t)
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

// In a real browser, an admin finds the processing settings in the Events
// menu, sets the hold-down to 10 minutes and gives sensors a reporting
// interval, saves and sees both kept; an agent reads the same page and
// has nothing to save.
func TestBrowserEventSettings(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openTab(t, bin, s.url, shots)
	b.login("admin@steward.demo")
	b.do(chromedp.Click(`//details[contains(@class,"nav-menu")]/summary[normalize-space(.)="Events"]`),
		chromedp.WaitVisible(chromedp.CSS(`.nav-pop a[href="/integrations/settings"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(`.nav-pop a[href="/integrations/settings"]`)))
	b.do(chromedp.WaitVisible(chromedp.CSS("#es-hold_down")))
	if h := b.text(".page-head h1"); h != "Processing settings" {
		t.Fatalf("heading %q", h)
	}
	b.waitValue("#es-hold_down", "5")
	esShot(b, "event-settings")

	// A wrong entry comes back beside its field, kept as typed.
	b.navigates(
		chromedp.SetValue(chromedp.CSS("#es-hold_down"), "soon"),
		chromedp.Click(chromedp.CSS(`.es-actions button[type="submit"]`)),
	)
	if msg := b.text(".es-field.has-error .field-error"); !strings.Contains(msg, "Enter a number of minutes") {
		t.Fatalf("error beside the hold-down: %q", msg)
	}
	b.waitValue("#es-hold_down", "soon")
	esShot(b, "event-settings-error")

	b.navigates(
		chromedp.SetValue(chromedp.CSS("#es-hold_down"), "10"),
		chromedp.SetValue(chromedp.CSS("#off-type-0"), "Sensor"),
		chromedp.SetValue(chromedp.CSS("#off-min-0"), "15"),
		chromedp.Click(chromedp.CSS(`.es-actions button[type="submit"]`)),
	)
	b.waitFlash("Processing settings saved.")
	b.waitValue("#es-hold_down", "10")
	b.waitValue("#off-type-0", "Sensor")
	b.waitValue("#off-min-0", "15")
	esShot(b, "event-settings-saved")
	b.logout()

	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/integrations/settings"), chromedp.WaitVisible(chromedp.CSS("#es-hold_down")))
	b.waitValue("#es-hold_down", "10")
	b.waitValue("#off-min-0", "15")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('form.es-form button[type="submit"]').length`)); err != nil || n != 0 {
		t.Fatalf("the agent's page has %d save buttons (%v)", n, err)
	}
	if disabled, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('#es-hold_down').matches(':disabled')`)); err != nil || !disabled {
		t.Fatalf("the agent can type into the hold-down (%v)", err)
	}
	esShot(b, "event-settings-agent")
}
