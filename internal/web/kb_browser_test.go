package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// kbShot saves the page at 1280 px (whole page) and 390 px (the first
// screen, and the screen scrolled to sel when given).
func (b *tab) kbShot(name, sel string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	for _, size := range []struct {
		label string
		w, h  int64
		scale float64
		full  bool
	}{{"1280", 1280, 860, 1, true}, {"390", 390, 844, 2, false}} {
		png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(size.scale))(ctx, t); err != nil {
				return nil, err
			}
			if size.full {
				return chromedp.FullScreenshot(100)(ctx, t)
			}
			if sel != "" {
				if _, err := chromedp.ScrollIntoView(sel)(ctx, t); err != nil {
					return nil, err
				}
			}
			return chromedp.CaptureScreenshot()(ctx, t)
		})
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, "kb-"+size.label+"-"+name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1366, 900))
}

// A requester types "vpn token" into a new incident's title and is shown
// the VPN token article; opening it from there counts for the draft, and
// they say it helped.
func TestBrowserRequesterFindsArticleWhileTyping(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	tb := openTab(t, bin, s.url, screenshotsDir(t))
	tb.login("requester@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/incidents/new"), chromedp.WaitVisible(chromedp.CSS("#title")))
	if got := tb.text(".kb-help-link"); !strings.Contains(got, "Search help articles") {
		t.Errorf("the form's help link reads %q", got)
	}
	tb.do(chromedp.SendKeys(chromedp.CSS("#title"), "vpn token"),
		chromedp.WaitVisible(`//ul[contains(@class,"kb-suggest-list")]/li/a[contains(., "VPN token")]`))
	first := tb.text(".kb-suggest-list li:first-child a")
	if first != "Set up or resync your VPN token" {
		t.Errorf("first suggestion %q", first)
	}
	if got := tb.text(".kb-suggest-list"); strings.Contains(got, "ERP") || strings.Contains(got, "Known error") {
		t.Errorf("a requester is offered staff knowledge: %q", got)
	}
	tb.kbShot("new-incident-suggestions", ".kb-suggest")
	href, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector(".kb-suggest-list li:first-child a").href`))
	if err != nil || !strings.HasSuffix(href, "?from=new") {
		t.Fatalf("the suggestion links to %q (%v)", href, err)
	}
	tb.do(chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS(".kb-fb-form")))
	tb.kbShot("article-requester", "")
	tb.navigates(chromedp.SendKeys(chromedp.CSS("#kb-comment"), "The resync worked."),
		chromedp.Click(chromedp.CSS(`.kb-fb-buttons button[value="yes"]`)))
	tb.waitFlash("Thank you for your feedback.")
	var opens, helped int
	ctx := context.Background()
	if err := s.app.DB.QueryRow(ctx, "SELECT COUNT(*) FROM kb_opens WHERE context = 'draft'").Scan(&opens); err != nil || opens != 1 {
		t.Errorf("opens from the draft: %d (%v)", opens, err)
	}
	if err := s.app.DB.QueryRow(ctx, "SELECT COUNT(*) FROM kb_feedback WHERE helpful AND comment = 'The resync worked.'").Scan(&helped); err != nil || helped != 1 {
		t.Errorf("feedback stored: %d (%v)", helped, err)
	}
	tb.do(chromedp.Navigate(s.url+"/articles"), chromedp.WaitVisible(chromedp.CSS(".kb-help-list")))
	tb.kbShot("help-articles", "")
}

// An agent writes an article in the editor and submits it; the
// administrator publishes it from the review queue. On the agent's new
// incident form the category learnt from resolved incidents is offered
// and set only when the agent applies it.
func TestBrowserArticleEditorAndReview(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	tb := openTab(t, bin, s.url, screenshotsDir(t))
	tb.login("agent@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/articles"), chromedp.WaitVisible(chromedp.CSS(".kb-figures")))
	tb.kbShot("knowledge", "")
	tb.do(chromedp.Navigate(s.url+"/articles/new"), chromedp.WaitVisible(chromedp.CSS("#kb-title")))
	tb.navigates(chromedp.Click(chromedp.CSS(`.kb-form button[value="save"]`)))
	if got := tb.text("#kb-title + .field-error, .field-error"); !strings.Contains(strings.ToLower(got), "title") && !strings.Contains(strings.ToLower(got), "required") {
		t.Errorf("an empty title is refused with %q", got)
	}
	tb.do(chromedp.SendKeys(chromedp.CSS("#kb-title"), "Docking station not charging the laptop"),
		chromedp.SendKeys(chromedp.CSS("#kb-body"), "1. Unplug the dock's power for **10 seconds**.\n2. Use the USB-C port with the lightning mark.\n\n<script>alert(1)</script>"),
		chromedp.Click(chromedp.CSS(`input[name="audience"][value="requesters"]`)))
	tb.kbShot("editor", "#kb-body")
	tb.navigates(chromedp.Click(chromedp.CSS(`.kb-form button[value="submit"]`)))
	tb.waitFlash("Article saved.")
	if got := tb.text(".head-meta .pill"); got != "Review" {
		t.Errorf("the new article is %q, want in review", got)
	}
	if got := tb.text(".kb-prose"); !strings.Contains(got, "10 seconds") {
		t.Errorf("the text reads %q", got)
	}
	if n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll(".kb-prose script, .kb-prose strong").length`)); err != nil || n != 1 {
		t.Errorf("the Markdown is rendered without raw HTML: %d elements (%v)", n, err)
	}
	path, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/publish"]').length`)); err != nil || n != 0 {
		t.Errorf("the agent is offered Publish: %d (%v)", n, err)
	}

	// The agent's new incident form: the suggested category waits for a click.
	tb.do(chromedp.Navigate(s.url+"/incidents/new"), chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "VPN drops every few minutes in the Lyon office"),
		chromedp.WaitVisible(chromedp.CSS(`.kb-guess[data-field="category"]`)))
	time.Sleep(200 * time.Millisecond)
	if v, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.getElementById("category").value`)); v != "" {
		t.Errorf("the category was filled in without a click: %q", v)
	}
	if got := tb.text(`.kb-guess[data-field="category"]`); !strings.Contains(got, "network") || !strings.Contains(got, "%") {
		t.Errorf("the suggestion reads %q", got)
	}
	tb.kbShot("new-incident-agent", ".kb-suggest")
	tb.do(chromedp.Click(chromedp.CSS(`.kb-guess[data-field="category"] button`)))
	tb.waitValue("#category", "network")
	tb.logout()

	tb.login("admin@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/articles/review"), chromedp.WaitVisible(chromedp.CSS(".kb-list")))
	if got := tb.text(".kb-list"); !strings.Contains(got, "Docking station not charging the laptop") {
		t.Errorf("the review queue holds %q", got)
	}
	tb.kbShot("review-queue", "")
	tb.do(chromedp.Navigate(s.url+path), chromedp.WaitVisible(chromedp.CSS(`form[action$="/publish"]`)))
	tb.navigates(chromedp.Click(chromedp.CSS(`form[action$="/publish"] button`)))
	tb.waitFlash("Published")
	if got := tb.text(".head-meta .pill"); got != "Published" {
		t.Errorf("after publishing the article is %q", got)
	}
	tb.kbShot("article-staff", "")
}
