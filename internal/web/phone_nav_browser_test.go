package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// On a phone the areas' links fold behind one Menu button, so the page
// starts near the top; the button opens them and an area's menu opens in
// place, its links reachable.
func TestBrowserPhoneMenu(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, "")
	b.login("admin@steward.demo")
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	b.navigates(chromedp.Navigate(s.url + "/"))
	b.do(chromedp.WaitVisible(chromedp.CSS(".nav-toggle")), chromedp.WaitNotVisible(chromedp.CSS("#main-nav")))
	top, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`document.querySelector("main").getBoundingClientRect().top`))
	if err != nil {
		t.Fatal(err)
	}
	if top > 120 {
		t.Errorf("with the menu folded the page starts %.0f px down on a phone", top)
	}
	b.do(chromedp.Click(chromedp.CSS(".nav-toggle")), chromedp.WaitVisible(chromedp.CSS("#main-nav")),
		chromedp.Click(`//details[contains(@class,"nav-menu")]/summary[normalize-space(.)="Events"]`),
		chromedp.WaitVisible(chromedp.CSS(`.nav-pop a[href="/integrations/settings"]`)))
	expanded, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(".nav-toggle"), "aria-expanded"))
	if err != nil || expanded.Value != "true" {
		t.Errorf("the open menu's button says aria-expanded=%+v (%v)", expanded, err)
	}
	b.navigates(chromedp.Click(chromedp.CSS(`.nav-pop a[href="/integrations/settings"]`)))
	if h := b.text("h1"); h == "" {
		t.Error("following the menu's link opened no page")
	}
	// At desktop width there is no button and the links show.
	b.do(chromedp.EmulateViewport(1280, 900), chromedp.WaitVisible(chromedp.CSS("#main-nav")), chromedp.WaitNotVisible(chromedp.CSS(".nav-toggle")))
}
