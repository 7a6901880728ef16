package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/kpi"
	"steward/internal/satisfaction"
	"steward/internal/store/storetest"
)

// raiseFor opens an incident for the requester in the desk's group and
// returns its number.
func (s *server) raiseFor(title string, extra map[string]any) string {
	s.t.Helper()
	body := map[string]any{"title": title, "requester_id": s.users["requester"], "group_id": s.groupID}
	for k, v := range extra {
		body[k] = v
	}
	res := s.do("agent", "POST", "/api/v1/incidents", body)
	if res.status != 201 {
		s.t.Fatalf("create incident: %d %s", res.status, res.body)
	}
	return res.json(s.t)["number"].(string)
}

func (s *server) resolve(number string) {
	s.t.Helper()
	res := s.do("agent", "PATCH", "/api/v1/incidents/"+number, map[string]any{"state": "resolved", "resolution_code": "fixed", "resolution_notes": "Done."})
	if res.status != 200 {
		s.t.Fatalf("resolve %s: %d %s", number, res.status, res.body)
	}
}

// count runs a COUNT(*) query.
func (s *server) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.app.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *server) saveRules(edit func(*satisfaction.Settings)) {
	s.t.Helper()
	admin := &auth.Principal{UserID: s.users["admin"], Role: auth.Admin, Email: "admin@api.test"}
	in, err := satisfaction.LoadSettings(context.Background(), s.app.DB)
	if err != nil {
		s.t.Fatal(err)
	}
	edit(&in)
	if _, err := s.app.Satisfaction.SaveSettings(context.Background(), admin, in); err != nil {
		s.t.Fatal(err)
	}
}

