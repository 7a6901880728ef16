package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// An SLA set up through the API runs on incidents created through the
// API: the timer is on the incident, the breaching list shows it, the
// escalation raises it into the activity feed, and the report counts it.
func TestSLATimersOnIncidents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		res := s.do("admin", "POST", "/api/v1/agreements", map[string]any{"kind": "ola", "name": "Desk OLA", "group_id": s.groupID})
		if res.status != http.StatusCreated {
			t.Fatalf("create agreement: %d %s", res.status, res.body)
		}
		agr := int64(res.json(t)["id"].(float64))
		res = s.do("admin", "POST", "/api/v1/sla-definitions", map[string]any{
			"agreement_id": agr, "name": "Resolve", "applies_to": "incident", "metric": "resolution",
			"goals": []map[string]any{{"match": []map[string]any{{"field": "priority", "op": "in", "values": []string{"P1"}}}, "target": "1s"}, {"target": "8h"}},
		})
		if res.status != http.StatusCreated {
			t.Fatalf("create definition: %d %s", res.status, res.body)
		}
		// The OLA measures only its group's tickets.
		res = s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "Printer jam", "impact": "low", "urgency": "low"})
		if len(res.json(t)["sla"].([]any)) != 0 {
			t.Errorf("an OLA measured a ticket outside its group: %s", res.body)
		}
		res = s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "Core switch down", "impact": "high", "urgency": "high", "group_id": s.groupID})
		if res.status != http.StatusCreated {
			t.Fatalf("create incident: %d %s", res.status, res.body)
		}
		inc := res.json(t)
		timers, _ := inc["sla"].([]any)
		if len(timers) != 1 {
			t.Fatalf("incident carries %v", inc["sla"])
		}
		tm := timers[0].(map[string]any)
		if tm["metric"] != "resolution" || tm["target_seconds"] != float64(1) || tm["cycle"] != float64(1) || tm["due_at"] == nil {
			t.Errorf("timer %v", tm)
		}
		number := inc["number"].(string)
		time.Sleep(1100 * time.Millisecond) // the 1s target passes
		got := s.do("auditor", "GET", "/api/v1/incidents/"+number, nil).json(t)["sla"].([]any)[0].(map[string]any)
		if got["state"] != "breached" || got["breached_at"] == nil || got["remaining_business_seconds"] != float64(0) {
			t.Errorf("after its target: %v", got)
		}
		list := s.do("agent", "GET", "/api/v1/incidents?group_id="+fmt.Sprint(s.groupID), nil).json(t)["items"].([]any)
		if len(list[0].(map[string]any)["sla"].([]any)) != 1 {
			t.Errorf("list items lack their timers")
		}
		res = s.do("agent", "GET", "/api/v1/sla/breaching?within=1h", nil)
		items, _ := res.json(t)["items"].([]any)
		if res.status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["ref"] != number {
			t.Errorf("breaching soon: %d %s", res.status, res.body)
		}
		// The escalation job raises the breach.
		if _, err := s.app.Worker().RunDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		res = s.do("agent", "GET", "/api/v1/activity?kind=sla.breach", nil)
		acts, _ := res.json(t)["items"].([]any)
		if res.status != http.StatusOK || len(acts) != 1 || acts[0].(map[string]any)["ref"] != number {
			t.Fatalf("activity: %d %s", res.status, res.body)
		}
		// Resolving stops the clock; the report counts the breach.
		res = s.do("agent", "PATCH", "/api/v1/incidents/"+number, map[string]any{"state": "resolved", "resolution_code": "fixed", "resolution_notes": "Replaced the supervisor module."})
		if res.status != http.StatusOK {
			t.Fatalf("resolve: %d %s", res.status, res.body)
		}
		period := time.Now().UTC().Format("2006-01")
		res = s.do("auditor", "GET", "/api/v1/reports/sla?period="+period, nil)
		rows, _ := res.json(t)["rows"].([]any)
		if res.status != http.StatusOK || len(rows) != 1 {
			t.Fatalf("report: %d %s", res.status, res.body)
		}
		row := rows[0].(map[string]any)
		if row["tickets"] != float64(1) || row["breached"] != float64(1) || row["percent_met"] != float64(0) || row["agreement_name"] != "Desk OLA" {
			t.Errorf("report row %v", row)
		}
		res = s.do("auditor", "GET", "/api/v1/reports/sla?format=csv&period="+period, nil)
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(string(res.body), "Desk OLA,ola,incident,resolution,P1,1,0,1,0.0") || !strings.Contains(string(res.body), number) {
			t.Errorf("csv: %d %s", res.status, res.body)
		}
	})
}

func TestSLAReportBadInput(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/reports/sla", "period"},
		{"/api/v1/reports/sla?period=2026-13", "period"},
		{"/api/v1/reports/sla?period=2026-11&tz=Mars/Base", "tz"},
		{"/api/v1/reports/sla?period=2026-11&format=xml", "format"},
		{"/api/v1/reports/sla?period=2026-11&ticket_kind=problem", "ticket_kind"},
		{"/api/v1/activity?after=x", "after"},
		{"/api/v1/activity?entity_id=3", "entity_id"},
		{"/api/v1/sla/breaching?within=soon", "within"},
		{"/api/v1/sla/breaching?colour=red", "colour"},
	} {
		res := s.do("admin", "GET", tc.path, nil)
		if res.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", tc.path, res.status)
			continue
		}
		if _, ok := res.errorFields(t)[tc.field]; !ok {
			t.Errorf("%s: fields %v do not name %s", tc.path, res.errorFields(t), tc.field)
		}
	}
	if res := s.do("requester", "GET", "/api/v1/reports/sla?period=2026-11", nil); res.status != http.StatusForbidden {
		t.Errorf("requester reads the report: %d", res.status)
	}
	if res := s.do("requester", "GET", "/api/v1/activity", nil); res.status != http.StatusForbidden {
		t.Errorf("requester reads the activity feed: %d", res.status)
	}
}
