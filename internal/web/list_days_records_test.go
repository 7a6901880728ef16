package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/store"
)

// The change, problem and nonconformity lists take the days a dashboard
// figure's link carries, as the incident list does: raised or closed from
// one day to another on the organisation's calendar, a bad day or a span
// ending before it starts refused with the filter named. The API takes
// the same bounds as instants.
func TestRecordListsTakeDaysOnTheOrganisationsCalendar(t *testing.T) {
	s := newSiteWith(t, func(c *config.Config) { c.TimeZone = "Europe/Berlin" })
	ctx := context.Background()
	admin := s.browser()
	admin.login("admin@steward.demo", "steward-demo")
	// Each record closed (and the problem also opened) at 00:30 on 1 June
	// in Berlin: 22:30 UTC on 31 May.
	at := time.Date(2026, 5, 31, 22, 30, 0, 0, time.UTC)
	title := func(query string) string {
		var s1 string
		if err := s.app.DB.QueryRow(ctx, query).Scan(&s1); err != nil {
			t.Fatal(err)
		}
		return s1
	}
	chg := title("SELECT title FROM changes WHERE state = 'closed' ORDER BY id LIMIT 1")
	prb := title("SELECT title FROM problems WHERE state = 'closed' ORDER BY id LIMIT 1")
	nc := title("SELECT title FROM nonconformities WHERE state = 'closed' ORDER BY id LIMIT 1")
	for _, q := range []string{"UPDATE changes SET closed_at = ? WHERE title = ?", "UPDATE problems SET created_at = ?, closed_at = ? WHERE title = ?",
		"UPDATE nonconformities SET closed_at = ? WHERE title = ?"} {
		args := []any{store.TS(at), chg}
		switch {
		case strings.Contains(q, "problems"):
			args = []any{store.TS(at), store.TS(at), prb}
		case strings.Contains(q, "nonconformities"):
			args = []any{store.TS(at), nc}
		}
		if _, err := s.app.DB.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		path, title string
		listed      bool
	}{
		{"/changes?state=closed&closed_from=2026-06-01&closed_to=2026-06-01", chg, true},
		{"/changes?state=closed&closed_from=2026-05-01&closed_to=2026-05-31", chg, false},
		{"/problems?state=closed&closed_from=2026-06-01&closed_to=2026-06-30", prb, true},
		{"/problems?state=closed&closed_to=2026-05-31", prb, false},
		{"/problems?state=all&from=2026-06-01&to=2026-06-01", prb, true},
		{"/problems?state=all&from=2026-05-31&to=2026-05-31", prb, false},
		{"/nonconformities?state=closed&closed_from=2026-06-01&closed_to=2026-06-01", nc, true},
		{"/nonconformities?state=closed&closed_from=2026-05-31&closed_to=2026-05-31", nc, false},
	} {
		p := admin.get(c.path)
		if p.status != http.StatusOK {
			t.Errorf("%s: %d", c.path, p.status)
			continue
		}
		if strings.Contains(p.body, html.EscapeString(c.title)) != c.listed {
			t.Errorf("%s lists %q: %v, want %v", c.path, c.title, !c.listed, c.listed)
		}
	}
	for _, c := range []struct{ path, named string }{
		{"/changes?closed_from=June", "closed_from (not a date"},
		{"/changes?from=2026-06-30&to=2026-06-01", "to (before from)"},
		{"/problems?state=all&closed_to=2026-13-01", "closed_to (not a date"},
		{"/problems?from=2026-06-30&to=2026-06-01", "to (before from)"},
		{"/nonconformities?state=closed&closed_from=2026-06-30&closed_to=2026-06-01", "closed_to (before closed_from)"},
	} {
		p := admin.get(c.path)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, c.named) {
			t.Errorf("%s: %d, want 422 naming %q", c.path, p.status, c.named)
		}
	}
	// The API reads the bounds as instants: 22:00 UTC on 31 May is
	// before the closing, 23:00 after it.
	var adminID int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM users WHERE email = 'admin@steward.demo'").Scan(&adminID); err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.CreateToken(ctx, s.app.DB, audit.System, adminID, "lists")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, title string
		listed      bool
	}{
		{"/api/v1/changes?state=closed&closed_after=2026-05-31T22:00:00Z&closed_before=2026-05-31T23:00:00Z", chg, true},
		{"/api/v1/changes?state=closed&closed_after=2026-05-31T23:00:00Z", chg, false},
		{"/api/v1/problems?state=closed&closed_after=2026-05-31T22:00:00Z&closed_before=2026-05-31T23:00:00Z", prb, true},
		{"/api/v1/problems?created_before=2026-05-31T22:00:00Z&state=closed", prb, false},
		{"/api/v1/nonconformities?state=closed&closed_after=2026-05-31T22:00:00Z&closed_before=2026-05-31T23:00:00Z", nc, true},
		{"/api/v1/nonconformities?state=closed&closed_before=2026-05-31T22:00:00Z", nc, false},
	} {
		req, _ := http.NewRequest("GET", s.url+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		p := s.browser().do(req)
		if p.status != http.StatusOK {
			t.Errorf("%s: %d %s", c.path, p.status, p.body)
			continue
		}
		var body struct {
			Items []struct {
				Title string `json:"title"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(p.body), &body); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		found := false
		for _, it := range body.Items {
			found = found || it.Title == c.title
		}
		if found != c.listed {
			t.Errorf("%s lists %q: %v, want %v", c.path, c.title, found, c.listed)
		}
	}
}
