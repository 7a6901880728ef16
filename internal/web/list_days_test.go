package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/config"
	"steward/internal/store"
)

// The incident and request lists take the days a dashboard figure's link
// carries: raised, resolved or fulfilled from one day to another, read on
// the organisation's calendar; a day that is not one, or a span that ends
// before it starts, is refused with the filter named.
func TestListsTakeDaysOnTheOrganisationsCalendar(t *testing.T) {
	s := newSiteWith(t, func(c *config.Config) { c.TimeZone = "Europe/Berlin" })
	ctx := context.Background()
	admin := s.browser()
	admin.login("admin@steward.demo", "steward-demo")
	// One incident resolved at 00:30 on 1 June in Berlin (22:30 UTC on 31
	// May), one request fulfilled then and raised the same night.
	at := time.Date(2026, 5, 31, 22, 30, 0, 0, time.UTC)
	var inc, req string
	if err := s.app.DB.QueryRow(ctx, "SELECT id, title FROM incidents ORDER BY id LIMIT 1").Scan(new(int64), &inc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB.Exec(ctx, "UPDATE incidents SET resolved_at = ? WHERE title = ?", store.TS(at), inc); err != nil {
		t.Fatal(err)
	}
	if err := s.app.DB.QueryRow(ctx, "SELECT title FROM requests ORDER BY id LIMIT 1").Scan(&req); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB.Exec(ctx, "UPDATE requests SET created_at = ?, fulfilled_at = ? WHERE title = ?", store.TS(at), store.TS(at), req); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, title string
		listed      bool
	}{
		{"/?view=all&resolved_from=2026-06-01&resolved_to=2026-06-01", inc, true},
		{"/?view=all&resolved_from=2026-05-31&resolved_to=2026-05-31", inc, false},
		{"/requests?view=all&fulfilled_from=2026-06-01&fulfilled_to=2026-06-30", req, true},
		{"/requests?view=all&from=2026-06-01&to=2026-06-01", req, true},
		{"/requests?view=all&from=2026-05-01&to=2026-05-31", req, false},
	} {
		p := admin.get(c.path)
		if p.status != http.StatusOK {
			t.Errorf("%s: %d", c.path, p.status)
			continue
		}
		if strings.Contains(p.body, c.title) != c.listed {
			t.Errorf("%s lists %q: %v, want %v", c.path, c.title, !c.listed, c.listed)
		}
	}
	for _, c := range []struct{ path, named string }{
		{"/?view=all&resolved_from=June", "resolved_from (not a date"},
		{"/?view=all&from=2026-06-30&to=2026-06-01", "to (before from)"},
		{"/requests?view=all&fulfilled_to=2026-13-01", "fulfilled_to (not a date"},
		{"/requests?view=all&from=2026-06-30&to=2026-06-01", "to (before from)"},
	} {
		p := admin.get(c.path)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, c.named) {
			t.Errorf("%s: %d, want 422 naming %q", c.path, p.status, c.named)
		}
	}
}
