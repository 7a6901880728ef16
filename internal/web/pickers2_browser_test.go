package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// An administrator sets a person's manager with the picker: an auditor,
// who may not decide approvals, is not offered; an agent found by part of
// the name is chosen with Enter and saved.
func TestBrowserManagerPicker(t *testing.T) {
	bin := chromium(t)
	s := requestSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.do(chromedp.EmulateViewport(1280, 900))
	b.login("admin@steward.demo")
	rita := dbID(t, s, "SELECT id FROM users WHERE email = 'requester@steward.demo'")
	agent := dbID(t, s, "SELECT id FROM users WHERE email = 'agent@steward.demo'")
	var auditorName, agentName string
	if err := s.app.DB.QueryRow(t.Context(), "SELECT name FROM users WHERE email = 'auditor@steward.demo'").Scan(&auditorName); err != nil {
		t.Fatal(err)
	}
	if err := s.app.DB.QueryRow(t.Context(), "SELECT name FROM users WHERE id = ?", agent).Scan(&agentName); err != nil {
		t.Fatal(err)
	}
	field := fmt.Sprintf("#manager-%d", rita)
	// The field shows Rita's present manager; it is emptied before typing.
	clear := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, field))
	b.do(chromedp.Navigate(s.url+"/managers"), chromedp.WaitVisible(chromedp.CSS(field+`[role="combobox"]`)),
		clear, chromedp.Click(chromedp.CSS(field)), chromedp.SendKeys(chromedp.CSS(field), auditorName),
		chromedp.WaitVisible(chromedp.CSS(field+` + .picker-list li`)))
	if got := b.text(field + " + .picker-list"); strings.Contains(got, auditorName) || got == "" {
		t.Fatalf("the auditor is offered as a manager: %q", got)
	}
	b.do(chromedp.Navigate(s.url+"/managers"), chromedp.WaitVisible(chromedp.CSS(field+`[role="combobox"]`)),
		clear, chromedp.Click(chromedp.CSS(field)), chromedp.SendKeys(chromedp.CSS(field), agentName),
		chromedp.WaitVisible(chromedp.CSS(field+` + .picker-list li[role="option"]`)))
	b.shot("manager-picker")
	b.do(chromedp.SendKeys(chromedp.CSS(field), kb.Enter), chromedp.WaitNotVisible(chromedp.CSS(field+" + .picker-list")))
	// The saved page replaces this one: wait for it, not for a field both
	// pages have.
	b.navigates(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#user-%d button[type="submit"]`, rita))))
	b.do(chromedp.WaitVisible(chromedp.CSS(field)))
	if got := dbID(t, s, "SELECT manager_id FROM user_managers WHERE user_id = ?", rita); got != agent {
		t.Fatalf("Rita's manager is %d, want %d", got, agent)
	}
}
