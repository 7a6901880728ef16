package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRequestFlow walks a service request through a real browser:
// the requester picks an item from the catalog and fills in its form (the
// dependent question appears only once its answer is given), the manager
// approves it, and the agent does its tasks until it is fulfilled.
func TestBrowserRequestFlow(t *testing.T) {
	bin := chromium(t)
	s := requestSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	b := &tab{t: t, ctx: ctx, base: s.url, shots: shots}
	b.do(chromedp.EmulateViewport(1366, 900))
	shown := func(sel string) bool {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () { var e = document.querySelector("`+sel+`"); return !!e && !e.closest("[hidden]"); })()`))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// The requester finds the laptop in the catalog and asks for one.
	b.login("requester@steward.demo")
	b.do(chromedp.Navigate(s.url+"/catalog"), chromedp.WaitVisible(chromedp.CSS(".rq-items")))
	b.shot("catalog")
	b.do(chromedp.Click(chromedp.CSS(`.rq-item h3 a[href="/catalog/items/`+s.itemID(t, "New laptop")+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q-model")))
	if shown("#q-dock_place") {
		t.Fatal("the docking station's place is asked before a docking station is wanted")
	}
	b.do(chromedp.Click(chromedp.CSS(`input[name="a.dock"][value="true"]`)), chromedp.WaitVisible(chromedp.CSS("#q-dock_place")))
	b.do(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if msg := b.text(".banner-error"); !strings.Contains(msg, "attention") {
		t.Fatalf("banner after an incomplete form: %q", msg)
	}
	b.shot("request-form-errors")
	b.do(chromedp.SetValue(chromedp.CSS("#q-model"), "15 inch, performance"),
		chromedp.SendKeys(chromedp.CSS("#q-dock_place"), "Building B, desk 7"),
		chromedp.SetValue(chromedp.CSS("#q-needed_by"), "2099-06-01"),
		chromedp.SendKeys(chromedp.CSS("#title"), "Laptop for the summer intern"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Request submitted.")
	number := b.text(".crumbs .mono")
	if st := b.text(".head-meta .pill"); st != "Awaiting approval" {
		t.Fatalf("state after submitting: %q", st)
	}
	if answers := b.text(".rq-answers"); !strings.Contains(answers, "Building B, desk 7") || !strings.Contains(answers, "15 inch") {
		t.Fatalf("answers shown: %q", answers)
	}
	b.shot("request-submitted")
	b.logout()

	// Her manager approves it from the approvals page.
	b.login("paul.meyer@northwind.example")
	b.do(chromedp.Navigate(s.url+"/approvals"), chromedp.WaitVisible(chromedp.CSS(".rq-approvals")))
	if list := b.text(".rq-approvals"); !strings.Contains(list, number) {
		t.Fatalf("the manager's approvals lack %s: %q", number, list)
	}
	b.shot("approvals")
	form := `form[action*="/` + number + `/approvals/"]`
	b.do(chromedp.SendKeys(chromedp.CSS(form+` input[name="comment"]`), "Approved for the summer"),
		chromedp.Click(chromedp.CSS(form+` button.btn-success`)))
	b.waitFlash("Approved.")
	b.logout()

	// The agent does both stages of the work; the request is fulfilled.
	b.login("agent@steward.demo")
	for i := 0; i < 2; i++ {
		// A fresh page each time, so the flash waited for is the new one.
		b.do(chromedp.Navigate(s.url+"/requests/"+number), chromedp.WaitVisible(chromedp.CSS(".rq-tasks")),
			chromedp.Click(chromedp.CSS(`form[action$="/done"] button`)))
		b.waitFlash("Task done.")
	}
	if st := b.text(".head-meta .pill"); st != "Fulfilled" {
		t.Fatalf("state after the last task: %q", st)
	}
	b.shot("request-fulfilled")
	b.darkShot("request-fulfilled")
	b.logout()

	// The requester hears about it.
	b.login("requester@steward.demo")
	b.do(chromedp.Navigate(s.url+"/notifications"), chromedp.WaitVisible(chromedp.CSS(".rq-notes")))
	if notes := b.text(".rq-notes"); !strings.Contains(notes, "Fulfilled: "+number) {
		t.Fatalf("requester's notifications: %q", notes)
	}
	b.shot("notifications")
	b.logout()

	// The administrator's item editor and managers page open and render.
	b.login("admin@steward.demo")
	for _, p := range []struct{ path, name, heading string }{
		{"/catalog/items/" + s.itemID(t, "New laptop") + "/edit", "catalog-item-edit", "Edit item"},
		{"/managers", "managers", "Managers"}, {"/requests?view=all", "requests", "Requests"},
	} {
		b.do(chromedp.Navigate(s.url+p.path), chromedp.WaitVisible(chromedp.CSS(".page-head h1")))
		if h := b.text(".page-head h1"); h != p.heading {
			t.Fatalf("%s: heading %q", p.path, h)
		}
		b.shot(p.name)
	}
}
