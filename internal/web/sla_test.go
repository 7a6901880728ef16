package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"steward/internal/demo"
	"steward/internal/sla"
)

// slaUpload sends a multipart form with one file, as the import form does.
func slaUpload(b *browser, path string, fields map[string]string, file string) page {
	b.s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != "" {
		fw, _ := mw.CreateFormFile("file", "holidays.ics")
		fw.Write([]byte(file))
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.s.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var calendarPath = regexp.MustCompile(`^/calendars/(\d+)$`)

func slaCount(t *testing.T, s *site, table string) int {
	t.Helper()
	var n int
	if err := s.app.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func calendarForm(name, zone string, windows [][3]string) url.Values {
	f := url.Values{"name": {name}, "time_zone": {zone}, "win_rows": {fmt.Sprint(len(windows) + 1)}, "hol_rows": {"1"}}
	for i, w := range windows {
		f.Set(fmt.Sprintf("win_%d_weekday", i), w[0])
		f.Set(fmt.Sprintf("win_%d_start", i), w[1])
		f.Set(fmt.Sprintf("win_%d_end", i), w[2])
	}
	f.Set("hol_0_date", "2026-12-24")
	f.Set("hol_0_start", "12:00")
	f.Set("hol_0_end", "24:00")
	f.Set("hol_0_name", "Christmas Eve afternoon")
	f.Set("hol_0_yearly", "on")
	return f
}

func TestSLACalendarPages(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	if p := admin.get("/calendars/new"); p.status != 200 || !strings.Contains(p.body, `name="win_0_weekday"`) {
		t.Fatalf("new calendar form: %d", p.status)
	}
	before := slaCount(t, s, "calendars")

	t.Run("refused forms keep what was typed and say what is wrong", func(t *testing.T) {
		for _, c := range []struct {
			name string
			form url.Values
			want []string
		}{
			{"overlapping windows", calendarForm("Overlap", "Europe/Berlin", [][3]string{{"monday", "09:00", "17:00"}, {"monday", "16:00", "18:00"}}),
				[]string{"This window overlaps the one in row 1 (Monday 09:00–17:00); make them follow each other.", `value="16:00"`}},
			{"end before start", calendarForm("Backwards", "Europe/Berlin", [][3]string{{"tuesday", "17:00", "09:00"}}),
				[]string{"End must be after the start (17:00)."}},
			{"unknown zone", calendarForm("Mars", "Mars/Olympus_Mons", [][3]string{{"monday", "09:00", "17:00"}}),
				[]string{"Mars/Olympus_Mons&#34; is not a known IANA time zone", `value="Mars/Olympus_Mons"`}},
			{"no name", calendarForm("", "UTC", nil), []string{"This field is required."}},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := admin.post("/calendars", c.form)
				if p.status != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", p.status)
				}
				for _, w := range c.want {
					if !strings.Contains(p.body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
			})
		}
		if n := slaCount(t, s, "calendars"); n != before {
			t.Fatalf("%d calendars, want %d", n, before)
		}
	})

	form := calendarForm("Berlin office", "Europe/Berlin", [][3]string{{"monday", "08:00", "12:00"}, {"monday", "13:00", "17:00"}, {"friday", "08:00", "14:00"}})
	p := admin.post("/calendars", form)
	m := calendarPath.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q", p.status, p.location)
	}
	path := "/calendars/" + m[1]
	p = admin.get(path)
	if p.status != 200 || !strings.Contains(p.body, "Christmas Eve afternoon") || !strings.Contains(p.body, `value="13:00"`) {
		t.Fatalf("calendar page: %d", p.status)
	}
	version := versionOf(t, p)

	t.Run("import an .ics file", func(t *testing.T) {
		ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\n" +
			"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260403\r\nSUMMARY:Good Friday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		if p := slaUpload(admin, path+"/import", map[string]string{"version": version}, ics); p.status != http.StatusForbidden {
			t.Fatalf("upload without the CSRF token: %d", p.status)
		}
		bad := slaUpload(admin, path+"/import", map[string]string{"csrf_token": admin.csrf, "version": version},
			"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260431\nEND:VEVENT\nEND:VCALENDAR\n")
		if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "Nothing was imported: line 3: DTSTART: &#34;20260431&#34; is not a date") {
			t.Fatalf("malformed file: %d", bad.status)
		}
		if p := slaUpload(admin, path+"/import", map[string]string{"csrf_token": admin.csrf, "version": version}, ""); p.status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.body, "Choose an iCalendar (.ics) file to import.") {
			t.Fatalf("no file: %d", p.status)
		}
		ok := slaUpload(admin, path+"/import", map[string]string{"csrf_token": admin.csrf, "version": version}, ics)
		if ok.status != http.StatusSeeOther || ok.location != path {
			t.Fatalf("import: %d %q", ok.status, ok.location)
		}
		page := admin.get(ok.location)
		if !strings.Contains(page.body, "Imported 2 holiday(s); 0 were already in the calendar.") || !strings.Contains(page.body, "Good Friday") {
			t.Fatalf("after import: %d", page.status)
		}
		stale := slaUpload(admin, path+"/import", map[string]string{"csrf_token": admin.csrf, "version": version}, ics)
		if stale.status != http.StatusConflict {
			t.Fatalf("import with an old version: %d", stale.status)
		}
	})

	t.Run("remove a holiday", func(t *testing.T) {
		p := admin.get(path)
		f := url.Values{"version": {versionOf(t, p)}, "name": {"Berlin office"}, "time_zone": {"Europe/Berlin"},
			"win_rows": {"1"}, "win_0_weekday": {"monday"}, "win_0_start": {"09:00"}, "win_0_end": {"17:00"},
			"hol_rows": {"2"}, "hol_0_date": {"2026-04-03"}, "hol_0_name": {"Good Friday"}, "hol_0_remove": {"on"},
			"hol_1_date": {"2026-12-25"}, "hol_1_name": {"Christmas Day"}, "hol_1_yearly": {"on"}}
		if res := admin.post(path, f); res.status != http.StatusSeeOther {
			t.Fatalf("save: %d", res.status)
		}
		c, err := sla.GetCalendar(context.Background(), s.app.DB, mustID(t, m[1]))
		if err != nil || len(c.Holidays) != 1 || c.Holidays[0].Name != "Christmas Day" || len(c.Windows) != 1 {
			t.Fatalf("saved: %v %+v", err, c)
		}
	})

	t.Run("read-only for agents and for the built-in calendar", func(t *testing.T) {
		agent := s.signedIn("agent")
		p := agent.get(path)
		if p.status != 200 || strings.Contains(p.body, "Save calendar") || strings.Contains(p.body, `name="win_0_start"`) || !strings.Contains(p.body, "Christmas Day") {
			t.Fatalf("agent view: %d", p.status)
		}
		if p := agent.get("/calendars/new"); p.status != http.StatusForbidden {
			t.Fatalf("agent new form: %d", p.status)
		}
		p = admin.get("/calendars/1")
		if p.status != 200 || strings.Contains(p.body, "Save calendar") || !strings.Contains(p.body, "cannot be changed") {
			t.Fatalf("built-in calendar for the admin: %d", p.status)
		}
		if p := s.signedIn("requester").get("/calendars"); p.status != http.StatusForbidden {
			t.Fatalf("requester: %d", p.status)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSLAAgreementPages(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	// The site's demo may already hold the service levels; load them when not.
	if slaCount(t, s, "agreements") == 0 {
		if err := demo.LoadSLA(ctx, s.app.DB, nil); err != nil {
			t.Fatal(err)
		}
	}
	admin := s.signedIn("admin")
	list := admin.get("/agreements")
	if list.status != 200 || !strings.Contains(list.body, "Northwind Traders SLA") || !strings.Contains(list.body, "Spreenetz Carrier GmbH") ||
		!strings.Contains(list.body, `href="/agreements"`) {
		t.Fatalf("agreements: %d", list.status)
	}
	if p := admin.get("/agreements?kind=uc"); strings.Contains(p.body, "Northwind Traders SLA") || !strings.Contains(p.body, "WAN carrier contract") {
		t.Fatal("the kind tab does not filter")
	}
	var custID, calID int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM customers WHERE name = 'Contoso Health'").Scan(&custID); err != nil {
		t.Fatal(err)
	}
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM calendars WHERE name = 'Business hours (Berlin)'").Scan(&calID); err != nil {
		t.Fatal(err)
	}
	agreements := slaCount(t, s, "agreements")

	t.Run("agreement form", func(t *testing.T) {
		bad := admin.post("/agreements", url.Values{"kind": {"sla"}, "name": {"Extra SLA"}, "customer_id": {""}, "contract_start": {"2026-06-01"},
			"contract_end": {"2026-01-01"}, "doc_rows": {"1"}, "doc_0_name": {"Contract"}, "doc_0_url": {"ftp://files.example/c.pdf"}, "active": {"on"}})
		if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "is required: an SLA is agreed with a customer") ||
			!strings.Contains(bad.body, "must not be before the contract start (2026-06-01)") || !strings.Contains(bad.body, "must be an http:// or https:// address") ||
			!strings.Contains(bad.body, `value="ftp://files.example/c.pdf"`) {
			t.Fatalf("refused agreement: %d", bad.status)
		}
		if n := slaCount(t, s, "agreements"); n != agreements {
			t.Fatalf("%d agreements after a refused form", n)
		}
		ok := admin.post("/agreements", url.Values{"kind": {"sla"}, "name": {"Extra SLA"}, "customer_id": {fmt.Sprint(custID)},
			"supplier_name": {"ignored for an SLA"}, "doc_rows": {"2"}, "doc_0_name": {"Contract"}, "doc_0_url": {"https://docs.example/extra.pdf"}, "active": {"on"}})
		if ok.status != http.StatusSeeOther || !strings.HasPrefix(ok.location, "/agreements/") {
			t.Fatalf("create: %d %q", ok.status, ok.location)
		}
		page := admin.get(ok.location)
		if !strings.Contains(page.body, "https://docs.example/extra.pdf") || !strings.Contains(page.body, "This agreement measures nothing yet.") {
			t.Fatalf("agreement page: %d", page.status)
		}
	})

	t.Run("definition form", func(t *testing.T) {
		var agID int64
		if err := s.app.DB.QueryRow(ctx, "SELECT id FROM agreements WHERE name = 'Extra SLA'").Scan(&agID); err != nil {
			t.Fatal(err)
		}
		if p := admin.get(fmt.Sprintf("/sla-definitions/new?agreement_id=%d", agID)); p.status != 200 || !strings.Contains(p.body, "Extra SLA") {
			t.Fatalf("new definition form: %d", p.status)
		}
		form := func() url.Values {
			return url.Values{"name": {"Resolution"}, "agreement_id": {fmt.Sprint(agID)}, "applies_to": {"incident"}, "metric": {"resolution"},
				"filter_rows": {"0"}, "clock": {"usual"}, "warnings": {"50, 75, 90"}, "active": {"on"}, "goal_rows": {"3"},
				"goal_0_match_rows": {"1"}, "goal_0_match_0_field": {"priority"}, "goal_0_match_0_op": {"in"}, "goal_0_match_0_value": {"P1"},
				"goal_0_target": {"4h"}, "goal_0_calendar": {fmt.Sprint(calID)},
				"goal_1_match_rows": {"1"}, "goal_1_match_0_field": {"major"}, "goal_1_match_0_value": {"true"}, "goal_1_target": {"2h"}, "goal_1_calendar": {"1"},
				"goal_2_target": {"3bd"}, "goal_2_calendar": {fmt.Sprint(calID)}}
		}
		defs := slaCount(t, s, "sla_definitions")
		for _, c := range []struct {
			name string
			edit func(f url.Values)
			want []string
		}{
			{"zero target", func(f url.Values) { f.Set("goal_0_target", "0m") }, []string{"Target must be longer than zero."}},
			{"negative target", func(f url.Values) { f.Set("goal_2_target", "-3h") }, []string{"Target must be longer than zero.", `value="-3h"`}},
			{"a filter row without a value", func(f url.Values) {
				f.Set("filter_rows", "2")
				f.Set("filter_0_field", "customer_id")
				f.Set("filter_0_value", fmt.Sprint(custID))
				f.Set("filter_1_field", "priority")
			}, []string{"Row 2: choose a value for Priority.", `<option value="priority" selected>Priority</option>`,
				fmt.Sprintf(`name="filter_0_value" value="%d" checked>`, custID)}},
			{"a value that is not offered", func(f url.Values) {
				f.Set("filter_rows", "1")
				f.Set("filter_0_field", "customer_id")
				f.Set("filter_0_value", "424242")
			}, []string{"Row 1: Customer has no choice “424242” any more; untick it."}},
			{"a missing name is reported with the rows", func(f url.Values) {
				f.Set("name", "")
				f.Set("goal_0_match_0_value", "")
			}, []string{"This field is required.", "Row 1: choose a value for Priority."}},
			{"impossible conditions", func(f url.Values) {
				f.Set("clock", "custom")
				for _, k := range []string{"start", "stop", "pause", "cancel"} {
					f.Set("clock_"+k+"_rows", "1")
				}
				f.Set("clock_start_0_field", "state")
				f.Set("clock_start_0_value", "resolved")
				f.Set("clock_stop_0_field", "state")
				f["clock_stop_0_value"] = []string{"resolved", "closed"}
			}, []string{"Every ticket that meets the start condition also meets the stop condition, so the clock would stop the moment it starts.",
				`name="clock" value="custom" checked`}},
			{"bad warnings", func(f url.Values) { f.Set("warnings", "half") },
				[]string{"Write whole percentages of the target separated by commas, such as 50, 75, 90."}},
			{"a warning out of range", func(f url.Values) { f.Set("warnings", "50, 120") },
				[]string{"The warning at 120% must be a percentage between 1 and 99."}},
		} {
			t.Run(c.name, func(t *testing.T) {
				f := form()
				c.edit(f)
				p := admin.post("/sla-definitions", f)
				if p.status != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", p.status)
				}
				for _, w := range c.want {
					if !strings.Contains(p.body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, internal := range []string{"filter[", "goals[", "conditions.start", "conditions.stop", "conditions.pause", "invalid character"} {
					if strings.Contains(p.body, internal) {
						t.Errorf("page shows %q to a person", internal)
					}
				}
			})
		}

		t.Run("rows and goals are added and removed without saving", func(t *testing.T) {
			f := form()
			f.Set("act", "add:filter")
			f.Set("filter_new", "customer_id")
			p := admin.post("/sla-definitions", f)
			if p.status != http.StatusOK || !strings.Contains(p.body, `<option value="customer_id" selected>Customer</option>`) ||
				!strings.Contains(p.body, `name="filter_0_value" value="`+fmt.Sprint(custID)+`">`) || !strings.Contains(p.body, ">Contoso Health<") {
				t.Fatalf("add a row: %d", p.status)
			}
			f = form()
			f.Set("act", "remove:goal_1_match:0")
			if p := admin.post("/sla-definitions", f); p.status != http.StatusOK || strings.Contains(p.body, `name="goal_1_match_0_field"`) ||
				!strings.Contains(p.body, `value="2h"`) {
				t.Fatalf("remove a row: %d", p.status)
			}
			f = form()
			f.Set("act", "remove-goal:0")
			if p := admin.post("/sla-definitions", f); p.status != http.StatusOK || strings.Contains(p.body, `value="4h"`) ||
				!strings.Contains(p.body, `name="goal_0_target" class="sla-clock" maxlength="20" value="2h"`) {
				t.Fatalf("remove a goal: %d", p.status)
			}
			f = form()
			f.Set("act", "add-goal")
			if p := admin.post("/sla-definitions", f); p.status != http.StatusOK || !strings.Contains(p.body, `name="goal_3_target"`) {
				t.Fatalf("add a goal: %d", p.status)
			}
			f = form()
			f.Set("applies_to", "request")
			f.Set("act", "refresh")
			if p := admin.post("/sla-definitions", f); p.status != http.StatusOK || !strings.Contains(p.body, "Catalogue item") ||
				!strings.Contains(p.body, "pauses while State is Awaiting approval") {
				t.Fatalf("refresh for requests: %d", p.status)
			}
			if agent := s.signedIn("agent"); agent.post("/sla-definitions", form()).status != http.StatusForbidden {
				t.Fatal("an agent may post the definition form")
			}
		})
		if n := slaCount(t, s, "sla_definitions"); n != defs {
			t.Fatalf("%d definitions after refused forms, want %d", n, defs)
		}
		ok := admin.post("/sla-definitions", form())
		if ok.status != http.StatusSeeOther {
			t.Fatalf("create: %d", ok.status)
		}
		page := admin.get(ok.location)
		if !strings.Contains(page.body, `name="goal_0_match_0_value" value="P1" checked>`) ||
			!strings.Contains(page.body, `name="goal_1_match_0_value" value="true" checked>`) || !strings.Contains(page.body, `name="clock" value="usual" checked`) {
			t.Fatalf("definition page does not show the goals as saved")
		}
		agent := s.signedIn("agent")
		ro := agent.get(ok.location)
		if ro.status != 200 || strings.Contains(ro.body, "Save definition") || !strings.Contains(ro.body, "Priority is P1") ||
			!strings.Contains(ro.body, "Major incident is Yes") || !strings.Contains(ro.body, "Business hours (Berlin)") {
			t.Fatalf("read-only definition: %d", ro.status)
		}
		if del := admin.post(fmt.Sprintf("/agreements/%d/delete", agID), nil); del.status != http.StatusConflict ||
			!strings.Contains(del.body, "still has 1 definition") {
			t.Fatalf("delete an agreement with a definition: %d", del.status)
		}
	})

	t.Run("nav and permissions", func(t *testing.T) {
		if p := s.signedIn("auditor").get("/agreements"); p.status != 200 || strings.Contains(p.body, "New agreement") ||
			!strings.Contains(p.body, `<a href="/agreements" aria-current="page">Agreements</a>`) {
			t.Fatalf("auditor: %d", p.status)
		}
		req := s.signedIn("requester")
		if p := req.get("/"); strings.Contains(p.body, `href="/agreements"`) {
			t.Fatal("requesters see the SLAs link")
		}
		if p := req.get("/agreements"); p.status != http.StatusForbidden {
			t.Fatalf("requester: %d", p.status)
		}
	})
}
