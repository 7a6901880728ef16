package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/kpi"
	"steward/internal/store/storetest"
)

// A complaint goes from received to closed through its table's moves,
// each with what it needs; requesters see their customer's only.
func TestComplaintsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		inc := s.raiseFor("Email slow", nil)
		refused := []struct {
			name, role string
			body       any
			want       int
			wantBody   string
		}{
			{"no title", "requester", map[string]any{"description": "x"}, 422, `"title":"is required"`},
			{"an agent without a customer", "agent", map[string]any{"title": "Rude call"}, 422, `"customer_id":"is required`},
			{"an unknown customer", "agent", map[string]any{"title": "Rude call", "customer_id": 99999}, 422, `"customer_id":"customer 99999 does not exist"`},
			{"another customer's ticket", "requesterB", map[string]any{"title": "Slow", "related": inc}, 422, `"related":"` + inc + ` does not exist"`},
			{"an auditor", "auditor", map[string]any{"title": "x"}, 403, "forbidden"},
			{"a bad target date", "agent", map[string]any{"title": "x", "customer_id": s.custA, "target_on": "soon"}, 422, `"target_on"`},
		}
		for _, c := range refused {
			if res := s.do(c.role, "POST", "/api/v1/complaints", c.body); res.status != c.want || !strings.Contains(string(res.body), c.wantBody) {
				t.Errorf("%s: %d %s", c.name, res.status, res.body)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM complaints"); n != 0 {
			t.Fatalf("refused complaints stored: %d", n)
		}
		res := s.do("requester", "POST", "/api/v1/complaints", map[string]any{"title": "Nobody called back", "related": inc, "customer_id": s.custB})
		c := res.json(t)
		due := time.Now().UTC().AddDate(0, 0, 14).Format(time.DateOnly)
		if res.status != 201 || c["customer_id"] != float64(s.custA) || c["source"] != "requester" || c["state"] != "received" ||
			c["target_on"] != due || c["related"] != inc || res.header.Get("ETag") != `"v1"` {
			t.Fatalf("raise: %d %s", res.status, res.body)
		}
		path := "/api/v1/complaints/" + c["number"].(string)
		if n := s.count("SELECT COUNT(*) FROM notifications WHERE kind = 'complaint_raised' AND user_id = ?", s.users["admin"]); n != 1 {
			t.Errorf("the administrator was told %d times of an unowned complaint", n)
		}
		steps := []struct {
			name, role string
			body       any
			headers    []string
			want       int
			wantBody   string
		}{
			{"another customer reads", "requesterB", nil, nil, 404, "not_found"},
			{"the requester changes it", "requester", map[string]any{"state": "investigating"}, nil, 403, "forbidden"},
			{"responded straight away", "agent", map[string]any{"state": "responded", "response": "Sorry"}, nil, 409, "allowed: investigating"},
			{"an unknown state", "agent", map[string]any{"state": "done"}, nil, 422, `"state"`},
			{"investigate", "agent", map[string]any{"state": "investigating", "owner_id": s.users["agent"], "investigation": "The callback list was lost."}, nil, 200, `"state":"investigating"`},
			{"respond without a response", "agent", map[string]any{"state": "responded"}, nil, 422, `"response":"is required before the complaint is responded`},
			{"an old version", "agent", map[string]any{"response": "x"}, []string{"If-Match", `"v1"`}, 412, "precondition_failed"},
			{"respond", "agent", map[string]any{"state": "responded", "response": "We call back within a day now."}, nil, 200, `"state":"responded"`},
			{"close without acceptance", "agent", map[string]any{"state": "closed", "closure": "Process fixed."}, nil, 422, `"accepted":"is required to close`},
			{"close", "agent", map[string]any{"state": "closed", "closure": "Process fixed.", "accepted": true}, nil, 200, `"on_time":true`},
			{"change a closed one", "agent", map[string]any{"title": "x"}, nil, 409, "closed and can no longer be changed"},
		}
		for _, st := range steps {
			method := "PATCH"
			if st.body == nil {
				method = "GET"
			}
			res := s.do(st.role, method, path, st.body, st.headers...)
			if res.status != st.want || !strings.Contains(string(res.body), st.wantBody) {
				t.Errorf("%s: %d %s, want %d with %q", st.name, res.status, res.body, st.want, st.wantBody)
			}
		}
		mine := s.do("requester", "GET", path, nil).json(t)
		if mine["investigation"] != "" || mine["response"] != "We call back within a day now." || mine["accepted"] != true {
			t.Errorf("the requester reads %v", mine)
		}
		if n := s.count("SELECT COUNT(*) FROM notifications WHERE kind = 'complaint_responded' AND user_id = ?", s.users["requester"]); n != 1 {
			t.Errorf("the requester was told %d times of the response", n)
		}
		journal := string(s.do("requester", "GET", path+"/journal", nil).body)
		if strings.Contains(journal, "callback list was lost") || !strings.Contains(journal, `"field":"state"`) {
			t.Errorf("the requester's journal: %s", journal)
		}
		if list := s.do("requesterB", "GET", "/api/v1/complaints", nil).json(t)["items"].([]any); len(list) != 0 {
			t.Errorf("another customer lists %v", list)
		}
		if list := s.do("requester", "GET", "/api/v1/complaints?state=closed", nil).json(t)["items"].([]any); len(list) != 1 {
			t.Errorf("the requester lists %v", list)
		}
		if res := s.do("agent", "GET", "/api/v1/complaints?state=finished", nil); res.status != 400 {
			t.Errorf("a bad state filter: %d", res.status)
		}
		// An agent raises one on a customer's behalf, late: past its date it is overdue.
		res = s.do("agent", "POST", "/api/v1/complaints", map[string]any{"title": "Invoice wrong", "customer_id": s.custB,
			"requester_id": s.users["requesterB"], "target_on": "2020-01-31"})
		if res.status != 201 || res.json(t)["overdue"] != true || res.json(t)["source"] != "agent" {
			t.Fatalf("on behalf: %d %s", res.status, res.body)
		}
		if list := s.do("agent", "GET", "/api/v1/complaints?overdue=true", nil).json(t)["items"].([]any); len(list) != 1 {
			t.Errorf("overdue list %v", list)
		}
		m, _ := kpi.Get("complaint.closed_on_time_pct")
		v, err := m.Compute(context.Background(), s.app.DB, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil || v.N != 1 || v.Value != 100 {
			t.Errorf("closed on time: %v %v", v, err)
		}
	})
}