// Resolving an incident asks its requester once; only they answer, once;
// a low rating raises a complaint for the group's lead; the report adds
// the answers up by group and customer.
func TestSatisfactionSurveyAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		s.saveRules(func(in *satisfaction.Settings) {
			in.Leads = []satisfaction.Lead{{GroupID: s.groupID, UserID: s.users["agent"]}}
		})
		number := s.raiseFor("Cannot print", nil)
		rate := "/api/v1/incidents/" + number + "/satisfaction"
		if res := s.do("requester", "POST", rate, map[string]any{"rating": 5}); res.status != 409 || !strings.Contains(string(res.body), "once the incident is resolved") {
			t.Fatalf("before resolution: %d %s", res.status, res.body)
		}
		s.resolve(number)
		if n := s.count("SELECT COUNT(*) FROM satisfaction_surveys"); n != 1 {
			t.Fatalf("%d surveys after resolving, want 1", n)
		}
		notes := string(s.do("requester", "GET", "/api/v1/notifications", nil).body)
		if strings.Count(notes, `"kind":"survey"`) != 1 || !strings.Contains(notes, `"link":"/surveys/`) || !strings.Contains(notes, number) {
			t.Fatalf("requester's notifications: %s", notes)
		}
		if agentNotes := string(s.do("agent", "GET", "/api/v1/notifications", nil).body); strings.Contains(agentNotes, `"kind":"survey"`) {
			t.Fatalf("the agent was asked: %s", agentNotes)
		}
		cases := []struct {
			name, role string
			body       any
			want       int
			wantBody   string
		}{
			{"an agent", "agent", map[string]any{"rating": 5}, 404, `"not_found"`},
			{"another customer's requester", "requesterB", map[string]any{"rating": 5}, 404, `"not_found"`},
			{"an auditor", "auditor", map[string]any{"rating": 5}, 403, `"forbidden"`},
			{"a rating of 7", "requester", map[string]any{"rating": 7}, 422, `"rating":"must be a whole number from 1`},
			{"no rating", "requester", map[string]any{"comment": "ok"}, 422, `"rating"`},
			{"a rating of 4", "requester", map[string]any{"rating": 4, "comment": "Quick, thanks"}, 201, `"rating":4`},
			{"a second answer", "requester", map[string]any{"rating": 1}, 409, "already rated 4 of 5"},
		}
		for _, c := range cases {
			res := s.do(c.role, "POST", rate, c.body)
			if res.status != c.want || !strings.Contains(string(res.body), c.wantBody) {
				t.Errorf("%s: %d %s, want %d with %q", c.name, res.status, res.body, c.want, c.wantBody)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM complaints"); n != 0 {
			t.Fatalf("a rating of 4 raised %d complaints", n)
		}
		// Reopened and resolved again: not asked twice.
		if res := s.do("requester", "POST", "/api/v1/incidents/"+number+"/reopen", map[string]any{"reason": "Again"}); res.status != 200 {
			t.Fatalf("reopen: %d %s", res.status, res.body)
		}
		s.resolve(number)
		if n := s.count("SELECT COUNT(*) FROM satisfaction_surveys"); n != 1 {
			t.Fatalf("%d surveys after resolving again, want 1", n)
		}
		if n := s.count("SELECT COUNT(*) FROM notifications WHERE kind = 'survey'"); n != 1 {
			t.Fatalf("%d survey notifications after resolving again, want 1", n)
		}

		// A low rating raises a complaint owned by the group's lead.
		low := s.raiseFor("VPN drops", nil)
		s.resolve(low)
		res := s.do("requester", "POST", "/api/v1/incidents/"+low+"/satisfaction", map[string]any{"rating": 1, "comment": "Took three days"})
		if res.status != 201 {
			t.Fatalf("low rating: %d %s", res.status, res.body)
		}
		cmp, _ := res.json(t)["complaint"].(string)
		if !strings.HasPrefix(cmp, "CMP-") {
			t.Fatalf("no complaint from a low rating: %s", res.body)
		}
		c := s.do("agent", "GET", "/api/v1/complaints/"+cmp, nil).json(t)
		if c["source"] != "rating" || c["owner_id"] != float64(s.users["agent"]) || c["related"] != low || c["customer_id"] != float64(s.custA) ||
			c["state"] != "received" || !strings.Contains(c["description"].(string), "Took three days") {
			t.Fatalf("follow-up complaint: %v", c)
		}
		if n := s.count("SELECT COUNT(*) FROM notifications WHERE kind = 'complaint_raised' AND user_id = ?", s.users["agent"]); n != 1 {
			t.Fatalf("the lead got %d notices of the complaint", n)
		}

		// The report.
		rep := s.do("agent", "GET", "/api/v1/reports/satisfaction", nil)
		r := rep.json(t)
		if rep.status != 200 || r["sent"] != float64(2) || r["answered"] != float64(2) || r["average"] != 2.5 || r["response_rate"] != float64(100) {
			t.Fatalf("report: %d %s", rep.status, rep.body)
		}
		groups := r["groups"].([]any)
		if len(groups) != 1 || groups[0].(map[string]any)["name"] != "Service Desk" || groups[0].(map[string]any)["answered"] != float64(2) {
			t.Fatalf("by group: %v", groups)
		}
		customers := r["customers"].([]any)
		if len(customers) != 1 || customers[0].(map[string]any)["name"] != "Alpha Ltd" {
			t.Fatalf("by customer: %v", customers)
		}
		if got := r["ratings"].([]any); got[0] != float64(1) || got[3] != float64(1) {
			t.Fatalf("ratings spread %v", got)
		}
		if lows := r["low_ratings"].([]any); len(lows) != 1 || lows[0].(map[string]any)["complaint"] != cmp {
			t.Fatalf("low ratings %v", lows)
		}
		other := s.do("agent", "GET", fmt.Sprintf("/api/v1/reports/satisfaction?customer_id=%d", s.custB), nil).json(t)
		if other["sent"] != float64(0) || len(other["customers"].([]any)) != 0 {
			t.Fatalf("another customer's report: %v", other)
		}
		if res := s.do("agent", "GET", "/api/v1/reports/satisfaction?from=2026-13-01", nil); res.status != 400 {
			t.Fatalf("a bad date: %d", res.status)
		}
		if res := s.do("requester", "GET", "/api/v1/reports/satisfaction", nil); res.status != 403 {
			t.Fatalf("requester report: %d", res.status)
		}
		// The KPIs read the same surveys.
		now := time.Now()
		for key, want := range map[string]float64{"satisfaction.average": 2.5, "satisfaction.response_rate": 100} {
			m, _ := kpi.Get(key)
			v, err := m.Compute(context.Background(), s.app.DB, now.Add(-time.Hour), now.Add(time.Hour))
			if err != nil || v.Value != want || v.N != 2 {
				t.Errorf("%s = %v (%v), want %v from 2", key, v, err, want)
			}
		}
	})
}

// Rules that exclude a ticket send no survey: a sample of 0 %, incidents
// switched off, or another service.
func TestSurveyRulesExclude(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		for _, rule := range []func(*satisfaction.Settings){
			func(in *satisfaction.Settings) { in.SamplePercent = 0 },
			func(in *satisfaction.Settings) { in.SamplePercent, in.Incidents = 100, false },
		} {
			s.saveRules(rule)
			number := s.raiseFor("Excluded", nil)
			s.resolve(number)
			if res := s.do("requester", "POST", "/api/v1/incidents/"+number+"/satisfaction", map[string]any{"rating": 3}); res.status != 409 ||
				!strings.Contains(string(res.body), "the survey rules did not ask about it") {
				t.Errorf("excluded ticket: %d %s", res.status, res.body)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM satisfaction_surveys") + s.count("SELECT COUNT(*) FROM notifications WHERE kind = 'survey'"); n != 0 {
			t.Fatalf("%d surveys or notices for excluded tickets", n)
		}
	})
}
