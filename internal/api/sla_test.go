package api_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"steward/internal/calendar"
	"steward/internal/sla"
	"steward/internal/store/storetest"
)

// berlinHours is Monday to Friday, 09:00-17:00 in Berlin.
func berlinHours(name string) map[string]any {
	var windows []map[string]string
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		windows = append(windows, map[string]string{"weekday": d, "start": "09:00", "end": "17:00"})
	}
	return map[string]any{"name": name, "time_zone": "Europe/Berlin", "windows": windows, "holidays": []any{}}
}

// slaSendICS posts an iCalendar body as role.
func (s *server) slaSendICS(role, path, body string, headers ...string) response {
	s.t.Helper()
	return s.do(role, "POST", path, body, append([]string{"Content-Type", "text/calendar"}, headers...)...)
}

type slaCase struct {
	name       string
	role       string
	method     string
	path       string
	body       any
	headers    []string
	wantStatus int
	wantBody   []string
}

func (s *server) runSLA(t *testing.T, cases []slaCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := s.do(c.role, c.method, c.path, c.body, c.headers...)
			if res.status != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.status, c.wantStatus, res.body)
			}
			for _, frag := range c.wantBody {
				if !strings.Contains(string(res.body), frag) {
					t.Errorf("body lacks %s: %s", frag, res.body)
				}
			}
			if res.status >= 400 && !strings.Contains(string(res.body), `"error":{"code":`) {
				t.Errorf("error body not in the error format: %s", res.body)
			}
		})
	}
}

func (s *server) slaCount(role, path string) int {
	s.t.Helper()
	res := s.do(role, "GET", path, nil)
	if res.status != 200 {
		s.t.Fatalf("GET %s: %d %s", path, res.status, res.body)
	}
	return len(res.json(s.t)["items"].([]any))
}

func TestCalendarAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		created := s.do("admin", "POST", "/api/v1/calendars", berlinHours("Berlin office"))
		if created.status != 201 || created.header.Get("ETag") != `"v1"` {
			t.Fatalf("create: %d %s", created.status, created.body)
		}
		cal := created.json(t)
		path := fmt.Sprintf("/api/v1/calendars/%v", cal["id"])
		if created.header.Get("Location") != path || cal["builtin"] != false || len(cal["windows"].([]any)) != 5 {
			t.Fatalf("created: %v %s", created.header, created.body)
		}
		overlap := berlinHours("Overlap")
		overlap["windows"] = append(overlap["windows"].([]map[string]string), map[string]string{"weekday": "mon", "start": "16:30", "end": "18:00"})
		backwards := berlinHours("Backwards")
		backwards["windows"].([]map[string]string)[0]["end"] = "08:00"
		mars := berlinHours("Mars")
		mars["time_zone"] = "Mars/Olympus_Mons"

		s.runSLA(t, []slaCase{
			{"agent reads", "agent", "GET", path, nil, nil, 200, []string{`"time_zone":"Europe/Berlin"`}},
			{"auditor lists", "auditor", "GET", "/api/v1/calendars", nil, nil, 200, []string{`"name":"24x7"`, `"name":"Berlin office"`}},
			{"requester may not read", "requester", "GET", path, nil, nil, 403, nil},
			{"agent may not create", "agent", "POST", "/api/v1/calendars", berlinHours("Agent's"), nil, 403, nil},
			{"auditor may not change", "auditor", "PUT", path, berlinHours("x"), nil, 403, nil},
			{"overlapping windows", "admin", "POST", "/api/v1/calendars", overlap, nil, 422, []string{`"windows[5]":"overlaps windows[0]`}},
			{"end before start", "admin", "POST", "/api/v1/calendars", backwards, nil, 422, []string{`"windows[0].end":"must be after the start (09:00)"`}},
			{"unknown zone", "admin", "POST", "/api/v1/calendars", mars, nil, 422, []string{`"time_zone":"\"Mars/Olympus_Mons\" is not a known IANA time zone"`}},
			{"name taken", "admin", "POST", "/api/v1/calendars", berlinHours("berlin OFFICE"), nil, 422, []string{`"name":"a calendar named`}},
			{"unknown field", "admin", "POST", "/api/v1/calendars", `{"name":"x","time_zone":"UTC","colour":"red"}`, nil, 400, []string{`"colour"`}},
			{"stale If-Match", "admin", "PUT", path, berlinHours("Berlin office"), []string{"If-Match", `"v9"`}, 412, nil},
			{"built-in is read-only", "admin", "PUT", "/api/v1/calendars/1", berlinHours("24x7"), nil, 409, []string{"built-in 24x7 calendar cannot be changed"}},
			{"built-in cannot be deleted", "admin", "DELETE", "/api/v1/calendars/1", nil, nil, 409, []string{"built-in"}},
			{"unknown calendar", "admin", "GET", "/api/v1/calendars/999", nil, nil, 404, nil},
			{"bad id", "admin", "GET", "/api/v1/calendars/abc", nil, nil, 400, nil},
			{"bad cursor", "admin", "GET", "/api/v1/calendars?cursor=nope", nil, nil, 400, []string{`"cursor"`}},
		})
		if n := s.slaCount("admin", "/api/v1/calendars"); n != 2 {
			t.Fatalf("%d calendars after refused requests, want 2", n)
		}

		t.Run("replace with If-Match", func(t *testing.T) {
			in := berlinHours("Berlin office")
			in["holidays"] = []map[string]any{{"date": "2026-12-25", "yearly": true, "name": "Christmas Day"}}
			res := s.do("admin", "PUT", path, in, "If-Match", `"v1"`)
			if res.status != 200 || res.header.Get("ETag") != `"v2"` || res.header.Get("X-Timers-Recomputed") != "0" ||
				!strings.Contains(string(res.body), `"name":"Christmas Day"`) {
				t.Fatalf("put: %d %v %s", res.status, res.header, res.body)
			}
		})

		t.Run("holiday import", func(t *testing.T) {
			ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260403\r\nSUMMARY:Karfreitag\r\nEND:VEVENT\r\n" +
				"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			res := s.slaSendICS("admin", path+"/holidays/import", ics, "If-Match", `"v2"`)
			got := res.json(t)
			if res.status != 200 || got["added"] != 1.0 || got["duplicates"] != 1.0 || res.header.Get("ETag") != `"v3"` ||
				res.header.Get("X-Timers-Recomputed") != "0" {
				t.Fatalf("import: %d %v %s", res.status, res.header, res.body)
			}
			s.runSLA(t, []slaCase{
				{"malformed file", "admin", "POST", path + "/holidays/import", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-04-03\nEND:VEVENT\nEND:VCALENDAR\n",
					[]string{"Content-Type", "text/calendar"}, 422, []string{`"file":"line 3: DTSTART: \"2026-04-03\" is not a date as YYYYMMDD"`}},
				{"binary", "admin", "POST", path + "/holidays/import", "\x89PNG\r\n\x1a\n\x00\x00", []string{"Content-Type", "text/calendar"}, 422, []string{`"file":"line 1: not text`}},
				{"not a calendar", "admin", "POST", path + "/holidays/import", "Date,Name\n2026-04-03,Good Friday\n", []string{"Content-Type", "text/calendar"}, 422, []string{`"file":`}},
				{"wrong media type", "admin", "POST", path + "/holidays/import", "{}", nil, 400, []string{"text/calendar"}},
				{"too large", "admin", "POST", path + "/holidays/import", "BEGIN:VCALENDAR\nX-PAD:" + strings.Repeat("a", calendar.MaxICSBytes) + "\nEND:VCALENDAR\n",
					[]string{"Content-Type", "text/calendar"}, 413, nil},
				{"stale", "admin", "POST", path + "/holidays/import", ics, []string{"Content-Type", "text/calendar", "If-Match", `"v1"`}, 412, nil},
				{"agent may not import", "agent", "POST", path + "/holidays/import", ics, []string{"Content-Type", "text/calendar"}, 403, nil},
			})
			after := s.do("admin", "GET", path, nil)
			if after.header.Get("ETag") != `"v3"` || strings.Count(string(after.body), `"date":`) != 2 {
				t.Fatalf("refused imports changed the calendar: %v %s", after.header, after.body)
			}
		})

		t.Run("arithmetic parameters", func(t *testing.T) {
			s.runSLA(t, []slaCase{
				{"due without parameters", "agent", "GET", path + "/due", nil, nil, 400, []string{`"from":"is required`, `"duration":"is required`}},
				{"due with a bad from", "agent", "GET", path + "/due?from=monday&duration=4h", nil, nil, 400, []string{`"from":"must be an RFC 3339 time`}},
				{"due with a bad duration", "agent", "GET", path + "/due?from=2026-03-02T09:00:00Z&duration=soon", nil, nil, 400, []string{`"duration":"\"soon\" is neither`}},
				{"due with zero", "agent", "GET", path + "/due?from=2026-03-02T09:00:00Z&duration=0s", nil, nil, 400, []string{`"duration":"must be longer than zero"`}},
				{"due with an unknown parameter", "agent", "GET", path + "/due?from=2026-03-02T09:00:00Z&duration=1h&zone=UTC", nil, nil, 400, []string{`"zone"`}},
				{"elapsed backwards", "agent", "GET", path + "/elapsed?from=2026-03-03T09:00:00Z&to=2026-03-02T09:00:00Z", nil, nil, 400, []string{`"to":"must not be before from"`}},
				{"elapsed without to", "agent", "GET", path + "/elapsed?from=2026-03-03T09:00:00Z", nil, nil, 400, []string{`"to":"is required`}},
				{"due on an unknown calendar", "agent", "GET", "/api/v1/calendars/999/due?from=2026-03-02T09:00:00Z&duration=1h", nil, nil, 404, nil},
				{"requester may not compute", "requester", "GET", path + "/due?from=2026-03-02T09:00:00Z&duration=1h", nil, nil, 403, nil},
			})
		})

		t.Run("arithmetic", func(t *testing.T) {
			s.runSLA(t, []slaCase{
				// Friday 16:00 in Berlin plus two working hours is Monday 10:00.
				{"due over a weekend", "agent", "GET", path + "/due?from=2026-03-06T15:00:00Z&duration=2h", nil, nil, 200,
					[]string{`"due_at":"2026-03-09T09:00:00Z"`, `"due_at_local":"2026-03-09T10:00:00+01:00"`}},
				// Thursday 2 April 16:00 plus two hours skips Good Friday (imported) and the weekend; Easter Monday works here.
				{"due over a holiday", "agent", "GET", path + "/due?from=2026-04-02T14:00:00Z&duration=2h", nil, nil, 200,
					[]string{`"due_at":"2026-04-06T08:00:00Z"`, `"due_at_local":"2026-04-06T10:00:00+02:00"`}},
				{"business days", "agent", "GET", path + "/due?from=2026-03-02T09:00:00Z&duration=3bd", nil, nil, 200,
					[]string{`"due_at":"2026-03-05T09:00:00Z"`, `"due_at_local":"2026-03-05T10:00:00+01:00"`}},
				{"elapsed over a weekend", "agent", "GET", path + "/elapsed?from=2026-03-06T15:00:00Z&to=2026-03-09T09:00:00Z", nil, nil, 200,
					[]string{`"business_seconds":7200`}},
				// Clocks go forward on Sunday 29 March; Friday and Monday are 8 hours each all the same.
				{"elapsed over the DST change", "agent", "GET", path + "/elapsed?from=2026-03-27T00:00:00Z&to=2026-03-31T00:00:00Z", nil, nil, 200,
					[]string{`"business_seconds":57600`}},
				{"24x7", "agent", "GET", "/api/v1/calendars/1/elapsed?from=2026-03-27T00:00:00Z&to=2026-03-28T00:00:00Z", nil, nil, 200,
					[]string{`"business_seconds":86400`}},
			})
		})

		t.Run("delete", func(t *testing.T) {
			if res := s.do("admin", "DELETE", path, nil); res.status != 204 {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
			if res := s.do("admin", "GET", path, nil); res.status != 404 {
				t.Fatalf("after delete: %d", res.status)
			}
		})
	})
}

func TestAgreementAndDefinitionAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		cal := s.do("admin", "POST", "/api/v1/calendars", berlinHours("Berlin office")).json(t)
		calID := cal["id"]
		created := s.do("admin", "POST", "/api/v1/agreements", map[string]any{"kind": "sla", "name": "Alpha SLA", "customer_id": s.custA,
			"contract_start": "2026-01-01", "documents": []map[string]string{{"name": "Contract", "url": "https://docs.example/alpha.pdf"}}})
		if created.status != 201 || created.header.Get("ETag") != `"v1"` {
			t.Fatalf("create agreement: %d %s", created.status, created.body)
		}
		ag := created.json(t)
		agPath := fmt.Sprintf("/api/v1/agreements/%v", ag["id"])
		if ag["contract_end"] != nil || ag["active"] != true || created.header.Get("Location") != agPath {
			t.Fatalf("created: %s", created.body)
		}

		s.runSLA(t, []slaCase{
			{"agent reads", "agent", "GET", agPath, nil, nil, 200, []string{`"kind":"sla"`}},
			{"requester may not read", "requester", "GET", "/api/v1/agreements", nil, nil, 403, nil},
			{"agent may not create", "agent", "POST", "/api/v1/agreements", `{"kind":"uc","name":"x","supplier_name":"y"}`, nil, 403, nil},
			{"SLA without customer", "admin", "POST", "/api/v1/agreements", `{"kind":"sla","name":"No customer"}`, nil, 422, []string{`"customer_id":"is required`}},
			{"unknown kind", "admin", "POST", "/api/v1/agreements", `{"kind":"contract","name":"x"}`, nil, 422, []string{`"kind":`}},
			{"UC without supplier", "admin", "POST", "/api/v1/agreements", `{"kind":"uc","name":"Carrier"}`, nil, 422, []string{`"supplier_name":"is required`}},
			{"contract ends before it starts", "admin", "POST", "/api/v1/agreements",
				`{"kind":"uc","name":"Carrier","supplier_name":"Carrier","contract_start":"2026-06-01","contract_end":"2026-01-01"}`, nil, 422,
				[]string{`"contract_end":"must not be before the contract start (2026-06-01)"`}},
			{"unsafe document link", "admin", "POST", "/api/v1/agreements",
				`{"kind":"uc","name":"Carrier","supplier_name":"Carrier","documents":[{"name":"x","url":"javascript:alert(1)"}]}`, nil, 422,
				[]string{`"documents[0].url":"must be an http:// or https:// address"`}},
			{"bad date", "admin", "POST", "/api/v1/agreements", `{"kind":"uc","name":"Carrier","supplier_name":"Carrier","review_date":"soon"}`, nil, 422,
				[]string{`"review_date":"must be a date as YYYY-MM-DD"`}},
			{"bad kind filter", "agent", "GET", "/api/v1/agreements?kind=contract", nil, nil, 400, []string{`"kind"`}},
			{"stale patch", "admin", "PATCH", agPath, `{"description":"x"}`, []string{"If-Match", `"v7"`}, 412, nil},
		})
		if n := s.slaCount("admin", "/api/v1/agreements"); n != 1 {
			t.Fatalf("%d agreements after refused requests, want 1", n)
		}
		res := s.do("admin", "PATCH", agPath, `{"description":"Gold","contract_start":null}`, "If-Match", `"v1"`)
		if res.status != 200 || res.header.Get("ETag") != `"v2"` || res.header.Get("X-Timers-Recomputed") != "0" ||
			!strings.Contains(string(res.body), `"contract_start":null`) {
			t.Fatalf("patch: %d %s", res.status, res.body)
		}
		if n := s.slaCount("agent", "/api/v1/agreements?kind=sla"); n != 1 {
			t.Fatalf("%d SLAs", n)
		}
		if n := s.slaCount("agent", "/api/v1/agreements?kind=uc"); n != 0 {
			t.Fatalf("%d UCs", n)
		}

		goodDef := func(name string) map[string]any {
			return map[string]any{"agreement_id": ag["id"], "name": name, "applies_to": "incident", "metric": "resolution",
				"conditions": map[string]any{"cancel": []map[string]any{{"field": "state", "values": []string{"closed"}}}},
				"goals": []map[string]any{
					{"match": []map[string]any{{"field": "priority", "values": []string{"P1"}}}, "target": "4h", "calendar_id": calID},
					{"target": "3bd", "calendar_id": calID}}}
		}
		def := s.do("admin", "POST", "/api/v1/sla-definitions", goodDef("Resolution"))
		if def.status != 201 || def.header.Get("X-Timers-Recomputed") != "0" || def.header.Get("ETag") != `"v1"` {
			t.Fatalf("create definition: %d %v %s", def.status, def.header, def.body)
		}
		d := def.json(t)
		defPath := fmt.Sprintf("/api/v1/sla-definitions/%v", d["id"])
		if d["warnings"] == nil || d["active"] != true || def.header.Get("Location") != defPath ||
			!strings.Contains(string(def.body), `"pause":[{"field":"state","op":"in","values":["on_hold"]}]`) {
			t.Fatalf("defaults: %s", def.body)
		}

		bad := func(edit func(m map[string]any)) map[string]any {
			m := goodDef("Bad")
			edit(m)
			return m
		}
		goals := func(m map[string]any) []map[string]any { return m["goals"].([]map[string]any) }
		s.runSLA(t, []slaCase{
			{"zero target", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) { goals(m)[0]["target"] = "0s" }), nil, 422,
				[]string{`"goals[0].target":"must be longer than zero"`}},
			{"negative target", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) { goals(m)[1]["target"] = "-2h" }), nil, 422,
				[]string{`"goals[1].target":"must be longer than zero"`}},
			{"unknown filter field", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) {
				m["filter"] = []map[string]any{{"field": "colour", "values": []string{"red"}}}
			}), nil, 422, []string{`"filter[0].field":"unknown field \"colour\"`}},
			{"impossible conditions", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) {
				m["conditions"] = map[string]any{"start": []map[string]any{{"field": "state", "values": []string{"resolved"}}}}
			}), nil, 422, []string{`"conditions.start":"every ticket that meets the start condition also meets the stop condition`}},
			{"always paused", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) {
				m["conditions"] = map[string]any{"start": []map[string]any{{"field": "state", "values": []string{"on_hold"}}},
					"cancel": []map[string]any{{"field": "state", "values": []string{"closed"}}}}
			}), nil, 422, []string{`"conditions.pause":`}},
			{"unknown calendar", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) { goals(m)[1]["calendar_id"] = 999 }), nil, 422,
				[]string{`"goals[1].calendar_id":"calendar 999 does not exist"`}},
			{"unknown customer", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) {
				m["filter"] = []map[string]any{{"field": "customer_id", "values": []string{fmt.Sprint(s.custA), fmt.Sprint(s.custB), "999"}}}
			}), nil, 422, []string{`"filter[0].values[2]":"customer 999 does not exist"`}},
			{"unknown agreement", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) { m["agreement_id"] = 999 }), nil, 422,
				[]string{`"agreement_id":"agreement 999 does not exist"`}},
			{"unknown field", "admin", "POST", "/api/v1/sla-definitions", bad(func(m map[string]any) { m["id"] = 5 }), nil, 400, []string{`"id":"is not a known field"`}},
			{"agent may not create", "agent", "POST", "/api/v1/sla-definitions", goodDef("Agent's"), nil, 403, nil},
			{"auditor reads", "auditor", "GET", defPath, nil, nil, 200, []string{`"metric":"resolution"`}},
			{"requester may not read", "requester", "GET", "/api/v1/sla-definitions", nil, nil, 403, nil},
			{"bad applies_to filter", "agent", "GET", "/api/v1/sla-definitions?applies_to=problem", nil, nil, 400, []string{`"applies_to"`}},
			{"agreement with definitions", "admin", "DELETE", agPath, nil, nil, 409, []string{"still has 1 definition"}},
			{"calendar in use", "admin", "DELETE", fmt.Sprintf("/api/v1/calendars/%v", calID), nil, nil, 409, []string{`used by the goals of 1 definition`}},
		})
		if n := s.slaCount("admin", "/api/v1/sla-definitions"); n != 1 {
			t.Fatalf("%d definitions after refused requests, want 1", n)
		}

		t.Run("idempotent creation", func(t *testing.T) {
			body := goodDef("Response")
			body["applies_to"], body["metric"] = "request", "resolution"
			delete(body, "conditions")
			first := s.do("admin", "POST", "/api/v1/sla-definitions", body, "Idempotency-Key", "def-1")
			again := s.do("admin", "POST", "/api/v1/sla-definitions", body, "Idempotency-Key", "def-1")
			if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
			}
			if n := s.slaCount("admin", "/api/v1/sla-definitions?applies_to=request"); n != 1 {
				t.Fatalf("%d request definitions from one key", n)
			}
		})

		t.Run("list filters and pages", func(t *testing.T) {
			if n := s.slaCount("agent", fmt.Sprintf("/api/v1/sla-definitions?agreement_id=%v&applies_to=incident", ag["id"])); n != 1 {
				t.Fatalf("%d incident definitions", n)
			}
			page := s.do("agent", "GET", "/api/v1/sla-definitions?limit=1", nil).json(t)
			next, _ := page["next_cursor"].(string)
			if len(page["items"].([]any)) != 1 || next == "" {
				t.Fatalf("first page: %v", page)
			}
			page = s.do("agent", "GET", "/api/v1/sla-definitions?limit=1&cursor="+next, nil).json(t)
			if len(page["items"].([]any)) != 1 || page["next_cursor"] != nil {
				t.Fatalf("second page: %v", page)
			}
		})

		t.Run("replace", func(t *testing.T) {
			in := goodDef("Resolution")
			in["warnings"] = []int{80}
			res := s.do("admin", "PUT", defPath, in, "If-Match", `"v1"`)
			if res.status != 200 || res.header.Get("ETag") != `"v2"` || res.header.Get("X-Timers-Recomputed") != "0" ||
				!strings.Contains(string(res.body), `"warnings":[80]`) {
				t.Fatalf("put: %d %v %s", res.status, res.header, res.body)
			}
			if res := s.do("admin", "PUT", defPath, in, "If-Match", `"v1"`); res.status != 412 {
				t.Fatalf("stale put: %d", res.status)
			}
			in["goals"] = []map[string]any{{"target": "never"}}
			if res := s.do("admin", "PUT", defPath, in); res.status != 422 || !strings.Contains(string(res.body), `"goals[0].target"`) {
				t.Fatalf("bad put: %d %s", res.status, res.body)
			}
		})

		t.Run("delete", func(t *testing.T) {
			for _, item := range s.do("admin", "GET", "/api/v1/sla-definitions", nil).json(t)["items"].([]any) {
				p := fmt.Sprintf("/api/v1/sla-definitions/%v", item.(map[string]any)["id"])
				if res := s.do("admin", "DELETE", p, nil); res.status != 204 {
					t.Fatalf("delete definition: %d %s", res.status, res.body)
				}
			}
			if res := s.do("admin", "DELETE", agPath, nil); res.status != 204 {
				t.Fatalf("delete agreement: %d %s", res.status, res.body)
			}
			if res := s.do("auditor", "GET", "/api/v1/audit?entity=sla_definition", nil); !strings.Contains(string(res.body), `"action":"delete"`) {
				t.Fatalf("audit: %s", res.body)
			}
		})
	})
}

