package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// phoneCheck measures the page at 390 px: nothing overflows sideways and
// no internal code shows.
func (b *tab) phoneCheck(what string) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](phoneAuditJS))
	if err != nil {
		b.t.Fatal(err)
	}
	var a phoneAudit
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		b.t.Fatal(err)
	}
	if a.Overflow > 0 {
		b.t.Errorf("%s at 390 px overflows by %d px: %v", what, a.Overflow, a.Wide)
	}
	if len(a.Codes) > 0 {
		b.t.Errorf("%s shows codes: %v", what, a.Codes)
	}
	// A list clips what does not fit; it must fit the screen itself.
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('table, table td'))
		.filter(e => e.getClientRects().length && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
		.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right))`))
	if err != nil {
		b.t.Fatal(err)
	}
	if len(wide) > 0 {
		b.t.Errorf("%s at 390 px: wider than the screen: %v", what, wide)
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}

// The complaints list stacks as cards on a phone for staff and
// requesters; a low rating says a complaint follows and the complaint
// tells which rating opened it.
func TestBrowserComplaintsOnAPhone(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	inc, link := s.resolvedFor(t, "Laptop fan is loud since the update")
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.do(chromedp.EmulateViewport(1280, 900))

	b.login("requester@steward.demo")
	b.do(chromedp.Navigate(s.url+link), chromedp.WaitVisible(chromedp.CSS(".csat-low-notice")))
	csatShot(b, "survey-low-notice")
	b.navigates(chromedp.Click(chromedp.CSS(`.csat-scale button[value="2"]`)))
	b.waitFlash("follows it up with a complaint")
	if got := b.text("#csat"); !strings.Contains(got, "you can follow under My complaints") {
		t.Errorf("the rated incident %s does not point to the complaint: %q", inc.Number, got)
	}
	csatShot(b, "rated-low")
	b.do(chromedp.Navigate(s.url+"/complaints?state=all"), chromedp.WaitVisible(chromedp.CSS("#complaints")))
	if got := b.text("#complaints"); !strings.Contains(got, "From your rating") {
		t.Errorf("the requester's list does not tell the rating's complaint: %q", got)
	}
	b.phoneCheck("the requester's complaints")
	csatShot(b, "my-complaints")
	b.navigates(chromedp.Click(`//table[@id="complaints"]//a[contains(., "` + inc.Number + `")]`))
	b.do(chromedp.WaitVisible(chromedp.CSS("#journal")))
	if got := b.text("#journal"); !strings.Contains(got, "Opened from a rating of 2 of 5 on "+inc.Number) {
		t.Errorf("the complaint's history: %q", got)
	}
	b.phoneCheck("the requester's complaint")
	csatShot(b, "my-complaint")
	b.logout()

	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/complaints?state=all"), chromedp.WaitVisible(chromedp.CSS("#complaints")))
	b.phoneCheck("the staff's complaints")
	csatShot(b, "complaints-all")
	b.do(chromedp.Navigate(s.url+"/satisfaction"), chromedp.WaitVisible(chromedp.CSS("#csat-trend")))
	csatShot(b, "report-low")
}

// The article editor refuses a past review date beside the field, the
// surveys settings keep "Only these services" after an error, and the
// auditor reads an article without the feedback form.
func TestBrowserKbAndSurveyRulesErrors(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	b.do(chromedp.EmulateViewport(1280, 900))
	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/articles/new"), chromedp.WaitVisible(chromedp.CSS("#kb-review")))
	past := time.Now().AddDate(0, 0, -2)
	b.do(chromedp.SendKeys(chromedp.CSS(`input[name="title"]`), "Pair a headset"),
		chromedp.SetValue(chromedp.CSS("#kb-review"), past.Format("2006-01-02")))
	b.navigates(chromedp.Click(`//form[@action="/articles"]//button[@value="save"]`))
	b.do(chromedp.WaitVisible(chromedp.CSS(".has-error #kb-review")))
	b.kbShot("review-date-past", ".has-error #kb-review")
	b.logout()

	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(s.url+"/admin/satisfaction"), chromedp.WaitVisible(chromedp.CSS(`input[value="listed"]`)))
	b.do(chromedp.Click(chromedp.CSS(`input[name="services"][value="listed"]`)))
	for _, sel := range []string{".csat-services input:checked"} {
		// The demo surveys every service: nothing is ticked under the list.
		if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+sel+`").length`)); n != 0 {
			t.Fatalf("%d services ticked before the test", n)
		}
	}
	b.navigates(chromedp.Click(`//form[@action="/admin/satisfaction"]//button[@type="submit"]`))
	b.do(chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if on, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="services"][value="listed"]').checked`)); !on {
		t.Errorf("after the error \"Only these services\" is no longer chosen")
	}
	csatShot(b, "rules-error")
	b.logout()

	b.login("auditor@steward.demo")
	b.do(chromedp.Navigate(s.url+"/articles/KB-000001"), chromedp.WaitVisible(chromedp.CSS(".kb-body")))
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#feedback form").length`)); n != 0 {
		t.Errorf("the auditor sees the feedback form")
	}
	b.kbShot("auditor-article", "")
}
