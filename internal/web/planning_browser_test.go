package web_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// In a real browser, an admin adds a risk by choosing its likelihood and
// impact, finds it counted in that cell of the heat map and listed behind
// it, then sets an objective on a measure and sees its progress computed
// from the records at once.
func TestBrowserRiskAndObjective(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tb := openTab(t, bin, s.url, shots)
	tb.do(chromedp.EmulateViewport(1366, 900))
	tb.login("admin@steward.demo")

	pickOwner := func(sel string) {
		tb.do(chromedp.Click(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), "ada"),
			chromedp.WaitVisible(chromedp.CSS(sel+` + .picker-list li[role="option"]`)),
			chromedp.SendKeys(chromedp.CSS(sel), kb.Enter), chromedp.WaitNotVisible(chromedp.CSS(sel+" + .picker-list")))
	}
	before := tb.heatCount("#heat-inherent-4-5")
	tb.do(chromedp.Navigate(s.url+"/risks/new"), chromedp.WaitVisible(chromedp.CSS(`#risk-owner_id[role="combobox"]`)),
		chromedp.SendKeys(chromedp.CSS("#risk-title"), "Flood in the server room"))
	pickOwner("#risk-owner_id")
	tb.do(chromedp.SetValue(chromedp.CSS("#risk-likelihood"), "4"), chromedp.SetValue(chromedp.CSS("#risk-impact"), "5"))
	tb.navigates(chromedp.Click(chromedp.CSS(`.plan-form button[type="submit"].btn-primary`)))
	tb.waitFlash("Saved.")
	if got := tb.text(".plan-facts"); !strings.Contains(got, "20 Critical") || !strings.Contains(got, "Above appetite, no treatment") {
		t.Errorf("the new risk reads %q", got)
	}

	tb.do(chromedp.Navigate(s.url+"/risks"), chromedp.WaitVisible(chromedp.CSS("#heat-inherent")))
	if after := tb.heatCount("#heat-inherent-4-5"); after != before+1 {
		t.Errorf("likely x severe holds %d, was %d", after, before)
	}
	tb.shot("risks")
	tb.navigates(chromedp.Click(chromedp.CSS("#heat-inherent-4-5 a")))
	if got := tb.text(".plan-risks tbody"); !strings.Contains(got, "Flood in the server room") {
		t.Errorf("the cell's list holds %q", got)
	}

	today := time.Now().UTC()
	tb.do(chromedp.Navigate(s.url+"/objectives/new"), chromedp.WaitVisible(chromedp.CSS(`#objective-owner_id[role="combobox"]`)),
		chromedp.SendKeys(chromedp.CSS("#objective-title"), "Half of all incidents within SLA"))
	pickOwner("#objective-owner_id")
	tb.do(chromedp.SetValue(chromedp.CSS("#objective-metric_key"), "incident.within_sla"),
		chromedp.SetValue(chromedp.CSS("#objective-direction"), "at_least"),
		chromedp.SendKeys(chromedp.CSS("#objective-target"), "50"),
		chromedp.SetValue(chromedp.CSS("#objective-starts_on"), today.AddDate(0, -1, 0).Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS("#objective-due_on"), today.AddDate(0, 6, 0).Format("2006-01-02")))
	tb.navigates(chromedp.Click(chromedp.CSS(`.plan-form button[type="submit"].btn-primary`)))
	tb.waitFlash("Saved.")
	if st := tb.text("#objective-state"); st != "On track" {
		t.Errorf("the objective is %q", st)
	}
	if v := tb.text("#objective-value"); !regexp.MustCompile(`^\d+(\.\d)? %$`).MatchString(v) {
		t.Errorf("the live value reads %q", v)
	}
	if got := tb.text(".plan-facts"); !strings.Contains(got, "against a target of at least 50 %") {
		t.Errorf("the target reads %q", got)
	}
	tb.shot("objective")
	for _, p := range []string{"/kpis", "/objectives", "/improvements", "/improvements/1", "/service-reports", "/service-reports/2", "/risk-criteria"} {
		tb.do(chromedp.Navigate(s.url+p), chromedp.WaitReady(chromedp.CSS("body")))
		tb.shot(strings.ReplaceAll(strings.Trim(p, "/"), "/", "-"))
	}
}

// heatCount is the number in a heat-map cell, 0 when empty.
func (b *tab) heatCount(sel string) int {
	b.t.Helper()
	if !strings.Contains(b.currentPath(), "/risks") {
		b.do(chromedp.Navigate(b.base+"/risks"), chromedp.WaitVisible(chromedp.CSS("#heat-inherent")))
	}
	n := 0
	for _, r := range strings.TrimSpace(b.text(sel)) {
		if r >= '0' && r <= '9' {
			n = n*10 + int(r-'0')
		}
	}
	return n
}

func (b *tab) currentPath() string {
	p, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		return ""
	}
	return p
}
