package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func screenshotsDir(t *testing.T) string {
	t.Helper()
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return shots
}

func dbID(t *testing.T, s *site, query string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), query, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

// An admin builds a definition with the conditions editor (P1 and P2
// incidents of one customer, 4 hours for P1, 8 for the rest) without
// typing any JSON, and an incident raised for that customer gets its timer.
func TestBrowserDefinitionBuilder(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	agreement := dbID(t, s, "SELECT id FROM agreements WHERE name = 'WAN carrier contract'")
	cust := dbID(t, s, "SELECT id FROM customers WHERE name = 'Contoso Health'")
	value := func(list string, row int, v any) string {
		return fmt.Sprintf(`input[name="%s_%d_value"][value="%v"]`, list, row, v)
	}
	add := func(list, field string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.SetValue(chromedp.CSS("#"+list+"-new"), field),
			chromedp.Click(chromedp.CSS(`[data-conditions="`+list+`"] [data-cond-add]`)))
	}

	b.do(chromedp.EmulateViewport(1366, 900))
	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(fmt.Sprintf("%s/sla-definitions/new?agreement_id=%d", s.url, agreement)), chromedp.WaitVisible(chromedp.CSS("#def-name")))
	b.shot("definition-new")
	// A row left without a value comes back from the server saying so.
	b.do(chromedp.SendKeys(chromedp.CSS("#def-name"), "Contoso urgent resolution"),
		add("filter", "customer_id"), chromedp.WaitVisible(chromedp.CSS(value("filter", 0, cust))),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".cond-error")))
	if got := b.text(".cond-error"); got != "Row 1: choose a value for Customer." {
		t.Fatalf("the row says %q", got)
	}
	b.shot("definition-errors")
	b.do(chromedp.Click(chromedp.CSS(value("filter", 0, cust))),
		add("filter", "priority"), chromedp.WaitVisible(chromedp.CSS(value("filter", 1, "P1"))),
		chromedp.Click(chromedp.CSS(value("filter", 1, "P1"))), chromedp.Click(chromedp.CSS(value("filter", 1, "P2"))),
		add("goal_0_match", "priority"), chromedp.WaitVisible(chromedp.CSS(value("goal_0_match", 0, "P1"))),
		chromedp.Click(chromedp.CSS(value("goal_0_match", 0, "P1"))))
	// A second goal comes from the server, with everything entered kept.
	b.do(chromedp.Click(chromedp.CSS(`button[value="add-goal"]`)), chromedp.WaitVisible(chromedp.CSS("#goal-1-target")),
		chromedp.SendKeys(chromedp.CSS("#goal-1-target"), "8h"))
	checked := func(sel string) bool {
		t.Helper()
		on, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('`+sel+`').checked`))
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	for _, sel := range []string{value("filter", 0, cust), value("filter", 1, "P2"), value("goal_0_match", 0, "P1")} {
		if !checked(sel) {
			t.Fatalf("%s is not ticked after adding a goal", sel)
		}
	}
	b.shot("definition-builder")
	// The clock's own conditions show when chosen, filled with the usual ones.
	b.do(chromedp.Click(chromedp.CSS(`input[name="clock"][value="custom"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-conditions="clock_stop"]`)))
	if !checked(value("clock_stop", 0, "resolved")) || !checked(value("clock_pause", 0, "on_hold")) {
		t.Fatal("the clock's conditions do not start from the usual ones")
	}
	b.shot("definition-clock")
	b.do(chromedp.Click(chromedp.CSS(`input[name="clock"][value="usual"]`)), chromedp.WaitNotVisible(chromedp.CSS(`[data-conditions="clock_stop"]`)))
	b.do(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Saved.")
	if !checked(value("filter", 0, cust)) || !checked(value("goal_0_match", 0, "P1")) {
		t.Fatal("the saved definition does not show its rows")
	}

	// A P1 incident of Contoso Health gets a 4-hour clock from it.
	b.do(chromedp.Navigate(s.url+"/incidents/new"), chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Ward terminals cannot print"),
		chromedp.SetValue(chromedp.CSS("#impact"), "high"), chromedp.SetValue(chromedp.CSS("#urgency"), "high"),
		chromedp.SetValue(chromedp.CSS("#new-customer_id"), fmt.Sprint(cust)),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	b.do(chromedp.WaitVisible(chromedp.CSS(".sla-timers")))
	timers := b.text(".sla-timers")
	if !strings.Contains(timers, "Contoso urgent resolution") || !strings.Contains(timers, "of 4h 00m") {
		t.Fatalf("the incident's clocks: %q", timers)
	}
	b.shot("definition-timer")

	// Agents read the definition in words.
	b.logout()
	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/agreements/"+fmt.Sprint(agreement)), chromedp.WaitVisible(chromedp.CSS("h1")),
		chromedp.Click(`//a[normalize-space(.)="Contoso urgent resolution"]`), chromedp.WaitVisible(chromedp.CSS(".props-list")))
	if got := b.text(".props-list"); !strings.Contains(got, "Customer is Contoso Health, and Priority is P1 or P2") {
		t.Fatalf("the definition reads %q", got)
	}
	b.shot("definition-read")
}

// An admin changes a cell of the priority matrix from the top bar, and a
// new incident with that impact and urgency gets the new priority.
func TestBrowserPriorityMatrix(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.do(chromedp.EmulateViewport(1366, 900))
	b.login("admin@steward.demo")
	b.do(chromedp.Click(`//details[contains(@class,"nav-menu")]/summary[normalize-space(.)="Organisation"]`),
		chromedp.Click(chromedp.CSS(`.nav-pop a[href="/settings/priority-matrix"]`)),
		chromedp.WaitVisible(chromedp.CSS("#m-low-low")))
	b.shot("matrix")
	b.do(chromedp.SetValue(chromedp.CSS("#m-low-low"), "P2"), chromedp.Click(chromedp.CSS(`.matrix-card button[type="submit"]`)))
	b.waitFlash("Priority matrix saved.")
	b.shot("matrix-saved")

	b.do(chromedp.Navigate(s.url+"/incidents/new"), chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Label printer jams now and then"),
		chromedp.SetValue(chromedp.CSS("#impact"), "low"), chromedp.SetValue(chromedp.CSS("#urgency"), "low"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	if got := b.text(".head-meta .prio"); got != "P2" {
		t.Fatalf("a low/low incident has priority %q, want P2", got)
	}

	b.logout()
	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/settings/priority-matrix"), chromedp.WaitVisible(chromedp.CSS("table.matrix")))
	if got := b.text("table.matrix"); strings.Count(got, "P2") != 3 {
		t.Fatalf("the agent reads the matrix as %q", got)
	}
	b.shot("matrix-read")
}
