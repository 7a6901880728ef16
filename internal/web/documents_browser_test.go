package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// In a real browser: an admin creates a policy that staff must
// acknowledge, writes version 1, approves it; an agent finds it in their
// list and acknowledges it; the policy's page counts them.
func TestBrowserDocumentAcknowledged(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tb := openTab(t, bin, s.url, shots)
	tb.login("admin@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/documents"), chromedp.WaitVisible(chromedp.CSS(".doc-checklist")))
	tb.shot("documents")
	// Only the chosen type's own fields show.
	tb.do(chromedp.Navigate(s.url+"/documents/new?type=communication_plan"), chromedp.WaitVisible(chromedp.CSS(".doc-attrs-communication_plan")))
	if vis, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector(".doc-attrs-sms_plan")).display !== "none"`)); err != nil || vis {
		t.Errorf("the SMS plan's fields show on a communication plan: %v", err)
	}
	tb.shot("document-new-comms")
	tb.do(chromedp.Navigate(s.url+"/documents/new"), chromedp.WaitVisible(chromedp.CSS("#doc-title")))
	tb.shot("document-new")
	tb.navigates(
		chromedp.SendKeys(chromedp.CSS("#doc-title"), "Remote working policy"),
		chromedp.SetValue(chromedp.CSS("#doc-retention"), "7 years after superseded"),
		chromedp.Click(chromedp.CSS(`input[name="requires_acknowledgement"]`)),
		chromedp.Click(chromedp.CSS(`.doc-form button[type="submit"].btn-primary`)),
	)
	tb.waitFlash("Saved.")
	path, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.Click(chromedp.CSS(".doc-new-version > summary")), chromedp.WaitVisible(chromedp.CSS("#ver-body")))
	tb.navigates(
		chromedp.SendKeys(chromedp.CSS("#ver-body"), "# Remote working\n\nWork from home with a **company laptop** only."),
		chromedp.Click(chromedp.CSS(`.doc-new-version button[type="submit"]`)),
	)
	tb.waitFlash("Version saved.")
	tb.navigates(chromedp.Click(chromedp.CSS(`.doc-approve button[type="submit"]`)))
	tb.waitFlash("Approved.")
	if got := tb.text(".doc-text"); !strings.Contains(got, "company laptop") {
		t.Errorf("the text in force reads %q", got)
	}
	if got := tb.text(".doc-cov-sum"); !strings.Contains(got, "0 of 8") {
		t.Errorf("coverage before: %q", got)
	}
	tb.logout()

	tb.login("agent@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/documents/acknowledge"), chromedp.WaitVisible(chromedp.CSS(".doc-ack-list")))
	if got := tb.text(".doc-ack-list"); !strings.Contains(got, "Remote working policy") || !strings.Contains(got, "Service management policy") {
		t.Errorf("the agent's list: %q", got)
	}
	tb.shot("documents-acknowledge")
	tb.do(chromedp.Navigate(s.url+path), chromedp.WaitVisible(chromedp.CSS(".doc-ack-form")))
	tb.navigates(chromedp.Click(chromedp.CSS(`.doc-ack-form button[type="submit"]`)))
	tb.waitFlash("your acknowledgement is recorded")
	if got := tb.text(".doc-cov-sum"); !strings.Contains(got, "1 of 8") {
		t.Errorf("coverage after the agent: %q", got)
	}
	if got := tb.text(".doc-acked"); !strings.Contains(got, "You acknowledged version 1") {
		t.Errorf("the agent is told %q", got)
	}
	tb.shot("document-acknowledged")
	var pol string
	if err := s.app.DB.QueryRow(t.Context(), "SELECT CAST(id AS TEXT) FROM documents WHERE doc_type = 'resource_plan' ORDER BY id LIMIT 1").Scan(&pol); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.Navigate(s.url+"/documents/"+pol), chromedp.WaitVisible(chromedp.CSS(".doc-variance")))
	tb.shot("document-resource-plan")
	tb.do(chromedp.Navigate(s.url+"/documents"), chromedp.WaitVisible(chromedp.CSS(".doc-checklist")))
	tb.shot("documents-agent")
	tb.do(chromedp.Navigate(s.url+"/documents/"+docID(t, s, "Service management policy")), chromedp.WaitVisible(chromedp.CSS(".doc-ack-form")))
	tb.shot("document-policy-agent")
	tb.do(chromedp.Navigate(s.url+"/documents/"+docID(t, s, "Service request fulfilment procedure")), chromedp.WaitVisible(chromedp.CSS("#versions")))
	if got := tb.text("#versions"); !strings.Contains(got, "Only the document's approver, Ada Admin, may approve") {
		t.Errorf("the agent is not told who approves: %q", got)
	}
	tb.shot("document-draft-agent")
}

// In a real browser: an admin writes version 1 of a policy as a signed
// PDF through the page's file input; the page shows the file with its
// SHA-256 and a download link.
func TestBrowserDocumentFileVersion(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pdf := filepath.Join(t.TempDir(), "Signed supplier policy 2026.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, bin, s.url, shots)
	tb.login("admin@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/documents/new"), chromedp.WaitVisible(chromedp.CSS("#doc-title")))
	tb.navigates(
		chromedp.SendKeys(chromedp.CSS("#doc-title"), "Supplier policy"),
		chromedp.Click(chromedp.CSS(`.doc-form button[type="submit"].btn-primary`)),
	)
	tb.waitFlash("Saved.")
	tb.do(chromedp.Click(chromedp.CSS(".doc-new-version > summary")), chromedp.WaitVisible(chromedp.CSS("#ver-file")))
	tb.shot("document-new-version-form")
	tb.navigates(
		chromedp.SetUploadFiles(chromedp.CSS("#ver-file"), []string{pdf}),
		chromedp.Click(chromedp.CSS(`.doc-new-version button[type="submit"]`)),
	)
	tb.waitFlash("Version saved.")
	if got := tb.text("#waiting"); !strings.Contains(got, "Signed supplier policy 2026.pdf") || !strings.Contains(got, "application/pdf") {
		t.Errorf("the waiting version reads %q", got)
	}
	tb.navigates(chromedp.Click(chromedp.CSS(`.doc-approve button[type="submit"]`)))
	tb.waitFlash("Approved.")
	if got := tb.text("#text"); !strings.Contains(got, "SHA-256") || !strings.Contains(got, "Download") {
		t.Errorf("the version in force reads %q", got)
	}
	tb.shot("document-file-version")
}
