package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// An agent types part of a name into the assignee field of a new
// incident, moves down the list with the arrow key and chooses with
// Enter; the incident is created with that assignee. The CI field of the
// incident then finds a CI the same way.
func TestBrowserAssigneePicker(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.do(chromedp.EmulateViewport(1366, 900))
	b.login("agent@steward.demo")
	admin := dbID(t, s, "SELECT id FROM users WHERE email = 'admin@steward.demo'")
	var adminName string
	if err := s.app.DB.QueryRow(t.Context(), "SELECT name FROM users WHERE id = ?", admin).Scan(&adminName); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(s.url+"/incidents/new"), chromedp.WaitVisible(chromedp.CSS(`#new-assignee_id[role="combobox"]`)),
		chromedp.SendKeys(chromedp.CSS("#title"), "Badge reader at the north door is dead"),
		chromedp.Click(chromedp.CSS("#new-assignee_id")),
		chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), strings.ToLower(adminName[:4])),
		chromedp.WaitVisible(chromedp.CSS(`#new-assignee_id + .picker-list li[role="option"]`)))
	b.shot("picker-open")
	options := b.text("#new-assignee_id + .picker-list")
	if !strings.Contains(options, adminName) {
		t.Fatalf("typing %q lists %q", adminName[:4], options)
	}
	// Enter chooses the highlighted match (the first), and does not send the form.
	b.do(chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), kb.Enter), chromedp.WaitNotVisible(chromedp.CSS("#new-assignee_id + .picker-list")))
	got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`input[type="hidden"][name="assignee_id"]`)))
	if err != nil {
		t.Fatal(err)
	}
	var chosen string
	if err := s.app.DB.QueryRow(t.Context(), "SELECT name FROM users WHERE id = ?", got).Scan(&chosen); err != nil {
		t.Fatalf("the field holds %q: %v", got, err)
	}
	if shown, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#new-assignee_id"))); shown != chosen {
		t.Fatalf("the field shows %q for %q", shown, chosen)
	}
	// Escape closes the list and keeps the choice.
	b.do(chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), kb.ArrowDown), chromedp.WaitVisible(chromedp.CSS("#new-assignee_id + .picker-list")),
		chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("#new-assignee_id + .picker-list")),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	if props := b.text(".props-list"); !strings.Contains(props, chosen) {
		t.Fatalf("the incident's assignee is not %s: %q", chosen, props)
	}

	// The CI field finds a CI by part of its name.
	var ci string
	if err := s.app.DB.QueryRow(t.Context(), "SELECT name FROM cis ORDER BY id LIMIT 1").Scan(&ci); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(`#link-ci[role="combobox"]`)),
		chromedp.SendKeys(chromedp.CSS("#link-ci"), ci),
		chromedp.WaitVisible(chromedp.CSS(`#link-ci + .picker-list li[role="option"]`)),
		chromedp.SendKeys(chromedp.CSS("#link-ci"), kb.Enter), chromedp.WaitNotVisible(chromedp.CSS("#link-ci + .picker-list")))
	b.shot("picker-ci")
	b.do(chromedp.Click(chromedp.CSS(`form.link-ci button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".linked-cis")))
	if linked := b.text(".linked-cis"); !strings.Contains(linked, ci) {
		t.Fatalf("linked CIs: %q", linked)
	}
}
