package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// webmail shows one message's HTML part on a site of its own, as a mail
// program does.
func webmail(t *testing.T, html string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(html))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// One click on a rating in the survey's e-mail records it: the page the
// link opens sends the rating itself and thanks the requester, who may
// add a comment. Without scripts the page waits for "Send rating".
func TestRatingLinkBrowser(t *testing.T) {
	bin := chromium(t)
	s := newRatingSite(t)
	inc, _ := s.resolvedFor(t, "Meeting room screen shows no picture")
	_, html, _ := s.surveyMail(t, inc.Number)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openTab(t, bin, s.url, shots)
	b.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(webmail(t, html)), chromedp.WaitVisible(chromedp.CSS(`a[href$="?rating=4"]`)))
	csatShot(b, "link-mail")

	b.navigates(chromedp.Click(chromedp.CSS(`a[href$="?rating=4"]`)))
	b.do(chromedp.WaitVisible(chromedp.CSS("#csat-link-score")))
	if got := b.text("h1"); got != "Thank you for your rating" {
		t.Fatalf("after one click the page says %q", got)
	}
	if got := b.text("#csat-link-score"); got != "You rated it 4 of 5." {
		t.Fatalf("after one click on 4: %q", got)
	}
	if r, _ := s.surveyAnswer(t, inc.ID); r == nil || *r != 4 {
		t.Fatalf("one click on 4 recorded %v", r)
	}
	csatShot(b, "link-thanks")
	b.do(chromedp.SendKeys(chromedp.CSS("#csat-link-comment"), "Sorted within the hour."))
	b.navigates(chromedp.Click(chromedp.CSS(`#csat-link-comment-form button[type="submit"]`)))
	b.do(chromedp.WaitVisible(chromedp.CSS("#csat-link-said")))
	if _, c := s.surveyAnswer(t, inc.ID); c != "Sorted within the hour." {
		t.Fatalf("the comment recorded is %q", c)
	}
	csatShot(b, "link-commented")

	// Without scripts the link shows the rating chosen and records it only
	// when "Send rating" is pressed.
	other, _ := s.resolvedFor(t, "Laptop fan is loud")
	_, html2, _ := s.surveyMail(t, other.Number)
	links, _ := ratingLinks(t, html2)
	b.do(scripts(false))
	b.navigates(chromedp.Navigate(links["2"]))
	b.do(chromedp.WaitVisible(chromedp.CSS("#csat-link-send")))
	if got := b.text("#csat-link-stars"); got != "★★☆☆☆" {
		t.Fatalf("the page shows %q for a rating of 2", got)
	}
	if r, _ := s.surveyAnswer(t, other.ID); r != nil {
		t.Fatal("the page recorded the rating without being sent")
	}
	csatShot(b, "link-rate")
	b.navigates(chromedp.Click(chromedp.CSS("#csat-link-send")))
	b.do(chromedp.WaitVisible(chromedp.CSS("#csat-link-score")))
	if r, _ := s.surveyAnswer(t, other.ID); r == nil || *r != 2 {
		t.Fatalf("Send rating recorded %v", r)
	}
	b.do(scripts(true))
	b.navigates(chromedp.Navigate(links["5"]))
	b.do(chromedp.WaitVisible(chromedp.CSS("#csat-link-score")))
	if got := b.text("h1"); !strings.Contains(got, "You already rated this ticket") {
		t.Fatalf("a second link of the rated survey says %q", got)
	}
	if r, _ := s.surveyAnswer(t, other.ID); *r != 2 {
		t.Fatalf("a second link changed the rating to %d", *r)
	}
	csatShot(b, "link-already")
}
