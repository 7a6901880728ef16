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
	number := regexp.MustCompile(`\d+`)
	for _, who := range []struct {
		email, board string
		tiles        []figureLink
	}{
		{"admin@steward.demo", "desk-lead", []figureLink{{"incidents-opened", "/", false}, {"incident-mttr", "/", true},
			{"incident-backlog", "/", false}, {"request-backlog", "/requests", false}}},
		// A requester's figures are their organisation's, and so are the
		// lists they open.
		{"requester@steward.demo", "customer", []figureLink{{"incidents-opened", "/", false}, {"incident-backlog", "/", false},
			{"incident-mttr", "/", true}}},
	} {
		tb.login(who.email)
		for _, c := range who.tiles {
			tb.do(chromedp.Navigate(s.url+"/dashboard?board="+who.board), chromedp.WaitVisible(chromedp.CSS("#dash-tiles")))
			if tb.count("#tile-"+c.tile+" a.dash-figure") == 0 {
				t.Errorf("%s, %s: the tile's figure is not a link (%q)", who.email, c.tile, tb.text("#tile-"+c.tile))
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
				t.Fatalf("%s, %s: no count in %q", who.email, c.tile, words)
			}
			tb.navigates(chromedp.Click(chromedp.CSS("#tile-" + c.tile + " a.dash-figure")))
			if p := tb.currentPath(); p != c.list {
				t.Errorf("%s, %s: the figure led to %s, want %s", who.email, c.tile, p, c.list)
				continue
			}
			if got := tb.count("tr[data-row]"); got != want {
				href, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.search`))
				t.Errorf("%s, %s reads %q (%q) but its list %s shows %d rows", who.email, c.tile, figure, words, href, got)
			}
		}
		tb.logout()
	}
}

// figureLink is a tile whose figure opens a list.
type figureLink struct {
	tile, list string
	// basis: the count is the one in the tile's meta line ("from 2
	// resolved incidents"), not its figure.
	basis bool
}
