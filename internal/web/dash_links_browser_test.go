package web_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"steward/internal/config"
	"steward/internal/store"
)

// A tile's number opens exactly the records it counts: the list behind
// it is narrowed to the tile's period on the organisation's calendar (far
// from UTC here, so that a list reading the days in UTC would show other
// records), and the rows it shows are as many as the tile says.
func TestBrowserDashboardFiguresOpenTheRecordsCounted(t *testing.T) {
	bin := chromium(t)
	s := newSiteWith(t, func(c *config.Config) { c.TimeZone = "Pacific/Auckland" })
	// Some problems and nonconformities are opened and closed in the
	// month's first hour where the organisation is, still the month
	// before in UTC, and one is closed in the month before's last hour.
	loc, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	early, before := start.Add(30*time.Minute), start.Add(-30*time.Minute)
	if !early.Before(now) {
		t.Skip("the month began less than half an hour ago where the organisation is")
	}
	// The desk's tiles count this week, which may have begun minutes ago
	// where the organisation is: one of the requester's organisation's
	// incidents is raised this week and another raised and resolved in it.
	monday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -(int(now.Weekday())+6)%7)
	if now.Sub(monday) < 4*time.Minute {
		t.Skip("the week began less than four minutes ago where the organisation is")
	}
	week := func(part int) time.Time { return monday.Add(now.Sub(monday) * time.Duration(part) / 4) }
	const theirs = `customer_id = (SELECT customer_id FROM users WHERE email = 'requester@steward.demo')`
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE problems SET closed_at = ? WHERE state = 'closed'`, []any{store.TS(early)}},
		{`UPDATE problems SET state = 'closed', closed_at = ? WHERE id = (SELECT MIN(id) FROM problems WHERE state = 'resolved')`, []any{store.TS(before)}},
		// A cancelled problem is not a closed one.
		{`UPDATE problems SET state = 'cancelled', closed_at = ? WHERE id = (SELECT MIN(id) FROM problems WHERE state = 'new')`, []any{store.TS(early)}},
		{`UPDATE problems SET created_at = ? WHERE id IN (SELECT id FROM problems WHERE state <> 'closed' ORDER BY id LIMIT 2)`, []any{store.TS(early)}},
		{`UPDATE nonconformities SET closed_at = ? WHERE id IN (SELECT id FROM nonconformities WHERE state = 'closed' ORDER BY id LIMIT 1)`, []any{store.TS(early)}},
		{`UPDATE nonconformities SET closed_at = ? WHERE id IN (SELECT id FROM nonconformities WHERE state = 'cancelled' ORDER BY id LIMIT 1)`, []any{store.TS(early)}},
		{`UPDATE incidents SET created_at = ? WHERE id = (SELECT MAX(id) FROM incidents WHERE resolved_at IS NULL AND ` + theirs + `)`, []any{store.TS(week(2))}},
		{`UPDATE incidents SET created_at = ?, resolved_at = ? WHERE id = (SELECT MAX(id) FROM incidents WHERE resolved_at IS NOT NULL AND ` + theirs + `)`,
			[]any{store.TS(week(1)), store.TS(week(3))}},
	} {
		if _, err := s.app.DB.Exec(context.Background(), q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.app.Dashboards.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, bin, s.url, "")
	tb.do(chromedp.EmulateViewport(1280, 900))
	number := regexp.MustCompile(`\d+`)
	for _, who := range []struct {
		email, board string
		tiles        []figureLink
	}{
		{"admin@steward.demo", "desk-lead", []figureLink{{"incidents-opened", "/", ""}, {"incident-mttr", "/", "from"},
			{"incident-backlog", "/", ""}, {"request-backlog", "/requests", ""}}},
		// Changes, problems and nonconformities open their lists by the
		// days they were raised or closed.
		{"admin@steward.demo", "sms-manager", []figureLink{{"change-success", "/changes", "of"}, {"emergency-changes", "/changes", "hits"},
			{"change-lead-time", "/changes", "from"}, {"problems-closed", "/problems", ""}, {"nc-days-to-close", "/nonconformities", "from"}}},
		{"admin@steward.demo", "service-owner", []figureLink{{"problems-opened", "/problems", ""}}},
		// A requester's figures are their organisation's, and so are the
		// lists they open.
		{"requester@steward.demo", "customer", []figureLink{{"incidents-opened", "/", ""}, {"incident-backlog", "/", ""},
			{"incident-mttr", "/", "from"}}},
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
			if c.count != "" {
				// The meta line reads "period · basis · target": the
				// count is in the basis.
				words = tb.text("#tile-" + c.tile + " .dash-meta")
				if parts := strings.Split(words, " · "); len(parts) > 1 {
					words = parts[1]
				}
				if c.count != "hits" {
					words = words[strings.LastIndex(words, c.count+" "):]
				}
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
	// count says where the count of the records listed is: in the
	// figure (""), or in the basis of the tile's meta line, after
	// "from" ("from 2 resolved incidents") or "of" ("3 of 4 closed
	// changes"), or first there ("hits": the 3 of "3 of 4 changes").
	count string
}
