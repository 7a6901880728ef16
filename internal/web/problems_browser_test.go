package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/incident"
)

// shotAt saves the page like shot, with the phone's first screen
// scrolled to sel: a panel below the fold on a phone.
func (b *tab) shotAt(name, sel string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	b.shot(name)
	png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		if _, err := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))(ctx, t); err != nil {
			return nil, err
		}
		if _, err := chromedp.ScrollIntoView(sel)(ctx, t); err != nil {
			return nil, err
		}
		return chromedp.CaptureScreenshot()(ctx, t)
	})
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, "phone-"+name+"-panel.png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(1366, 900))
}

// In a real browser, an agent opens a problem for a recurring incident,
// investigates it, records it as a known error (told first that the
// workaround is missing), then finds it from another incident's page and
// applies its workaround there.
func TestBrowserProblemToKnownErrorApplied(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	rows, err := s.app.DB.Query(context.Background(), "SELECT id FROM incidents WHERE state NOT IN ('resolved', 'closed') AND category = 'hardware' ORDER BY id LIMIT 2")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) < 2 {
		t.Fatalf("the demo has %d open hardware incidents, want 2", len(ids))
	}
	first, second := incident.FormatNumber(ids[0]), incident.FormatNumber(ids[1])

	b := openTab(t, bin, s.url, shots)
	b.do(chromedp.EmulateViewport(1366, 900))
	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/problems"), chromedp.WaitVisible(chromedp.CSS("table.prb-queue")))
	b.shot("problems")

	b.do(chromedp.Navigate(s.url+"/problems/new"), chromedp.WaitVisible(chromedp.CSS("#new-title")),
		chromedp.SendKeys(chromedp.CSS("#new-title"), "Laptops overheat during video calls"),
		chromedp.SendKeys(chromedp.CSS("#new-category"), "hardware"),
		chromedp.SendKeys(chromedp.CSS("#new-incidents"), first),
		chromedp.Click(chromedp.CSS(`.prb-new button[type="submit"]`)))
	b.waitFlash("Problem opened.")
	number := b.text(".crumbs .mono")
	if got := b.text("#incidents"); !strings.Contains(got, first) {
		t.Fatalf("the new problem's incidents: %q", got)
	}

	b.do(chromedp.Click(`//form[.//input[@name="state"][@value="investigating"]]//button`))
	b.waitFlash("Problem moved on.")
	b.do(chromedp.Click(`//details[.//input[@name="state"][@value="known_error"]]/summary`),
		chromedp.WaitVisible(chromedp.CSS("#move-known_error-root_cause")),
		chromedp.SendKeys(chromedp.CSS("#move-known_error-root_cause"), "The fan profile of the last BIOS update keeps the fans slow under load."),
		chromedp.SetValue(chromedp.CSS("#move-known_error-cause_category"), "hardware"),
		chromedp.Click(`//form[.//input[@name="state"][@value="known_error"]]//button[@type="submit"]`),
		chromedp.WaitVisible(`//p[contains(@class,"field-error")][contains(., "required with the move to known error")]`))
	b.shot("problem-known-error-refused")
	b.waitValue("#move-known_error-root_cause", "The fan profile of the last BIOS update keeps the fans slow under load.")
	b.do(chromedp.SendKeys(chromedp.CSS("#move-known_error-workaround"), "Switch the power plan to \"Cool\" in the vendor tool, then restart the call."),
		chromedp.Click(`//form[.//input[@name="state"][@value="known_error"]]//button[@type="submit"]`),
		chromedp.WaitVisible(`//p[contains(@class,"head-meta")]//span[contains(@class,"pill")][.="Known error"]`))
	if got := b.text(".prb-cause"); !strings.Contains(got, "Switch the power plan") || !strings.Contains(got, "Hardware") {
		t.Fatalf("the known error's cause card: %q", got)
	}
	b.shot("problem-known-error")
	b.darkShot("problem-known-error")

	// From another hardware incident, the agent searches the known errors
	// and applies the workaround.
	b.do(chromedp.Navigate(s.url+"/incidents/"+second), chromedp.WaitVisible(chromedp.CSS("#known-errors")),
		chromedp.SendKeys(chromedp.CSS("#ke-q"), "overheat fans"),
		chromedp.Click(chromedp.CSS(`.prb-panel-search button`)),
		chromedp.WaitVisible(`//p[contains(@class,"prb-panel-note")][contains(., "Matching")]`))
	if got := b.text("#known-errors"); !strings.Contains(got, number) {
		t.Fatalf("the search on the incident page did not find %s: %q", number, got)
	}
	b.shotAt("incident-known-errors", `//*[@id="known-errors"]`)
	b.do(chromedp.Click(`//li[contains(@class,"prb-suggestion")][.//a[.="` + number + `"]]//form[contains(@action,"/workaround")]//button`))
	b.waitFlash("Workaround applied")
	if got := b.text(".journal"); !strings.Contains(got, "Switch the power plan") || !strings.Contains(got, number) {
		t.Fatalf("the incident's journal after applying: %q", got)
	}
	if got := b.text("#known-errors"); !strings.Contains(got, "Already linked") {
		t.Fatalf("the panel after applying: %q", got)
	}
	b.shotAt("incident-workaround-applied", `(//li[contains(@class,"entry-work_note")])[last()]`)

	// The problem now lists both incidents; the overview and trends open.
	b.do(chromedp.Navigate(s.url+"/problems/"+number), chromedp.WaitVisible(chromedp.CSS("#incidents")))
	if got := b.text("#incidents"); !strings.Contains(got, second) {
		t.Fatalf("the problem's incidents after applying: %q", got)
	}
	b.do(chromedp.Navigate(s.url+"/problems/overview"), chromedp.WaitVisible(chromedp.CSS(".prb-flow")))
	b.shot("problem-overview")
	b.do(chromedp.Navigate(s.url+"/problems/trends?weeks=12&min=2"), chromedp.WaitVisible(chromedp.CSS(".page-head h1")))
	b.shot("problem-trends")
	b.do(chromedp.Click(chromedp.CSS(`.prb-trend-act a`)), chromedp.WaitVisible(chromedp.CSS(".prb-incidents-pick")))
	if got := b.text(".prb-incidents-pick legend"); !strings.Contains(got, "recurring") {
		t.Fatalf("the problem opened from a trend: %q", got)
	}
	b.shot("problem-from-trend")
	b.do(chromedp.Navigate(s.url+"/known-errors"), chromedp.WaitVisible(chromedp.CSS(".prb-ke-list")))
	b.shot("known-errors")
}
