package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store"
)

// addChange writes a change as the change records keep it, touching the
// CI named ciName.
func addChange(t *testing.T, s *site, title, state string, start, end time.Time, ciName string) string {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.TS(time.Now())
		if err := tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, planned_start, planned_end, created_at, updated_at)
			VALUES (?, 'normal', ?, ?, ?, ?, ?) RETURNING id`, title, state, store.TS(start), store.TS(end), now, now).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO record_cis (kind, record_id, ci_id, created_at) SELECT 'change', ?, id, ? FROM cis WHERE name = ?`, id, now, ciName)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("CHG-%06d", id)
}

// firstCI is the name of a CI of the demo.
func firstCI(t *testing.T, s *site) string {
	t.Helper()
	var name string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT name FROM cis ORDER BY id LIMIT 1").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestChangeCalendarPages(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	ci := firstCI(t, s)
	// Mid-month in the viewer's zone (the demo admin's), far from today.
	day := time.Date(2031, 5, 14, 8, 0, 0, 0, time.UTC)
	a := addChange(t, s, "Patch the primary", "scheduled", day, day.Add(2*time.Hour), ci)
	b := addChange(t, s, "Resize the disks", "draft", day.Add(time.Hour), day.Add(3*time.Hour), ci)
	c := addChange(t, s, "Later that day", "scheduled", day.Add(3*time.Hour), day.Add(4*time.Hour), ci)
	gone := addChange(t, s, "Called off", "cancelled", day, day.Add(time.Hour), ci)

	month := admin.get("/change-calendar?view=month&date=2031-05-01")
	if month.status != 200 {
		t.Fatalf("month view: %d", month.status)
	}
	for _, want := range []string{`href="/changes/` + a + `"`, `href="/changes/` + b + `"`, `href="/changes/` + c + `"`, "May 2031",
		"Overlaps " + b + " on the same CI", "2 change(s) here clash"} {
		if !strings.Contains(month.body, want) {
			t.Errorf("month view lacks %q", want)
		}
	}
	if strings.Contains(month.body, gone) {
		t.Error("a cancelled change is on the calendar")
	}
	if strings.Contains(month.body, "Overlaps "+c) {
		t.Error("a change starting as another ends is marked as clashing")
	}
	for _, view := range []string{"week", "list"} {
		p := admin.get("/change-calendar?view=" + view + "&date=2031-05-14")
		if p.status != 200 || !strings.Contains(p.body, a) {
			t.Errorf("%s view: %d, has %s: %v", view, p.status, a, strings.Contains(p.body, a))
		}
	}
	if p := admin.get("/change-calendar?date=14.05.2031"); p.status != 400 {
		t.Errorf("a malformed date: %d", p.status)
	}
	if p := admin.get("/change-calendar?service=x"); p.status != 400 {
		t.Errorf("a malformed filter: %d", p.status)
	}
	// Filtered by a service the changes do not touch: none of them.
	var svc int64
	s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = 'Telephony'").Scan(&svc)
	if p := admin.get(fmt.Sprintf("/change-calendar?view=list&date=2031-05-14&service=%d", svc)); strings.Contains(p.body, a) {
		t.Error("the service filter shows a change of another service")
	}

	// Freeze periods through the form: a bad one comes back with its
	// messages and is not stored; a good one shows on the calendar.
	bad := admin.post("/freeze-periods", url.Values{"name": {"Backwards"}, "start": {"2031-05-14T12:00"}, "end": {"2031-05-13T12:00"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "This field must be after the start.") {
		t.Fatalf("backwards freeze: %d %s", bad.status, bad.body)
	}
	if p := admin.get("/freeze-periods?past=1"); strings.Contains(p.body, "Backwards") {
		t.Error("a refused freeze was stored")
	}
	if p := admin.post("/freeze-periods", url.Values{"name": {"Unknown CI"}, "start": {"2031-05-14T00:00"}, "end": {"2031-05-15T00:00"},
		"ci_names": {"no such CI anywhere"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "No CI named") {
		t.Errorf("unknown CI: %d", p.status)
	}
	ok := admin.post("/freeze-periods", url.Values{"name": {"Spring hold"}, "start": {"2031-05-14T00:00"}, "end": {"2031-05-15T00:00"}, "ci_names": {ci}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("freeze: %d %s", ok.status, ok.body)
	}
	list := admin.get("/freeze-periods?past=1")
	if !strings.Contains(list.body, "Spring hold") || !strings.Contains(list.body, ci) {
		t.Errorf("the freeze list lacks the new freeze with its CI")
	}
	month = admin.get("/change-calendar?view=month&date=2031-05-01")
	if !strings.Contains(month.body, "Freeze: Spring hold") || !strings.Contains(month.body, `During the freeze &#34;Spring hold&#34;`) {
		t.Errorf("the month view does not show the freeze over the changes")
	}
	edit := regexp.MustCompile(`id="freeze-(\d+)"[^>]*>\s*<td>Spring hold<`).FindStringSubmatch(list.body)
	if edit == nil || !strings.Contains(list.body, `href="/freeze-periods/`+edit[1]+`/edit"`) {
		t.Fatal("no edit link for the new freeze")
	}
	form := admin.get("/freeze-periods/" + edit[1] + "/edit")
	if !strings.Contains(form.body, `value="Spring hold"`) {
		t.Fatalf("edit form: %d", form.status)
	}
	if p := admin.post("/freeze-periods/"+edit[1]+"/delete", nil); p.status != http.StatusSeeOther {
		t.Errorf("delete: %d", p.status)
	}

	// Agents read the calendar and freezes but may not keep them.
	agent := s.signedIn("agent")
	if p := agent.get("/freeze-periods"); p.status != 200 || strings.Contains(p.body, "New freeze period") {
		t.Errorf("agent on the freeze list: %d, offered the form: %v", p.status, strings.Contains(p.body, "New freeze period"))
	}
	if p := agent.post("/freeze-periods", url.Values{"name": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("agent creating a freeze: %d", p.status)
	}
	if p := s.signedIn("requester").get("/change-calendar"); p.status != http.StatusForbidden {
		t.Errorf("requester on the calendar: %d", p.status)
	}
}

func TestCalendarFeedFromThePage(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	p := agent.post("/change-calendar/feed-token", nil)
	m := regexp.MustCompile(`value="(http://[^"]+/calendar/changes\.ics\?token=(stwcal_[^"]+))"`).FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		t.Fatalf("creating the address: %d", p.status)
	}
	feed := strings.ReplaceAll(m[1], "&amp;", "&")
	if got := s.browser().get(strings.TrimPrefix(feed, s.url)); got.status != 200 || !strings.Contains(got.body, "Change freeze: Year-end freeze") {
		t.Fatalf("the feed: %d", got.status)
	}
	again := agent.get("/change-calendar")
	if strings.Contains(again.body, m[2]) || !strings.Contains(again.body, "You have a calendar address starting") {
		t.Error("the address is shown again, or its prefix is not")
	}
	if p := agent.post("/change-calendar/feed-token/revoke", nil); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if got := s.browser().get(strings.TrimPrefix(feed, s.url)); got.status != http.StatusNotFound {
		t.Errorf("the revoked feed: %d", got.status)
	}
}

func TestMaintenanceWindowPage(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	var svc, cal int64
	ctx := context.Background()
	s.app.DB.QueryRow(ctx, "SELECT id FROM services WHERE name = 'Payroll'").Scan(&svc)
	s.app.DB.QueryRow(ctx, "SELECT id FROM calendars WHERE name LIKE 'ERP maintenance%'").Scan(&cal)
	path := fmt.Sprintf("/services/%d/maintenance", svc)
	if p := admin.get(path); !strings.Contains(p.body, "has no maintenance window") {
		t.Fatalf("before: %d", p.status)
	}
	if p := admin.post(path, url.Values{"calendar_id": {fmt.Sprint(cal)}}); p.status != http.StatusSeeOther {
		t.Fatalf("set: %d %s", p.status, p.body)
	}
	if p := admin.get(path); !strings.Contains(p.body, "is the working time of the calendar") || !strings.Contains(p.body, "ERP maintenance") {
		t.Errorf("after: the page does not name the calendar")
	}
	if p := admin.get(fmt.Sprintf("/services/%d", svc)); !strings.Contains(p.body, path) {
		t.Error("the service page does not link its maintenance window")
	}
	if p := admin.post(path, url.Values{"calendar_id": {"999999"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown calendar: %d", p.status)
	}
	if p := s.signedIn("agent").post(path, url.Values{"calendar_id": {""}}); p.status != http.StatusForbidden {
		t.Errorf("agent: %d", p.status)
	}
}

// The calendar lays changes out by the viewer's own days and hours: a
// change at 23:00 UTC is on the next day, at 01:00, for a viewer in Berlin
// in summer.
func TestChangeCalendarInTheViewersZone(t *testing.T) {
	s := newSite(t)
	id, _ := s.userID(t, "agent@steward.demo")
	if _, err := auth.SetPreferences(context.Background(), s.app.DB, audit.System, id, auth.Preferences{TimeZone: "Europe/Berlin", Locale: "en-GB"}); err != nil {
		t.Fatal(err)
	}
	late := time.Date(2031, 7, 9, 23, 0, 0, 0, time.UTC)
	num := addChange(t, s, "Late night patch", "scheduled", late, late.Add(time.Hour), firstCI(t, s))
	p := s.signedIn("agent").get("/change-calendar?view=week&date=2031-07-10")
	day := regexp.MustCompile(`(?s)data-date="2031-07-10".*?</ul>`).FindString(p.body)
	if !strings.Contains(day, num) || !strings.Contains(day, ">01:00<") {
		t.Errorf("Thursday 10 July in Berlin does not hold %s at 01:00: %q", num, day)
	}
	if !strings.Contains(p.body, "Times are in your zone (Europe/Berlin)") {
		t.Error("the page does not name the viewer's zone")
	}
}