// A service review's pack is compiled from the records of its period;
// holding it plans the next.
func TestServiceReviewAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ola := s.do("admin", "POST", "/api/v1/agreements", map[string]any{"kind": "ola", "name": "Desk OLA", "group_id": s.groupID}).json(t)
		agr := s.do("admin", "POST", "/api/v1/agreements", map[string]any{"kind": "sla", "name": "Alpha SLA", "customer_id": s.custA}).json(t)
		res := s.do("admin", "POST", "/api/v1/sla-definitions", map[string]any{"agreement_id": agr["id"], "name": "Resolve", "applies_to": "incident",
			"metric": "resolution", "goals": []map[string]any{{"target": "8h"}}})
		if res.status != 201 {
			t.Fatalf("definition: %d %s", res.status, res.body)
		}
		planned := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
		for _, c := range []struct {
			name     string
			body     map[string]any
			wantBody string
		}{
			{"an agreement that does not exist", map[string]any{"agreement_id": 99999, "planned_on": planned}, `"agreement_id":"agreement 99999 does not exist"`},
			{"an OLA", map[string]any{"agreement_id": ola["id"], "planned_on": planned}, "is not a service level agreement"},
			{"no date", map[string]any{"agreement_id": agr["id"]}, `"planned_on"`},
			{"every 30 months", map[string]any{"agreement_id": agr["id"], "planned_on": planned, "every_months": 30}, `"every_months"`},
		} {
			if res := s.do("agent", "POST", "/api/v1/service-reviews", c.body); res.status != 422 || !strings.Contains(string(res.body), c.wantBody) {
				t.Errorf("%s: %d %s", c.name, res.status, res.body)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM service_reviews"); n != 0 {
			t.Fatalf("%d refused reviews stored", n)
		}
		// The records of the period.
		major := s.raiseFor("Mail down for everyone", map[string]any{"major": true})
		s.resolve(major)
		s.do("requester", "POST", "/api/v1/incidents/"+major+"/satisfaction", map[string]any{"rating": 4})
		s.do("requester", "POST", "/api/v1/complaints", map[string]any{"title": "Outage too long", "related": major})
		s.do("agent", "POST", "/api/v1/complaints", map[string]any{"title": "Beta's own", "customer_id": s.custB})

		res = s.do("agent", "POST", "/api/v1/service-reviews", map[string]any{"agreement_id": agr["id"], "planned_on": planned})
		rv := res.json(t)
		if res.status != 201 || rv["every_months"] != float64(3) || rv["customer_id"] != float64(s.custA) || rv["state"] != "planned" || rv["overdue"] != false {
			t.Fatalf("plan: %d %s", res.status, res.body)
		}
		path := fmt.Sprintf("/api/v1/service-reviews/%v", rv["id"])
		res = s.do("agent", "POST", path+"/pack", nil)
		pack, _ := res.json(t)["pack"].(map[string]any)
		if res.status != 200 || pack == nil {
			t.Fatalf("compile: %d %s", res.status, res.body)
		}
		total := pack["sla_total"].(map[string]any)
		sat := pack["satisfaction"].(map[string]any)
		cmps := pack["complaints"].(map[string]any)
		majors := pack["major_incidents"].([]any)
		if total["tickets"] != float64(1) || total["met"] != float64(1) || total["percent_met"] != float64(100) ||
			sat["average"] != float64(4) || sat["answered"] != float64(1) || cmps["raised"] != float64(1) || cmps["open"] != float64(1) ||
			len(majors) != 1 || majors[0].(map[string]any)["number"] != major || pack["availability"] != "not measured" {
			t.Fatalf("pack: %s", res.body)
		}
		for _, c := range []struct {
			name     string
			body     map[string]any
			want     int
			wantBody string
		}{
			{"held without minutes", map[string]any{"state": "held"}, 422, `"minutes":"are required to hold the review`},
			{"held", map[string]any{"state": "held", "minutes": "Walked through the outage; agreed a status page.", "attendees": "Anna, Alex"}, 200, `"state":"held"`},
			{"changed once held", map[string]any{"minutes": "x"}, 409, "can no longer be changed"},
		} {
			if res := s.do("agent", "PATCH", path, c.body); res.status != c.want || !strings.Contains(string(res.body), c.wantBody) {
				t.Errorf("%s: %d %s", c.name, res.status, res.body)
			}
		}
		if res := s.do("agent", "POST", path+"/pack", nil); res.status != 409 {
			t.Errorf("recompiling a held review: %d", res.status)
		}
		held := s.do("auditor", "GET", path, nil).json(t)
		next := s.do("auditor", "GET", fmt.Sprintf("/api/v1/service-reviews/%v", held["next_id"]), nil).json(t)
		want, _ := time.Parse(time.DateOnly, planned)
		if next["state"] != "planned" || next["planned_on"] != want.AddDate(0, 3, 0).Format(time.DateOnly) || next["period_start"] != planned {
			t.Fatalf("next review: %v", next)
		}
		if res := s.do("agent", "POST", path+"/actions", map[string]any{"owner_id": s.users["agent"]}); res.status != 422 {
			t.Errorf("an action without a title: %d %s", res.status, res.body)
		}
		act := s.do("agent", "POST", path+"/actions", map[string]any{"title": "Publish a status page", "owner_id": s.users["agent"], "due_on": "2020-01-01"})
		if act.status != 201 || act.json(t)["overdue"] != true {
			t.Fatalf("action: %d %s", act.status, act.body)
		}
		done := fmt.Sprintf("%s/actions/%v/done", path, act.json(t)["id"])
		if res := s.do("agent", "POST", done, nil); res.status != 204 {
			t.Errorf("done: %d %s", res.status, res.body)
		}
		if res := s.do("agent", "POST", done, nil); res.status != 404 {
			t.Errorf("done twice: %d", res.status)
		}
		if res := s.do("requester", "GET", "/api/v1/service-reviews", nil); res.status != 403 {
			t.Errorf("requester lists reviews: %d", res.status)
		}
		if list := s.do("agent", "GET", "/api/v1/service-reviews?state=planned", nil).json(t)["items"].([]any); len(list) != 1 {
			t.Errorf("planned reviews: %v", list)
		}
	})
}
