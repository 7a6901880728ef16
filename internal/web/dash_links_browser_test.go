package web_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/config"
)

// A tile's number opens exactly the records it counts: the list behind
// it is narrowed to the tile's period on the organisation's calendar (far
// from UTC here, so that a list reading the days in UTC would show other
// records), and the rows it shows are as many as the tile says.
func TestBrowserDashboardFiguresOpenTheRecordsCounted(t *testing.T) {
	bin := chromium(t)
	s := newSiteWith(t, func(c *config.Config) { c.TimeZone = "Pacific/Auckland" })
	tb := openTab(t, bin, s.url, "")
	tb.do(chromedp.EmulateViewport(1280, 900))
	tb.login("admin@steward.demo")
	number := regexp.MustCompile(`\d+`)
	for _, c := range []struct {
		tile, list string
		// basis: the count is the one in the tile's meta line ("from 2
		// resolved incidents"), not its figure.
		basis bool
	}{
		{"incidents-opened", "/", false},
		{"incident-mttr", "/", true},
		{"incident-backlog", "/", false},
		{"request-backlog", "/requests", false},
	} {
		tb.do(chromedp.Navigate(s.url+"/dashboard?board=desk-lead"), chromedp.WaitVisible(chromedp.CSS("#dash-tiles")))
		if tb.count("#tile-"+c.tile+" a.dash-figure") == 0 {
			t.Errorf("%s: the tile's figure is not a link (%q)", c.tile, tb.text("#tile-"+c.tile))
			continue
		}
		figure := tb.text("#tile-" + c.tile + " .dash-figure")
		words := figure
		if c.basis {
			words = tb.text("#tile-" + c.tile + " .dash-meta")
			words = words[strings.LastIndex(words, "from "):]
		}
		want, err := strconv.Atoi(number.FindString(words))
		if err != nil {
			t.Fatalf("%s: no count in %q", c.tile, words)
		}
		tb.navigates(chromedp.Click(chromedp.CSS("#tile-" + c.tile + " a.dash-figure")))
		if p := tb.currentPath(); p != c.list {
			t.Errorf("%s: the figure led to %s, want %s", c.tile, p, c.list)
			continue
		}
		if got := tb.count("tr[data-row]"); got != want {
			href, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.search`))
			t.Errorf("%s reads %q (%q) but its list %s shows %d rows", c.tile, figure, words, href, got)
		}
	}
}
