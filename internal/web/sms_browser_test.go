package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The SMS manager opens the processes, gives the budgeting process (which
// has none) an owner through the people picker, adds a RACI line and sees
// both saved; then saves a new version of the scope and approves it, and
// the new version is the one in force.
func TestBrowserProcessOwnerRACIAndScope(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.do(chromedp.EmulateViewport(1366, 900))
	b.login("admin@steward.demo")
	mei := dbID(t, s, "SELECT id FROM users WHERE email = 'mei.chen@steward.demo'")

	b.do(chromedp.Navigate(s.url+"/processes"), chromedp.WaitVisible(chromedp.CSS("#process-map")))
	if row := b.text("#proc-budgeting"); !strings.Contains(row, "No owner") {
		t.Fatalf("budgeting is not flagged as without owner: %q", row)
	}
	b.navigates(chromedp.Click(chromedp.CSS(`#proc-budgeting a[href="/processes/budgeting"]`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(`#process-owner_id[role="combobox"]`)),
		chromedp.Click(chromedp.CSS("#process-owner_id")),
		chromedp.SendKeys(chromedp.CSS("#process-owner_id"), "Mei"),
		chromedp.WaitVisible(chromedp.CSS(`#process-owner_id + .picker-list li[role="option"]`)),
		chromedp.SendKeys(chromedp.CSS("#process-owner_id"), kb.Enter),
		chromedp.WaitNotVisible(chromedp.CSS("#process-owner_id + .picker-list")))
	b.navigates(chromedp.Click(chromedp.CSS("#save-owner")))
	b.waitFlash("Saved.")
	if owner := b.text("#owner-name"); owner != "Mei Chen" {
		t.Fatalf("owner shown: %q", owner)
	}

	b.do(chromedp.SendKeys(chromedp.CSS("#activity_0"), "Approve the service budget"),
		chromedp.SetValue(chromedp.CSS("#who_0"), "u:"+strconv.FormatInt(mei, 10)),
		chromedp.SetValue(chromedp.CSS("#letter_0"), "A"))
	b.navigates(chromedp.Click(chromedp.CSS("#save-raci")))
	b.waitFlash("Saved.")
	b.waitValue("#activity_0", "Approve the service budget")
	b.shot("sms-process-saved")
	var who, letter string
	if err := s.app.DB.QueryRow(t.Context(), `SELECT u.name, r.letter FROM process_raci r JOIN processes p ON p.id = r.process_id
		JOIN users u ON u.id = r.user_id WHERE p.key = 'budgeting'`).Scan(&who, &letter); err != nil || who != "Mei Chen" || letter != "A" {
		t.Fatalf("stored RACI: %q %q %v", who, letter, err)
	}

	b.do(chromedp.Navigate(s.url+"/scope"), chromedp.WaitVisible(chromedp.CSS("#sc-statement")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#sc-statement").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#sc-statement"), "All managed IT services for our customers and staff, including the Leipzig branch."))
	b.navigates(chromedp.Click(chromedp.CSS("#save-scope")))
	b.waitFlash("Saved.")
	if draft := b.text("#draft"); !strings.Contains(draft, "Draft: version 3") || !strings.Contains(draft, "statement changed") {
		t.Fatalf("draft after saving: %q", draft)
	}
	b.navigates(chromedp.Click(chromedp.CSS("#approve-3")))
	b.waitFlash("Approved.")
	if in := b.text("#in-force"); !strings.Contains(in, "In force: version 3") || !strings.Contains(in, "Leipzig branch") {
		t.Fatalf("in force after approval: %q", in)
	}
	b.shot("sms-scope-approved")
}
