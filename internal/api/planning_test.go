package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/improvement"
	"steward/internal/objective"
	"steward/internal/risk"
	"steward/internal/servicereport"
	"steward/internal/store/storetest"
)

// The management system's planning is read by staff and auditors and kept
// by administrators; requesters see none of it.
func TestPlanningAPIPermissions(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	admin := s.users["admin"]
	risk := s.do("admin", "POST", "/api/v1/risks", map[string]any{"title": "Seed", "owner_id": admin, "likelihood": 2, "impact": 3})
	if risk.status != http.StatusCreated {
		t.Fatalf("seed risk: %d %s", risk.status, risk.body)
	}
	for _, c := range []struct {
		method, path string
		body         any
		write        bool
	}{
		{"GET", "/api/v1/kpis", nil, false},
		{"GET", "/api/v1/kpis/incident.within_sla", nil, false},
		{"GET", "/api/v1/risk-criteria", nil, false},
		{"GET", "/api/v1/risks", nil, false},
		{"GET", "/api/v1/risks/1", nil, false},
		{"GET", "/api/v1/objectives", nil, false},
		{"GET", "/api/v1/improvements", nil, false},
		{"GET", "/api/v1/report-definitions", nil, false},
		{"POST", "/api/v1/risks", map[string]any{"title": "X", "owner_id": admin, "likelihood": 1, "impact": 1}, true},
		{"PATCH", "/api/v1/risks/1", map[string]any{"category": "Supplier"}, true},
		{"POST", "/api/v1/improvements", map[string]any{"title": "X"}, true},
		{"POST", "/api/v1/report-definitions", map[string]any{"name": "X", "owner_id": admin}, true},
		{"GET", "/api/v1/reports/definitions", nil, false},
		{"GET", "/api/v1/reports/definitions/1", nil, false},
		{"GET", "/api/v1/reports/definitions/1/runs", nil, false},
		{"POST", "/api/v1/reports/definitions", map[string]any{"name": "Y", "owner_id": admin}, true},
		{"PATCH", "/api/v1/reports/definitions/1", map[string]any{"name": "X again"}, true},
		{"POST", "/api/v1/objectives", map[string]any{"title": "X", "owner_id": admin, "metric_key": "incident.within_sla", "target": 90,
			"direction": "at_least", "starts_on": "2026-01-01", "due_on": "2026-12-31"}, true},
	} {
		for _, role := range []string{"requester", "agent", "auditor", "admin"} {
			r := s.do(role, c.method, c.path, c.body)
			allowed := role == "admin" || (!c.write && role != "requester")
			if allowed && r.status >= 400 {
				t.Errorf("%s %s %s: %d %s", role, c.method, c.path, r.status, r.body)
			}
			if !allowed && r.status != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", role, c.method, c.path, r.status)
			}
		}
		if r := s.do("", c.method, c.path, c.body); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d, want 401", c.method, c.path, r.status)
		}
	}
}

func TestPlanningAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		admin := s.users["admin"]

		// A risk needs an owner and levels on the matrix; every fault is named.
		r := s.do("admin", "POST", "/api/v1/risks", map[string]any{"title": "Backup", "likelihood": 7, "impact": 0, "treatment": "exploit"})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad risk: %d %s", r.status, r.body)
		}
		for _, f := range []string{"owner_id", "likelihood", "impact", "treatment"} {
			if _, ok := r.errorFields(t)[f]; !ok {
				t.Errorf("no message for %s: %s", f, r.body)
			}
		}
		r = s.do("admin", "POST", "/api/v1/risks", map[string]any{"title": "Backup", "owner_id": admin, "likelihood": 4, "impact": 4})
		if r.status != http.StatusCreated {
			t.Fatalf("risk: %d %s", r.status, r.body)
		}
		m := r.json(t)
		if m["score"] != 16.0 || m["band"] != "critical" || m["untreated"] != true {
			t.Errorf("score %v band %v untreated %v, want 16 critical true", m["score"], m["band"], m["untreated"])
		}
		path := fmt.Sprintf("/api/v1/risks/%v", m["id"])
		if r := s.do("admin", "PATCH", path, map[string]any{"treatment": "reduce"}, "If-Match", `"v9"`); r.status != http.StatusPreconditionFailed {
			t.Errorf("stale patch: %d", r.status)
		}
		r = s.do("admin", "PATCH", path, map[string]any{"treatment": "reduce", "residual_likelihood": 2, "residual_impact": 2}, "If-Match", r.header.Get("ETag"))
		if r.status != http.StatusOK || r.json(t)["residual_band"] != "low" || r.json(t)["untreated"] != false {
			t.Errorf("treated: %d %s", r.status, r.body)
		}
		cell := s.do("agent", "GET", "/api/v1/risks?likelihood=4&impact=4", nil)
		if items := cell.json(t)["items"].([]any); len(items) != 1 {
			t.Errorf("cell 4x4 lists %d risks, want 1", len(items))
		}

		// Criteria: the bands must rise and end at 25.
		bad := map[string]any{"likelihood_labels": []string{"a", "b", "c", "d", "e"}, "impact_labels": []string{"a", "b", "c", "d", "e"},
			"bands": []map[string]any{{"name": "low", "max": 10}, {"name": "high", "max": 8}}, "appetite": 8}
		if r := s.do("admin", "PUT", "/api/v1/risk-criteria", bad); r.status != http.StatusUnprocessableEntity || r.errorFields(t)["bands"] == nil {
			t.Errorf("falling bands: %d %s", r.status, r.body)
		}
		bad["bands"] = []map[string]any{{"name": "low", "max": 12}, {"name": "high", "max": 25}}
		if r := s.do("admin", "PUT", "/api/v1/risk-criteria", bad); r.status != http.StatusOK {
			t.Errorf("criteria: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "GET", path, nil); r.json(t)["band"] != "high" {
			t.Errorf("after new criteria the risk is %v, want high", r.json(t)["band"])
		}

		// An objective's dates must be in order and its measure known.
		today := time.Now().UTC()
		r = s.do("admin", "POST", "/api/v1/objectives", map[string]any{"title": "SLA", "owner_id": admin, "metric_key": "no.such", "target": 95,
			"direction": "at_least", "starts_on": "2026-06-01", "due_on": "2026-05-01"})
		if r.status != http.StatusUnprocessableEntity || r.errorFields(t)["due_on"] == nil || r.errorFields(t)["metric_key"] == nil {
			t.Errorf("bad objective: %d %s", r.status, r.body)
		}
		r = s.do("admin", "POST", "/api/v1/objectives", map[string]any{"title": "SLA", "owner_id": admin, "metric_key": "incident.within_sla", "target": 95,
			"direction": "at_least", "starts_on": today.AddDate(0, -1, 0).Format("2006-01-02"), "due_on": today.AddDate(0, 6, 0).Format("2006-01-02")})
		if r.status != http.StatusCreated {
			t.Fatalf("objective: %d %s", r.status, r.body)
		}
		if p := r.json(t)["progress"].(map[string]any); p["state"] != "no_data" || p["n"] != 0.0 {
			t.Errorf("objective on no records: %v, want no data", p)
		}
		if r := s.do("auditor", "GET", fmt.Sprintf("/api/v1/objectives/%v", r.json(t)["id"]), nil); r.status != http.StatusOK {
			t.Errorf("objective detail: %d", r.status)
		}

		// An improvement is approved only against criteria.
		r = s.do("admin", "POST", "/api/v1/improvements", map[string]any{"title": "Chat", "metric_key": "incident.mttr_hours"})
		ipath := fmt.Sprintf("/api/v1/improvements/%v/actions", r.json(t)["id"])
		if r := s.do("admin", "POST", ipath, map[string]any{"action": "approve"}); r.status != http.StatusUnprocessableEntity || r.errorFields(t)["criteria"] == nil {
			t.Errorf("approve without criteria: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "POST", ipath, map[string]any{"action": "finish"}); r.status != http.StatusConflict {
			t.Errorf("finish a proposal: %d %s", r.status, r.body)
		}

		// Producing a report moves its next due date on.
		r = s.do("admin", "POST", "/api/v1/report-definitions", map[string]any{"name": "SLA report", "owner_id": admin, "frequency": "monthly", "next_due": "2026-01-05"})
		if r.status != http.StatusCreated || r.json(t)["overdue"] != true {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
		rpath := fmt.Sprintf("/api/v1/report-definitions/%v", r.json(t)["id"])
		if r := s.do("admin", "POST", rpath+"/runs", map[string]any{"period_from": "2026-01-01", "period_to": "2025-12-01", "link": "javascript:x"}); r.status != http.StatusUnprocessableEntity ||
			r.errorFields(t)["period_to"] == nil || r.errorFields(t)["link"] == nil {
			t.Errorf("bad run: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "POST", rpath+"/runs", map[string]any{"period_from": "2025-12-01", "period_to": "2025-12-31", "link": "https://reports.example/2025-12"}); r.status != http.StatusCreated {
			t.Errorf("run: %d %s", r.status, r.body)
		}
		if r := s.do("agent", "GET", rpath, nil); r.json(t)["next_due"] != "2026-02-05" {
			t.Errorf("next due %v, want 2026-02-05", r.json(t)["next_due"])
		}
		if r := s.do("agent", "GET", rpath+"/runs", nil); len(r.json(t)["items"].([]any)) != 1 {
			t.Errorf("runs: %s", r.body)
		}

		// KPIs: every measure answers; with no records none claims a figure.
		r = s.do("auditor", "GET", "/api/v1/kpis?days=30", nil)
		for _, it := range r.json(t)["items"].([]any) {
			k := it.(map[string]any)
			if v := k["value"].(map[string]any); v["n"] != 0.0 && k["key"] != "cmdb.verified_pct" {
				t.Errorf("%v has n=%v on an empty database", k["key"], v["n"])
			}
		}
		if r := s.do("agent", "GET", "/api/v1/kpis/change.success_rate?from=2026-01-01&to=2026-04-01&bucket=month", nil); r.status != http.StatusOK ||
			len(r.json(t)["points"].([]any)) != 3 {
			t.Errorf("series: %d %s", r.status, r.body)
		}
		if r := s.do("agent", "GET", "/api/v1/kpis/change.success_rate?bucket=day", nil); r.status != http.StatusBadRequest {
			t.Errorf("bucket=day: %d", r.status)
		}
	})
}

func TestUnknownMeasureIsNotFound(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	if r := s.do("agent", "GET", "/api/v1/kpis/no.such.measure", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown measure: %d", r.status)
	}
}

// The planning schemas name exactly the fields the types encode and read.
func TestPlanningSchemasMatchTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"Risk": risk.Risk{}, "RiskCriteria": risk.Criteria{}, "Objective": objective.Objective{}, "ObjectiveProgress": objective.Progress{},
		"Improvement": improvement.Improvement{}, "ReportDefinition": servicereport.Definition{}, "ReportRun": servicereport.Run{},
	} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) {
			t.Errorf("schema %s has properties %v, the type encodes %v", name, props, all)
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v, the type always encodes %v", name, required, always)
		}
	}
	for name, v := range map[string]any{
		"RiskInput": risk.Input{}, "ObjectiveInput": objective.Input{}, "ImprovementInput": improvement.Input{},
		"ReportDefinitionInput": servicereport.Input{}, "ReportRunInput": servicereport.RunInput{},
	} {
		want, _ := oaJSONFields(reflect.TypeOf(v))
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) || !closed {
			t.Errorf("schema %s has properties %v (closed %v), the server reads %v", name, props, closed, want)
		}
	}
}

