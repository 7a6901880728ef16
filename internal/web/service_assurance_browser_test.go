package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A service's page shows its service assurance to staff: the demo's
// E-mail service is below its availability target, has an RTO and RPO, a
// draft plan and a tabletop test, a mailbox storage series forecast to
// cross its thresholds, and a budget for the year; the Driver app, still
// in the pipeline, has none of it and each card says so. On a phone the
// cards stack in the page's width. A requester sees the service but no
// assurance card.
func TestBrowserServiceAssurance(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	id := func(name string) int64 {
		var id int64
		if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = ?", name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	mail, driver := id("E-mail"), id("Driver app")
	if _, err := s.app.Availability.Derive(context.Background()); err != nil { // outages from the demo's incidents
		t.Fatal(err)
	}
	year := strconv.Itoa(time.Now().Year())
	b := openTab(t, bin, s.url, "")
	b.login("admin@steward.demo")
	b.do(chromedp.EmulateViewport(1280, 900))
	b.navigates(chromedp.Navigate(fmt.Sprintf("%s/services/%d", s.url, mail)))
	b.do(chromedp.WaitVisible(chromedp.CSS("#assurance-availability")))
	for sel, want := range map[string][]string{
		"#assurance-availability": {"below target", "against a target of 99.9 % (round the clock)", "in 1 outage", "Availability report"},
		"#assurance-continuity":   {"RTO 8 h · RPO 1 h", "Plan: E-mail outage (draft)", "Last test", "RTO not measured"},
		"#assurance-capacity":     {"mailbox_storage · E-mail", "Latest 8.4 TB", "Forecast to cross its warning threshold on"},
		"#assurance-costs":        {"EUR in " + year, "Budget 37,056.00 EUR.", "left."},
	} {
		got := b.text(sel)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s reads %q, want %q in it", sel, got, w)
			}
		}
	}
	links := map[string]string{}
	for _, card := range []string{"availability", "continuity", "capacity", "costs"} {
		href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("#assurance-"+card+" .more a"), "href"))
		if err != nil || !href.Exists {
			t.Fatalf("the %s card's link: %v", card, err)
		}
		links[card] = strings.TrimPrefix(href.Value, s.url)
	}
	if links["availability"] != fmt.Sprintf("/availability?service=%d", mail) || links["capacity"] != fmt.Sprintf("/capacity?service=%d", mail) ||
		!strings.HasPrefix(links["costs"], fmt.Sprintf("/costs/services/%d?from=%s", mail, year)) || !strings.HasPrefix(links["continuity"], "/continuity-plans/") {
		t.Errorf("the cards link to %v", links)
	}
	// The availability link opens the report on the service alone.
	b.navigates(chromedp.Click(chromedp.CSS("#assurance-availability .more a")))
	cards, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".avail-card")).map(function (c) { return c.id; })`))
	if err != nil || len(cards) != 1 || cards[0] != fmt.Sprintf("avail-%d", mail) {
		t.Errorf("the availability report from the card shows %v (%v)", cards, err)
	}

	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	b.navigates(chromedp.Navigate(fmt.Sprintf("%s/services/%d", s.url, driver)))
	b.do(chromedp.WaitVisible(chromedp.CSS("#assurance-costs")))
	for sel, want := range map[string]string{
		"#assurance-availability": "No availability target set and no outages recorded in the last 30 days.",
		"#assurance-continuity":   "No continuity requirement, plan or test for this service.",
		"#assurance-capacity":     "No utilisation recorded for this service or its CIs.",
		"#assurance-costs":        "No costs or budget recorded for " + year + ".",
	} {
		if got := b.text(sel); !strings.Contains(got, want) {
			t.Errorf("%s without data reads %q", sel, got)
		}
	}
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(function () {
		var cards = document.querySelectorAll(".assurance-card");
		for (var i = 0; i < cards.length; i++) { if (cards[i].getBoundingClientRect().right > window.innerWidth) return true; }
		return document.documentElement.scrollWidth > window.innerWidth;
	})()`))
	if err != nil || wide {
		t.Errorf("on a phone the assurance cards run past the screen (%v)", err)
	}

	b.do(chromedp.EmulateViewport(1280, 900))
	b.logout()
	b.login("requester@steward.demo")
	b.navigates(chromedp.Navigate(fmt.Sprintf("%s/services/%d", s.url, mail)))
	if h := b.text("h1"); h != "E-mail" {
		t.Fatalf("the requester's service page reads %q", h)
	}
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(".assurance-card, #assurance-title").length`))
	if err != nil || n != 0 {
		t.Errorf("a requester sees %d assurance elements (%v)", n, err)
	}
	if got := b.text("main"); strings.Contains(got, "Service assurance") || strings.Contains(got, "RTO") || strings.Contains(got, "EUR") {
		t.Errorf("a requester's service page reads %q", got)
	}
}
