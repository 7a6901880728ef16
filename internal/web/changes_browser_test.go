package web_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// In a real browser an agent raises a change with the CI picker, assesses
// it, sends it to its board, a board member approves it with a comment,
// and the agent schedules, implements, reviews and closes it. Each step
// waits for what the new page shows: the change's new state.
func TestChangeBrowserWalk(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var ciName string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT name FROM cis ORDER BY id DESC LIMIT 1").Scan(&ciName); err != nil {
		t.Fatal(err)
	}
	b := openTab(t, bin, s.url, shots)
	state := func(st string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.CSS(".head-meta .state-" + st))
	}
	move := func(to string) {
		t.Helper()
		b.do(chromedp.Click(chromedp.CSS(`button[name="state"][value="`+to+`"]`)), state(to))
	}

	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/changes"), chromedp.WaitVisible(chromedp.CSS("table.changes-list")))
	b.shot("changes")
	b.do(chromedp.Navigate(s.url+"/changes/new"), chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Resize the reporting VM"),
		chromedp.SendKeys(chromedp.CSS("#new-ci"), ciName))
	b.shot("change-new")
	b.do(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)), state("draft"))
	if got := b.text(".incident-head h1"); got != "Resize the reporting VM" {
		t.Fatalf("the new change's heading: %q", got)
	}
	if impact := b.text("#impact"); !strings.Contains(impact, ciName) {
		t.Fatalf("the change does not name its CI: %q", impact)
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS("#e-description"), "From 4 to 8 vCPUs."),
		chromedp.SendKeys(chromedp.CSS("#e-justification"), "Month-end reports time out."),
		chromedp.SetValue(chromedp.CSS("#e-ps"), "2031-03-01T20:00"),
		chromedp.SetValue(chromedp.CSS("#e-pe"), "2031-03-01T21:00"),
		chromedp.SetValue(chromedp.CSS("#risk-tested"), "yes"),
		chromedp.SetValue(chromedp.CSS("#risk-done_before"), "often"),
		chromedp.SetValue(chromedp.CSS("#risk-backout"), "yes"),
		chromedp.SetValue(chromedp.CSS("#risk-outage"), "yes"),
		chromedp.SetValue(chromedp.CSS("#risk-business_hours"), "no"),
		chromedp.SendKeys(chromedp.CSS("#e-implementation_plan"), "Shut down, resize, start."),
		chromedp.SendKeys(chromedp.CSS("#e-test_plan"), "Run the month-end report."),
		chromedp.SendKeys(chromedp.CSS("#e-backout_plan"), "Resize back."),
		chromedp.Click(chromedp.CSS(`#assessment .form-actions button`)),
		chromedp.WaitVisible(chromedp.CSS(".head-meta .risk-low")),
	)
	move("assessment")
	move("approval")
	b.shot("change-approval")
	b.logout()

	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(s.url+"/changes?state=approval&q=ERP"), chromedp.WaitVisible(chromedp.CSS("table.changes-list")),
		chromedp.Click(chromedp.CSS("table.changes-list a[data-open]")), chromedp.WaitVisible(chromedp.CSS("#d-comment")))
	b.shot("change-awaiting-board")
	b.do(chromedp.Navigate(s.url+"/changes?type=emergency"), chromedp.WaitVisible(chromedp.CSS("table.changes-list")),
		chromedp.Click(chromedp.CSS("table.changes-list a[data-open]")), state("closed"))
	b.shot("change-emergency")
	b.do(chromedp.Navigate(s.url+"/changes?q=Resize+the+reporting"), chromedp.WaitVisible(chromedp.CSS("table.changes-list")),
		chromedp.Click(chromedp.CSS("table.changes-list a[data-open]")),
		chromedp.WaitVisible(chromedp.CSS("#d-comment")),
		chromedp.SendKeys(chromedp.CSS("#d-comment"), "Fine for the weekend."),
		chromedp.Click(chromedp.CSS(`button[name="decision"][value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".head-meta .tag-ok")))
	if a := b.text("#approvals"); !strings.Contains(a, "Fine for the weekend.") {
		t.Fatalf("the approval lacks its comment: %q", a)
	}
	b.shot("change-approved")
	b.logout()

	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/changes?q=Resize+the+reporting"), chromedp.WaitVisible(chromedp.CSS("table.changes-list")),
		chromedp.Click(chromedp.CSS("table.changes-list a[data-open]")), state("approval"))
	move("scheduled")
	move("implementing")
	b.do(chromedp.SetValue(chromedp.CSS("#m-outcome"), "successful"))
	move("review")
	move("closed")
	b.shot("change-closed")
	b.do(chromedp.Navigate(s.url+"/changes/overview"), chromedp.WaitVisible(chromedp.CSS(".kpi-grid")))
	b.shot("change-overview")
	b.do(chromedp.Navigate(s.url+"/change-templates"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	b.shot("change-templates")
}

// On a phone the changes list is a list of cards: no header row, each
// change's title on a line of its own below its number, type and state,
// and nothing wider than the screen.
func TestChangesListStacksOnAPhone(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.login("agent@steward.demo")
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Navigate(s.url+"/changes"),
		chromedp.WaitVisible(chromedp.CSS("table.changes-list tbody tr")))
	card, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]float64](`(() => {
		const row = document.querySelector('table.changes-list tbody tr');
		const box = s => row.querySelector(s).getBoundingClientRect();
		return {head: document.querySelector('table.changes-list thead').getClientRects().length,
			numBottom: box('.c-num').bottom, titleTop: box('.c-title').top, titleWidth: box('.c-title').width,
			rowWidth: row.getBoundingClientRect().width};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if card["head"] != 0 {
		t.Errorf("the changes list shows its header row on a phone")
	}
	if card["titleTop"] < card["numBottom"] || card["titleWidth"] < card["rowWidth"]/2 {
		t.Errorf("a change's title is not a line of its own below its number: %v", card)
	}
	b.phoneCheck("the changes list")
}