// The report definitions answer under /api/v1/reports/definitions as
// under /api/v1/report-definitions: one made at either address is read,
// changed and produced at the other.
func TestReportDefinitionsAtBothAddresses(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	admin := s.users["admin"]
	r := s.do("admin", "POST", "/api/v1/reports/definitions", map[string]any{"name": "Monthly SLA", "owner_id": admin,
		"frequency": "monthly", "next_due": "2026-01-05"})
	if r.status != http.StatusCreated {
		t.Fatalf("create at /reports/definitions: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"]
	if r := s.do("agent", "GET", fmt.Sprintf("/api/v1/report-definitions/%v", id), nil); r.status != http.StatusOK {
		t.Fatalf("read at /report-definitions: %d %s", r.status, r.body)
	}
	if r := s.do("admin", "PATCH", fmt.Sprintf("/api/v1/reports/definitions/%v", id), map[string]any{"name": "Monthly SLA report"}); r.status != http.StatusOK {
		t.Fatalf("change at /reports/definitions: %d %s", r.status, r.body)
	}
	for _, base := range []string{"/api/v1/report-definitions", "/api/v1/reports/definitions"} {
		r := s.do("auditor", "GET", base, nil)
		if r.status != http.StatusOK || !strings.Contains(string(r.body), "Monthly SLA report") {
			t.Errorf("GET %s: %d %s", base, r.status, r.body)
		}
		if r := s.do("auditor", "GET", fmt.Sprintf("%s/%v/runs", base, id), nil); r.status != http.StatusOK {
			t.Errorf("GET %s/%v/runs: %d %s", base, id, r.status, r.body)
		}
		if r := s.do("requester", "GET", base, nil); r.status != http.StatusForbidden {
			t.Errorf("requester GET %s: %d, want 403", base, r.status)
		}
		if r := s.do("agent", "POST", base, map[string]any{"name": "Z", "owner_id": admin}); r.status != http.StatusForbidden {
			t.Errorf("agent POST %s: %d, want 403", base, r.status)
		}
	}
}
