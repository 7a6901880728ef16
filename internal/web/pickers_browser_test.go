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

// In an organisation of more people than a select can list, the assignee
// is typed. Without scripts an agent types a name two people share, reads
// why it was refused with the rest of the form kept, types the e-mail and
// creates the incident. With scripts the same field is a typeahead: part
// of a name finds the person, Enter chooses, and the incident is saved
// with them.
func TestBrowserTypedPersonField(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	seedStaff(t, s, 240)
	s.addUser(t, "kim.one@big.example", "Kim Namesake", "agent")
	kim := s.addUser(t, "kim.two@big.example", "Kim Namesake", "admin")
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.do(chromedp.EmulateViewport(1280, 900))
	b.login("agent@steward.demo")

	b.do(scripts(false))
	b.navigates(chromedp.Navigate(s.url + "/incidents/new"))
	b.do(chromedp.WaitVisible(chromedp.CSS(`input#new-assignee_id`)),
		chromedp.SendKeys(chromedp.CSS("#title"), "Badge reader at the north door is dead"),
		chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), "Kim Namesake"))
	b.shot("person-typed")
	b.navigates(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	if msg := b.text("#new-assignee_id ~ .field-error"); !strings.Contains(msg, "2 people are called “Kim Namesake”; type the e-mail.") {
		t.Fatalf("namesakes: %q", msg)
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#title"))); got != "Badge reader at the north door is dead" {
		t.Fatalf("the title came back as %q", got)
	}
	b.shotAt("person-typed-namesakes", "#new-assignee_id")
	b.phoneCheck("the typed person field with its error")
	b.do(chromedp.Click(chromedp.CSS("#new-assignee_id")),
		chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), kb.End+strings.Repeat(kb.Backspace, len("Kim Namesake"))+"KIM.TWO@big.example"))
	b.navigates(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	if got := s.scalar(t, "SELECT assignee_id FROM incidents WHERE id = (SELECT MAX(id) FROM incidents)"); got != kim {
		t.Fatalf("assigned %d, not %d", got, kim)
	}

	b.do(scripts(true))
	b.navigates(chromedp.Navigate(s.url + "/incidents/new"))
	b.do(chromedp.WaitVisible(chromedp.CSS(`#new-assignee_id[role="combobox"]`)),
		chromedp.SendKeys(chromedp.CSS("#title"), "Lift two stops between floors"),
		chromedp.Click(chromedp.CSS("#new-assignee_id")),
		chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), "agent 0217"),
		chromedp.WaitVisible(chromedp.CSS(`#new-assignee_id ~ .picker-list li[role="option"]`)))
	b.shotAt("person-typed-picker", "#new-assignee_id")
	if list := b.text("#new-assignee_id ~ .picker-list"); !strings.Contains(list, "Agent 0217") || !strings.Contains(list, "agent0217@big.example") {
		t.Fatalf("typing lists %q", list)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#new-assignee_id"), kb.Enter), chromedp.WaitNotVisible(chromedp.CSS("#new-assignee_id ~ .picker-list")))
	b.navigates(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	if props := b.text(".props-list"); !strings.Contains(props, "Agent 0217") {
		t.Fatalf("the incident's assignee is not Agent 0217: %q", props)
	}
	// Its own form shows the assignee's e-mail in the typed field.
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#edit-assignee_id"))); got != "agent0217@big.example" {
		t.Fatalf("the edit form shows %q", got)
	}
}
