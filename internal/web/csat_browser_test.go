package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// csatShot saves the page at 1280 px (whole page) and 390 px (the first
// screen of a phone) when screenshots are asked for.
func csatShot(b *tab, name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	for _, size := range []struct {
		label string
		w, h  int64
		scale float64
		full  bool
	}{{"1280", 1280, 900, 1, true}, {"390", 390, 844, 2, false}} {
		png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(size.scale))(ctx, t); err != nil {
				return nil, err
			}
			if size.full {
				return chromedp.FullScreenshot(100)(ctx, t)
			}
			return chromedp.CaptureScreenshot()(ctx, t)
		})
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, "csat-"+name+"-"+size.label+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}

// A requester opens the survey from their notification and rates the
// resolved incident with one click; the incident then shows the rating.
// Staff see it in the satisfaction report.
func TestCSATBrowser(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	inc, link := s.resolvedFor(t, "Scanner on floor 2 jams")
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openTab(t, bin, s.url, shots)
	b.do(chromedp.EmulateViewport(1280, 900))
	b.login("requester@steward.demo")
	b.do(chromedp.Navigate(s.url+"/notifications"), chromedp.WaitVisible(chromedp.CSS(".rq-note-actions")))
	open := `//li[contains(., "` + inc.Number + `")][contains(., "How did we do?")]//form[input[@name="open"]]/button`
	b.navigates(chromedp.Click(open))
	b.do(chromedp.WaitVisible(chromedp.CSS(`.csat-scale button[value="4"]`)))
	var url string
	if u, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname`)); err != nil || u != link {
		t.Fatalf("the notification led to %q (%v), want %s", u, err, link)
	} else {
		url = u
	}
	csatShot(b, "survey")
	b.do(chromedp.SendKeys(chromedp.CSS("#csat-comment"), "Quick and friendly."))
	b.navigates(chromedp.Click(chromedp.CSS(`.csat-scale button[value="4"]`)))
	b.waitFlash("Thank you for your rating.")
	if got := b.text("#csat-score"); got != "4 of 5" {
		t.Fatalf("after rating %s the widget shows %q", url, got)
	}
	if body := b.text("#csat"); !strings.Contains(body, "Quick and friendly.") {
		t.Fatalf("the widget lacks the comment: %q", body)
	}
	csatShot(b, "rated")
	b.logout()

	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/satisfaction"), chromedp.WaitVisible(chromedp.CSS("#csat-trend")))
	csatShot(b, "report")
	b.do(chromedp.Navigate(s.url+"/complaints"), chromedp.WaitVisible(chromedp.CSS("#complaints")))
	csatShot(b, "complaints")
	b.do(chromedp.Navigate(s.url+"/service-reviews"), chromedp.WaitVisible(chromedp.CSS("#reviews-upcoming")))
	csatShot(b, "reviews")
	b.navigates(chromedp.Click(`//table[@id="reviews-held"]//a`))
	b.do(chromedp.WaitVisible(chromedp.CSS("#pack")))
	csatShot(b, "review")
}
