package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// In a real browser, an admin plans an audit of problem management with
// the knowledge clause, starts it, records a conforming line and a minor
// nonconformity (which raises an NC on the line), reports it and reads the
// report; then compiles the next management review's inputs and reads the
// pack's sections.
func TestBrowserAuditAndReview(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	var problemP, otto, planned int64
	for q, dst := range map[string]*int64{
		"SELECT id FROM processes WHERE key = 'problem'":                    &problemP,
		"SELECT id FROM users WHERE email = 'auditor@steward.demo'":         &otto,
		"SELECT id FROM management_reviews WHERE state = 'planned' LIMIT 1": &planned,
	} {
		if err := s.app.DB.QueryRow(ctx, q).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	tb := openTab(t, bin, s.url, shots)
	tb.login("admin@steward.demo")
	tb.shot("internal-audits-before")
	tb.do(chromedp.Navigate(s.url+"/internal-audits"), chromedp.WaitVisible(chromedp.CSS("#coverage")))
	tb.shot("internal-audits")
	tb.navigates(
		chromedp.Navigate(s.url+"/internal-audits/new"),
		chromedp.WaitVisible(chromedp.CSS("#audit-title")),
		chromedp.SendKeys(chromedp.CSS("#audit-title"), "Problem management and knowledge"),
		chromedp.SetValue(chromedp.CSS("#audit-planned"), "2026-12-14"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="process_ids"][value="%d"]`, problemP))),
		chromedp.SetValue(chromedp.CSS("#audit-clauses"), "7.6"),
		// The lead auditor's field is a typeahead; the chosen id goes in its hidden field.
		chromedp.WaitVisible(chromedp.CSS(`#audit-lead[role="combobox"]`)),
		chromedp.SetValue(chromedp.CSS(`input[type="hidden"][name="lead_id"]`), fmt.Sprint(otto)),
		chromedp.Click(chromedp.CSS(`form button[type="submit"].btn-primary`)),
	)
	tb.waitFlash("Audit planned.")
	if h := tb.text("h1"); h != "Problem management and knowledge" {
		t.Fatalf("landed on %q", h)
	}
	tb.navigates(chromedp.Click(chromedp.CSS(`form[action$="/start"] button`)))
	tb.waitFlash("Audit started")
	lines := tb.text(".chk-checklist")
	if !strings.Contains(lines, "7.6") || !strings.Contains(lines, "8.6.3") || !strings.Contains(lines, "Not assessed") {
		t.Fatalf("checklist: %q", lines)
	}
	tb.shot("internal-audit-checklist")
	// The knowledge line conforms.
	tb.navigates(
		chromedp.SetValue(chromedp.CSS(`li.chk-line:nth-child(1) select[name="result"]`), "conforming"),
		chromedp.SendKeys(chromedp.CSS(`li.chk-line:nth-child(1) textarea[name="evidence"]`), "/known-errors"),
		chromedp.Click(chromedp.CSS(`li.chk-line:nth-child(1) button[type="submit"]`)),
	)
	tb.waitFlash("Saved.")
	// A minor nonconformity without notes is refused beside the field.
	tb.navigates(
		chromedp.SetValue(chromedp.CSS(`li.chk-line:nth-child(2) select[name="result"]`), "minor_nc"),
		chromedp.Click(chromedp.CSS(`li.chk-line:nth-child(2) button[type="submit"]`)),
	)
	if msg := tb.text(`li.chk-line:nth-child(2) .field-error`); !strings.Contains(msg, "Say what was found") {
		t.Fatalf("error beside notes: %q", msg)
	}
	tb.navigates(
		chromedp.SendKeys(chromedp.CSS(`li.chk-line:nth-child(2) textarea[name="notes"]`), "Problems older than 90 days have no review."),
		chromedp.SendKeys(chromedp.CSS(`li.chk-line:nth-child(2) textarea[name="evidence"]`), "PRB-000001"),
		chromedp.Click(chromedp.CSS(`li.chk-line:nth-child(2) button[type="submit"]`)),
	)
	tb.waitFlash("The nonconformity was raised")
	nc := tb.text(`li.chk-line:nth-child(2) .chk-line-head a.mono`)
	if !strings.HasPrefix(nc, "NC-") {
		t.Fatalf("the line shows no NC: %q", nc)
	}
	if ev := tb.text(`li.chk-line:nth-child(2) .chk-evidence a`); ev != "PRB-000001" {
		t.Errorf("evidence %q", ev)
	}
	tb.navigates(
		chromedp.SendKeys(chromedp.CSS("#report-summary"), "Knowledge is used; problem reviews lag."),
		chromedp.Click(chromedp.CSS(`form[action$="/report"] button`)),
	)
	tb.waitFlash("Audit reported.")
	report := tb.text(".chk-report")
	for _, want := range []string{"Otto Auditor", "Problem management", "Minor nonconformity 1", "Conforming 1", nc, "Knowledge is used"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	tb.shot("internal-audit-report")
	tb.do(chromedp.Navigate(s.url+"/nonconformities/"+nc), chromedp.WaitVisible(chromedp.CSS("h1")))
	if src := tb.text(".chk-dl"); !strings.Contains(src, "Problem management and knowledge, clause 8.6.3") {
		t.Errorf("NC source: %q", src)
	}
	tb.shot("nonconformity")

	// The next review: compile its inputs and read the sections.
	tb.do(chromedp.Navigate(fmt.Sprintf("%s/management-reviews/%d", s.url, planned)), chromedp.WaitVisible(chromedp.CSS("h1")))
	tb.navigates(chromedp.Click(chromedp.CSS(`form[action$="/compile"] button`)))
	tb.waitFlash("Inputs compiled")
	pack := tb.text(".chk-pack")
	for _, want := range []string{"Actions from previous reviews", "Performance", "Audit results", "Problem management and knowledge",
		"Nonconformities and corrective actions", "No data: satisfaction surveys and complaints are not recorded yet", "Supplier performance",
		"Risks and opportunities", "Opportunities for improvement", "Recruit a second on-call engineer"} {
		if !strings.Contains(pack, want) {
			t.Errorf("the pack lacks %q", want)
		}
	}
	tb.shot("management-review")
	for _, p := range []string{"/nonconformities", "/actions", "/management-reviews", "/internal-audits/new", "/nonconformities/new", "/management-reviews/new"} {
		tb.do(chromedp.Navigate(s.url+p), chromedp.WaitVisible(chromedp.CSS("h1")))
		tb.shot(strings.ReplaceAll(strings.TrimPrefix(p, "/"), "/", "-"))
	}
}
