package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitText waits until the element sel reads want, which tells the page a
// form led to from the one it replaces.
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	js := fmt.Sprintf(`(function () { var e = document.querySelector(%q); return e ? e.textContent.trim() : null; })()`, sel)
	var got *string
	for {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[*string](js))
		if err == nil && v != nil && *v == want {
			return
		}
		if err == nil {
			got = v
		}
		select {
		case <-b.ctx.Done():
			if got != nil {
				b.t.Fatalf("%s reads %q, want %q", sel, *got, want)
			}
			b.t.Fatalf("%s never read %q", sel, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// In a real browser, an administrator plans a release, moves it to
// testing, records a deployment to test on a CI and verifies it; the CI's
// page then shows the deployment.
func TestBrowserRelease(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var ciID int64
	var ciName string
	if err := s.app.DB.QueryRow(context.Background(), `SELECT c.id, c.name FROM cis c JOIN ci_types t ON t.id = c.type_id
		WHERE t.name = 'Application' ORDER BY c.id LIMIT 1`).Scan(&ciID, &ciName); err != nil {
		t.Fatal(err)
	}
	b := openTab(t, bin, s.url, shots)
	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(s.url+"/releases"), chromedp.WaitVisible(chromedp.CSS("table.releases")))
	b.shot("releases")

	b.do(chromedp.Click(chromedp.CSS(`.page-head a[href="/releases/new"]`)), chromedp.WaitVisible(chromedp.CSS("#planned_start")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Billing 2.0"),
		chromedp.SetValue(chromedp.CSS("#type"), "major"),
		chromedp.SetValue(chromedp.CSS("#planned_start"), "2026-05-02T10:00"),
		chromedp.SetValue(chromedp.CSS("#planned_end"), "2026-05-01T10:00"),
		chromedp.SendKeys(chromedp.CSS("#acceptance_criteria"), "Invoices add up for every customer."),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if msg := b.text(".field-error"); !strings.Contains(msg, "after the planned start") {
		t.Fatalf("end before start says %q", msg)
	}
	b.shot("release-new-errors")
	b.do(chromedp.SetValue(chromedp.CSS("#planned_end"), "2026-05-02T18:00"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Release created.")
	if h := b.text(".rel-head h1"); h != "Billing 2.0" {
		t.Fatalf("heading %q", h)
	}
	for _, step := range []struct{ to, label string }{{"building", "Building"}, {"testing", "Testing"}} {
		b.do(chromedp.Click(chromedp.CSS(`.rel-moves input[value="` + step.to + `"] + button`)))
		b.waitText(".rel-head .head-meta .pill", step.label)
	}

	b.do(chromedp.WaitVisible(chromedp.CSS("#dep-env")),
		chromedp.SendKeys(chromedp.CSS("#dep-env"), "test"),
		chromedp.SendKeys(chromedp.CSS("#dep-ci"), ciName),
		chromedp.SendKeys(chromedp.CSS("#dep-version"), "2.0.0-rc1"),
		chromedp.Click(chromedp.CSS(`.rel-deploy button[type="submit"]`)))
	b.waitFlash("Deployment recorded.")
	if dep := b.text(".rel-dep"); !strings.Contains(dep, ciName) || !strings.Contains(dep, "Pending verification") {
		t.Fatalf("deployment reads %q", dep)
	}
	b.do(chromedp.SetValue(chromedp.CSS(".rel-verify select"), "passed"),
		chromedp.SendKeys(chromedp.CSS(".rel-verify input[name=verification_notes]"), "Invoices render and add up."),
		chromedp.Click(chromedp.CSS(".rel-verify button")))
	b.waitFlash("Verification recorded.")
	if pill := b.text(".rel-dep .pill"); pill != "Verification passed" {
		t.Fatalf("after verifying: %q", pill)
	}
	b.shot("release")
	b.darkShot("release")

	b.do(chromedp.Navigate(fmt.Sprintf("%s/cis/%d", s.url, ciID)), chromedp.WaitVisible(chromedp.CSS("#deps-title")))
	if panel := b.text("#deployments"); !strings.Contains(panel, "Billing 2.0") || !strings.Contains(panel, "2.0.0-rc1") {
		t.Fatalf("the CI's deployments read %q", panel)
	}
	b.shot("ci-deployments")
}