// The SLA schemas follow the Go types the handlers encode and decode.
func TestSLAOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"Calendar":      sla.BusinessCalendar{},
		"Window":        calendar.Window{},
		"Holiday":       calendar.Holiday{},
		"HolidayImport": sla.HolidayImport{},
		"Agreement":     sla.Agreement{},
		"Document":      sla.Document{},
		"Definition":    sla.Definition{},
		"Clause":        sla.Clause{},
		"Goal":          sla.Goal{},
		"Conditions":    sla.Conditions{},
	} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) {
			t.Errorf("schema %s has properties %v, the type encodes %v", name, props, all)
		}
		// Answers' always-present fields are required; input-only parts may be optional.
		switch name {
		case "Clause", "Goal", "Conditions":
			continue
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v, the type always encodes %v", name, required, always)
		}
	}
	for name, v := range map[string]any{
		"CalendarInput":   calendar.Spec{},
		"NewAgreement":    sla.NewAgreement{},
		"AgreementPatch":  sla.AgreementPatch{},
		"DefinitionInput": sla.DefinitionInput{},
		"Window":          calendar.Window{},
		"Holiday":         calendar.Holiday{},
		"Document":        sla.Document{},
		"Clause":          sla.Clause{},
		"Goal":            sla.Goal{},
		"Conditions":      sla.Conditions{},
	} {
		want, _ := oaJSONFields(reflect.TypeOf(v))
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) {
			t.Errorf("schema %s has properties %v, the server reads %v", name, props, want)
		}
		if !closed {
			t.Errorf("schema %s must set additionalProperties: false (the server refuses unknown fields)", name)
		}
	}
	// The arithmetic answers are small unexported types; their fields are named here.
	for name, want := range map[string][]string{"DueAt": {"due_at", "due_at_local"}, "Elapsed": {"business_seconds"}} {
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) || !slices.Equal(required, want) {
			t.Errorf("schema %s: properties %v required %v, want %v", name, props, required, want)
		}
	}
}
