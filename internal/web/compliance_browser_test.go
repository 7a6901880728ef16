package web_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/audit"
	"steward/internal/compliance"
	"steward/internal/org"
)

// readinessMarker is the customer whose presence makes the test rule on
// 8.2.4 met, so that a test decides when there is evidence.
const readinessMarker = "Readiness marker customer"

var _ = compliance.Register(compliance.Rule{ID: "test-web-catalogue", Clause: "8.2.4", Title: "The catalogue names its customers",
	Todo: "Name the customers of each service.", Eval: func(ctx context.Context, in compliance.Input) (compliance.Result, error) {
		var n float64
		if err := in.Q.QueryRow(ctx, "SELECT COUNT(*) FROM customers WHERE name = ?", readinessMarker).Scan(&n); err != nil {
			return compliance.Result{}, err
		}
		if n == 0 {
			return compliance.Result{Status: compliance.NoData, Summary: "Nothing to look at."}, nil
		}
		return compliance.Result{Status: compliance.Met, Summary: "Every service names its customers.",
			Numbers: []compliance.Number{{Label: "Services", Value: n, Unit: "count", URL: "/services"}}}, nil
	}})

// In a real browser the SMS manager evaluates the evidence, opens a
// clause the records show met, rates it not met, and sees the
// disagreement highlighted there and on the readiness page; the exports
// are offered; the pages fit a phone.
func TestBrowserCompliance(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := org.Customers.Create(context.Background(), s.app.DB, audit.System, readinessMarker); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, bin, s.url, shots)
	tb.login("admin@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/compliance"), chromedp.WaitVisible(chromedp.CSS("#evaluate-now")))
	if got := tb.text(".cmp-taken"); !strings.Contains(got, "not kept") {
		t.Errorf("before the first snapshot the page says %q", got)
	}
	tb.navigates(chromedp.Click(chromedp.CSS("#evaluate-now")))
	tb.waitFlash("Evidence evaluated and kept as a snapshot.")
	if got := tb.text(".cmp-taken"); !strings.Contains(got, "snapshot") || !strings.Contains(got, "by") {
		t.Errorf("after evaluating the page says %q", got)
	}
	if got := tb.text("#readiness-score"); got == "0.0" {
		t.Errorf("score %s with a clause met", got)
	}
	href, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(chromedp.CSS("#audit-pack"), "href"))
	if err != nil || !strings.HasPrefix(href.Value, "/compliance/audit-pack") {
		t.Errorf("audit pack link %q %v", href.Value, err)
	}
	tb.shot("compliance-readiness")

	tb.navigates(chromedp.Click(chromedp.CSS(`#clause-8 a[href="/compliance/clauses/8.2.4"]`)))
	tb.do(chromedp.WaitVisible(chromedp.CSS("#assess-comment")))
	if got := tb.text("#rule-test-web-catalogue"); !strings.Contains(got, "Met") || !strings.Contains(got, "Every service names its customers.") {
		t.Errorf("the rule shows %q", got)
	}
	// Rate it otherwise than the evidence says.
	cls, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(chromedp.CSS("h1 .cmp-st"), "class"))
	if err != nil {
		t.Fatal(err)
	}
	rating, word := "not_met", "Not met"
	if strings.Contains(cls.Value, "cmp-st-not_met") {
		rating, word = "met", "Met"
	}
	tb.navigates(
		chromedp.Click(chromedp.CSS(`input[name="rating"][value="`+rating+`"]`)),
		chromedp.SendKeys(chromedp.CSS("#assess-comment"), "Two services have no owner on record."),
		chromedp.SendKeys(chromedp.CSS("#assess-evidence"), "/services"),
		chromedp.Click(chromedp.CSS("#save-assessment")),
	)
	tb.waitFlash("Your rating of the clause is saved")
	if got := tb.text(".cmp-disagree-banner"); !strings.Contains(got, "differs from the evidence") || !strings.Contains(got, "rated it "+word) {
		t.Errorf("the disagreement reads %q", got)
	}
	tb.do(chromedp.WaitVisible(chromedp.CSS(".cmp-assessment-disagree")))
	tb.shot("compliance-clause")

	tb.do(chromedp.Navigate(s.url+"/compliance"), chromedp.WaitVisible(chromedp.CSS(".cmp-disagree-card")))
	if got := tb.text(".cmp-disagree-card"); !strings.Contains(got, "8.2.4") {
		t.Errorf("the readiness page lists disagreements %q", got)
	}
	tb.do(chromedp.WaitVisible(chromedp.CSS(`.cmp-row-disagree a[href="/compliance/clauses/8.2.4"]`)))
	for _, p := range []string{"roadmap", "snapshots"} {
		tb.do(chromedp.Navigate(s.url+"/compliance/"+p), chromedp.WaitVisible(chromedp.CSS("h1")))
		tb.shot("compliance-" + p)
	}
	// A second snapshot draws the trend.
	tb.do(chromedp.Navigate(s.url+"/compliance"), chromedp.WaitVisible(chromedp.CSS("#evaluate-now")))
	tb.navigates(chromedp.Click(chromedp.CSS("#evaluate-now")))
	tb.do(chromedp.WaitVisible(chromedp.CSS("svg.cmp-trend")), chromedp.WaitReady(chromedp.CSS("svg.cmp-trend circle")))
	tb.shot("compliance-readiness-trend")
	tb.darkShot("compliance-readiness")
}
