package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/calendar"
	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// scheduleCI makes a CI for the change calendar's tests.
func scheduleCI(t *testing.T, s *server, name string) int64 {
	t.Helper()
	c, err := s.app.CMDB.CreateCI(context.Background(), audit.System, cmdb.NewCI{Type: "Application", Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// scheduleChange writes a change as the change records keep it.
func scheduleChange(t *testing.T, s *server, state string, start, end time.Time, cis ...int64) string {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.TS(time.Now())
		if err := tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, planned_start, planned_end, created_at, updated_at)
			VALUES ('Patch', 'normal', ?, ?, ?, ?, ?) RETURNING id`, state, store.TS(start), store.TS(end), now, now).Scan(&id); err != nil {
			return err
		}
		for _, ci := range cis {
			if _, err := tx.Exec(ctx, "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('change', ?, ?, ?)", id, ci, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("CHG-%06d", id)
}

func TestScheduleAPIPermissions(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	freeze := map[string]any{"name": "Year end", "start": "2027-12-20T00:00:00Z", "end": "2028-01-03T00:00:00Z"}
	created := s.do("admin", "POST", "/api/v1/freeze-periods", freeze)
	if created.status != http.StatusCreated {
		t.Fatalf("admin creating a freeze: %d %s", created.status, created.body)
	}
	id := int64(created.json(t)["id"].(float64))
	cal := "/api/v1/change-calendar?from=2027-12-01&to=2028-01-01"
	for _, c := range []struct {
		role, method, path string
		body               any
		want               int
	}{
		{"", "GET", cal, nil, http.StatusUnauthorized},
		{"requester", "GET", cal, nil, http.StatusForbidden},
		{"requester", "GET", "/api/v1/freeze-periods", nil, http.StatusForbidden},
		{"requester", "POST", "/api/v1/change-conflicts", map[string]any{"planned_start": "2027-12-21T10:00:00Z", "planned_end": "2027-12-21T11:00:00Z"}, http.StatusForbidden},
		{"requester", "POST", "/api/v1/calendar-feed-token", nil, http.StatusForbidden},
		{"agent", "GET", cal, nil, http.StatusOK},
		{"auditor", "GET", cal, nil, http.StatusOK},
		{"auditor", "GET", fmt.Sprintf("/api/v1/freeze-periods/%d", id), nil, http.StatusOK},
		{"agent", "POST", "/api/v1/freeze-periods", freeze, http.StatusForbidden},
		{"auditor", "PATCH", fmt.Sprintf("/api/v1/freeze-periods/%d", id), map[string]any{"name": "x"}, http.StatusForbidden},
		{"agent", "DELETE", fmt.Sprintf("/api/v1/freeze-periods/%d", id), nil, http.StatusForbidden},
		{"agent", "PUT", "/api/v1/services/1/maintenance-calendar", map[string]any{"calendar_id": 1}, http.StatusForbidden},
		{"agent", "POST", "/api/v1/change-conflicts", map[string]any{"planned_start": "2027-12-21T10:00:00Z", "planned_end": "2027-12-21T11:00:00Z"}, http.StatusOK},
	} {
		if got := s.do(c.role, c.method, c.path, c.body); got.status != c.want {
			t.Errorf("%s %s %s: %d, want %d: %s", c.role, c.method, c.path, got.status, c.want, got.body)
		}
	}
	if got := s.do("admin", "GET", fmt.Sprintf("/api/v1/freeze-periods/%d", id), nil); got.json(t)["name"] != "Year end" {
		t.Errorf("the refused requests changed the freeze: %s", got.body)
	}
}

func TestFreezePeriodsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ci := scheduleCI(t, s, "payroll-db")
		for _, c := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"end before start", map[string]any{"name": "x", "start": "2027-12-20T00:00:00Z", "end": "2027-12-19T00:00:00Z"}, 422, "end"},
			{"end equal to start", map[string]any{"name": "x", "start": "2027-12-20T00:00:00Z", "end": "2027-12-20T00:00:00Z"}, 422, "end"},
			{"no name", map[string]any{"start": "2027-12-20T00:00:00Z", "end": "2027-12-21T00:00:00Z"}, 422, "name"},
			{"unknown service", map[string]any{"name": "x", "start": "2027-12-20T00:00:00Z", "end": "2027-12-21T00:00:00Z", "service_ids": []int{999}}, 422, "service_ids"},
			{"unknown CI", map[string]any{"name": "x", "start": "2027-12-20T00:00:00Z", "end": "2027-12-21T00:00:00Z", "ci_ids": []int64{ci + 1000}}, 422, "ci_ids"},
			{"not a time", map[string]any{"name": "x", "start": "20 December", "end": "2027-12-21T00:00:00Z"}, 400, ""},
			{"unknown field", map[string]any{"name": "x", "start": "2027-12-20T00:00:00Z", "end": "2027-12-21T00:00:00Z", "scope": "all"}, 400, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				got := s.do("admin", "POST", "/api/v1/freeze-periods", c.body)
				if got.status != c.status {
					t.Fatalf("status %d, want %d: %s", got.status, c.status, got.body)
				}
				if c.field != "" && got.errorFields(t)[c.field] == nil {
					t.Errorf("no message on %s: %s", c.field, got.body)
				}
			})
		}
		if got := s.do("admin", "GET", "/api/v1/freeze-periods", nil); len(got.json(t)["items"].([]any)) != 0 {
			t.Fatalf("refused freezes were stored: %s", got.body)
		}
		created := s.do("admin", "POST", "/api/v1/freeze-periods", map[string]any{"name": "DB hold", "start": "2027-12-20T00:00:00Z",
			"end": "2027-12-21T00:00:00Z", "ci_ids": []int64{ci}})
		if created.status != 201 || created.header.Get("ETag") != `"v1"` {
			t.Fatalf("create: %d %v %s", created.status, created.header, created.body)
		}
		path := created.header.Get("Location")
		if got := s.do("admin", "PATCH", path, map[string]any{"end": "2027-12-19T00:00:00Z"}); got.status != 422 {
			t.Errorf("moving the end before the start: %d %s", got.status, got.body)
		}
		if got := s.do("admin", "PATCH", path, map[string]any{"name": "Late"}, "If-Match", `"v7"`); got.status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match: %d %s", got.status, got.body)
		}
		got := s.do("admin", "PATCH", path, map[string]any{"name": "DB and all", "ci_ids": []int64{}}, "If-Match", `"v1"`)
		if got.status != 200 || got.json(t)["name"] != "DB and all" || len(got.json(t)["ci_ids"].([]any)) != 0 || got.json(t)["end"] != "2027-12-21T00:00:00Z" {
			t.Errorf("patch: %d %s", got.status, got.body)
		}
		if got := s.do("admin", "DELETE", path, nil); got.status != 204 {
			t.Errorf("delete: %d", got.status)
		}
		if got := s.do("admin", "GET", path, nil); got.status != 404 {
			t.Errorf("after delete: %d", got.status)
		}
	})
}

func TestChangeCalendarAPI(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	app := scheduleCI(t, s, "app")
	day := time.Date(2027, 6, 7, 0, 0, 0, 0, time.UTC)
	num := scheduleChange(t, s, "scheduled", day.Add(10*time.Hour), day.Add(12*time.Hour), app)
	for _, c := range []struct{ query, field string }{
		{"", "from"},
		{"?from=2027-06-01", "to"},
		{"?from=2027-06-01&to=2027-05-01", "to"},
		{"?from=2027-01-01&to=2027-12-31", "to"},
		{"?from=June&to=2027-07-01", "from"},
		{"?from=2027-06-01&to=2027-07-01&service_id=abc", "service_id"},
		{"?from=2027-06-01&to=2027-07-01&zoom=2", "zoom"},
	} {
		got := s.do("agent", "GET", "/api/v1/change-calendar"+c.query, nil)
		if got.status != 400 || got.errorFields(t)[c.field] == nil {
			t.Errorf("%q: %d %s, want 400 naming %s", c.query, got.status, got.body, c.field)
		}
	}
	got := s.do("agent", "GET", "/api/v1/change-calendar?from=2027-06-01&to=2027-07-01", nil)
	if got.status != 200 || !strings.Contains(string(got.body), `"number":"`+num+`"`) {
		t.Fatalf("calendar: %d %s", got.status, got.body)
	}

	proposal := map[string]any{"planned_start": "2027-06-07T11:00:00Z", "planned_end": "2027-06-07T13:00:00Z", "ci_ids": []int64{app}}
	got = s.do("agent", "POST", "/api/v1/change-conflicts", proposal)
	items, _ := got.json(t)["items"].([]any)
	if got.status != 200 || len(items) != 1 || items[0].(map[string]any)["change"] != num || items[0].(map[string]any)["kind"] != "same_ci" {
		t.Fatalf("conflicts: %d %s", got.status, got.body)
	}
	proposal["planned_start"] = "2027-06-07T12:00:00Z"
	if got := s.do("agent", "POST", "/api/v1/change-conflicts", proposal); len(got.json(t)["items"].([]any)) != 0 {
		t.Errorf("a window starting as the other ends: %s", got.body)
	}
	for _, bad := range []map[string]any{
		{"planned_start": "2027-06-07T12:00:00Z"},
		{"planned_start": "2027-06-07T12:00:00Z", "planned_end": "2027-06-07T11:00:00Z"},
		{"planned_start": "2027-06-07T12:00:00Z", "planned_end": "2027-06-07T13:00:00Z", "ci_ids": []int64{app + 99}},
		{"planned_start": "2027-06-07T12:00:00Z", "planned_end": "2027-06-07T13:00:00Z", "assignee_id": 999},
	} {
		if got := s.do("agent", "POST", "/api/v1/change-conflicts", bad); got.status != 422 {
			t.Errorf("%v: %d %s, want 422", bad, got.status, got.body)
		}
	}
}

func TestMaintenanceCalendarAPI(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	ctx := context.Background()
	ci := scheduleCI(t, s, "host")
	cal, err := s.app.SLA.CreateCalendar(ctx, audit.System, calendar.Spec{Name: "Sundays", TimeZone: "UTC",
		Windows: []calendar.Window{{Weekday: "sunday", Start: "00:00", End: "06:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/cis/%d/maintenance-calendar", ci)
	if got := s.do("admin", "PUT", path, map[string]any{"calendar_id": cal.ID + 50}); got.status != 422 {
		t.Errorf("unknown calendar: %d %s", got.status, got.body)
	}
	if got := s.do("admin", "PUT", "/api/v1/cis/99999/maintenance-calendar", map[string]any{"calendar_id": cal.ID}); got.status != 404 {
		t.Errorf("unknown CI: %d %s", got.status, got.body)
	}
	if got := s.do("admin", "PUT", path, map[string]any{"calendar_id": cal.ID}); got.status != 200 || got.json(t)["calendar_name"] != "Sundays" {
		t.Fatalf("set: %d %s", got.status, got.body)
	}
	if got := s.do("agent", "GET", path, nil); got.json(t)["calendar_id"] != float64(cal.ID) {
		t.Errorf("get: %s", got.body)
	}
	// Monday 2027-06-07 is outside Sunday mornings.
	got := s.do("agent", "POST", "/api/v1/change-conflicts", map[string]any{"planned_start": "2027-06-07T11:00:00Z", "planned_end": "2027-06-07T13:00:00Z", "ci_ids": []int64{ci}})
	if !strings.Contains(string(got.body), `"outside_maintenance_window"`) {
		t.Errorf("conflicts: %s", got.body)
	}
	if got := s.do("admin", "PUT", path, map[string]any{"calendar_id": nil}); got.status != 200 || got.json(t)["calendar_id"] != nil {
		t.Errorf("clear: %d %s", got.status, got.body)
	}
}

func TestCalendarFeedToken(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	if got := s.do("agent", "GET", "/api/v1/calendar-feed-token", nil); got.status != 404 {
		t.Fatalf("before any token: %d", got.status)
	}
	created := s.do("agent", "POST", "/api/v1/calendar-feed-token", nil)
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	feed := created.json(t)["url"].(string)
	token := created.json(t)["token"].(string)
	if !strings.HasPrefix(feed, s.url+"/calendar/changes.ics?token=stwcal_") {
		t.Fatalf("feed address %q", feed)
	}
	var stored int
	s.app.DB.QueryRow(context.Background(), "SELECT count(*) FROM calendar_feed_tokens WHERE token_hash = ?", token).Scan(&stored)
	if stored != 0 {
		t.Error("the secret is stored as it is")
	}
	fetch := func(u string) (int, string, string) {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	status, ct, body := fetch(feed)
	if status != 200 || ct != "text/calendar; charset=utf-8" || !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") {
		t.Fatalf("feed: %d %s %q", status, ct, body)
	}
	if status, _, _ := fetch(feed + "&from=2027-01-01&to=2029-01-01"); status != 400 {
		t.Errorf("a range of two years: %d", status)
	}
	if status, _, _ := fetch(s.url + "/calendar/changes.ics?token=stwcal_guessed"); status != 404 {
		t.Errorf("a guessed token: %d", status)
	}
	// A new token replaces the old one.
	second := s.do("agent", "POST", "/api/v1/calendar-feed-token", nil).json(t)["url"].(string)
	if status, _, _ := fetch(feed); status != 404 {
		t.Errorf("the replaced address still works: %d", status)
	}
	if got := s.do("agent", "DELETE", "/api/v1/calendar-feed-token", nil); got.status != 204 {
		t.Fatalf("revoke: %d", got.status)
	}
	if status, _, _ := fetch(second); status != 404 {
		t.Errorf("the revoked address still works: %d", status)
	}
	if got := s.do("agent", "DELETE", "/api/v1/calendar-feed-token", nil); got.status != 404 {
		t.Errorf("revoking twice: %d", got.status)
	}
}
