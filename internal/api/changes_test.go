package api_test

import (
	"context"
	"fmt"
	"net/http"
	"steward/internal/audit"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/schedule"
	"steward/internal/store"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// A change walks from draft to closed through the API: each move asks for
// what it needs, the board's decision approves it, and who may do what
// follows the roles.
func TestChangeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ci := s.addCI(t, "db-primary")
		res := s.do("agent", "POST", "/api/v1/changes", map[string]any{"title": "Upgrade the database", "type": "normal"},
			"Idempotency-Key", "chg-1")
		if res.status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		c := res.json(t)
		num := c["number"].(string)
		if c["state"] != "draft" || res.header.Get("Location") != "/api/v1/changes/"+num || c["conflicts"] == nil {
			t.Fatalf("created %v, Location %q", c, res.header.Get("Location"))
		}
		again := s.do("agent", "POST", "/api/v1/changes", map[string]any{"title": "Upgrade the database", "type": "normal"},
			"Idempotency-Key", "chg-1")
		if again.status != http.StatusCreated || again.json(t)["number"] != num || again.header.Get("Idempotent-Replayed") != "true" ||
			again.header.Get("Location") != "/api/v1/changes/"+num {
			t.Fatalf("a retried creation: %d %s", again.status, again.body)
		}
		path := "/api/v1/changes/" + num
		answers := map[string]string{"tested": "yes", "done_before": "often", "backout": "yes", "outage": "no", "business_hours": "no"}
		s.run(t, []apiCase{
			{name: "requester may not list", role: "requester", method: "GET", path: "/api/v1/changes", wantStatus: 403},
			{name: "auditor reads", role: "auditor", method: "GET", path: path, wantStatus: 200, wantBody: []string{num}},
			{name: "by id", role: "agent", method: "GET", path: fmt.Sprintf("/api/v1/changes/%v", c["id"]), wantStatus: 200, wantBody: []string{num}},
			{name: "auditor may not create", role: "auditor", method: "POST", path: "/api/v1/changes", body: map[string]any{"title": "x", "type": "normal"}, wantStatus: 403},
			{name: "auditor may not patch", role: "auditor", method: "PATCH", path: path, body: map[string]any{"title": "x"}, wantStatus: 403},
			{name: "a draft moves on with what assessment needs", role: "agent", method: "PATCH", path: path,
				body: map[string]any{"state": "assessment"}, wantStatus: 422, wantBody: []string{`"description"`, `"justification"`, `"ci_ids"`, `"planned_start"`}},
			{name: "end before start", role: "agent", method: "PATCH", path: path,
				body: map[string]any{"planned_start": "2031-01-02T10:00:00Z", "planned_end": "2031-01-02T09:00:00Z"}, wantStatus: 422, wantBody: []string{`"planned_end"`}},
			{name: "submit", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "assessment", "description": "Minor version",
				"justification": "Support ends", "ci_ids": []int64{ci}, "planned_start": "2031-01-02T22:00:00Z", "planned_end": "2031-01-03T00:00:00Z"},
				wantStatus: 200, wantBody: []string{`"state":"assessment"`, `"impact_analysis":{`}},
			{name: "implementing without approval", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "implementing"}, wantStatus: 409},
			{name: "to the board", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "approval", "risk_answers": answers,
				"implementation_plan": "pg_upgrade", "test_plan": "Smoke tests", "backout_plan": "Restore the snapshot"},
				wantStatus: 200, wantBody: []string{`"state":"approval"`, `"risk":"low"`, `"approval_board":"Change advisory board (low risk)"`}},
			{name: "scheduling before the board decided", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "scheduled"}, wantStatus: 409},
			{name: "the requester may not approve", role: "agent", method: "POST", path: path + "/approvals", body: map[string]any{"decision": "approve", "comment": "mine"}, wantStatus: 403},
			{name: "an auditor may not approve", role: "auditor", method: "POST", path: path + "/approvals", body: map[string]any{"decision": "approve"}, wantStatus: 403},
			{name: "a bad decision", role: "admin", method: "POST", path: path + "/approvals", body: map[string]any{"decision": "perhaps"}, wantStatus: 422},
			{name: "the board approves", role: "admin", method: "POST", path: path + "/approvals", body: map[string]any{"decision": "approve", "comment": "Go"},
				wantStatus: 200, wantBody: []string{`"approved_at":"20`}},
			{name: "twice", role: "admin", method: "POST", path: path + "/approvals", body: map[string]any{"decision": "approve", "comment": "Go"}, wantStatus: 409},
			{name: "the decisions", role: "auditor", method: "GET", path: path + "/approvals", wantStatus: 200, wantBody: []string{`"decision":"approve"`, `"comment":"Go"`}},
			{name: "back from the board for rework", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "assessment"},
				wantStatus: 200, wantBody: []string{`"state":"assessment"`, `"approved_at":null`}},
			{name: "an approval given before the rework does not schedule", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "scheduled"}, wantStatus: 409},
			{name: "to the board again", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "approval"}, wantStatus: 200},
			{name: "the second round, with the first", role: "auditor", method: "GET", path: path + "/approvals", wantStatus: 200,
				wantBody: []string{`"decisions":[],"needed":1,"round":2,"earlier":[{"round":1,"superseded_at":"20`, `"comment":"Go"`}},
			{name: "the board approves again", role: "admin", method: "POST", path: path + "/approvals", body: map[string]any{"decision": "approve", "comment": "Go again"},
				wantStatus: 200, wantBody: []string{`"approved_at":"20`}},
			{name: "conflicts", role: "auditor", method: "GET", path: path + "/conflicts", wantStatus: 200, wantBody: []string{`"items":[`}},
			{name: "stale", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "scheduled"}, headers: []string{"If-Match", `"v1"`}, wantStatus: 412},
			{name: "schedule", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "scheduled"}, wantStatus: 200},
			{name: "plans are locked", role: "agent", method: "PATCH", path: path, body: map[string]any{"backout_plan": "none"}, wantStatus: 409},
			{name: "implement", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "implementing"}, wantStatus: 200, wantBody: []string{`"actual_start":"20`}},
			{name: "finish without outcome", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "review"}, wantStatus: 422, wantBody: []string{`"outcome"`}},
			{name: "finish failed", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "review", "outcome": "failed"}, wantStatus: 200},
			{name: "close without a review", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "closed"}, wantStatus: 422, wantBody: []string{`"review"`}},
			{name: "close with its review", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "closed", "review": "Extension missing; added to the runbook"},
				wantStatus: 200, wantBody: []string{`"state":"closed"`}},
			{name: "closed is final", role: "agent", method: "PATCH", path: path, body: map[string]any{"title": "again"}, wantStatus: 409},
			{name: "journal", role: "auditor", method: "GET", path: path + "/journal", wantStatus: 200, wantBody: []string{`"kind":"approval"`, `Approved: Go`}},
			{name: "CI changes", role: "auditor", method: "GET", path: path + "/ci-changes", wantStatus: 200},
			{name: "list", role: "auditor", method: "GET", path: "/api/v1/changes?state=closed&type=normal", wantStatus: 200, wantBody: []string{num}},
			{name: "bad filter", role: "auditor", method: "GET", path: "/api/v1/changes?state=sideways", wantStatus: 400},
			{name: "missing", role: "agent", method: "GET", path: "/api/v1/changes/CHG-999999", wantStatus: 404},
		})
	})
}

func TestChangeTemplateAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		plans := map[string]any{"name": "Restart the web tier", "implementation_plan": "Rolling restart", "test_plan": "Health checks",
			"backout_plan": "None needed", "risk": "low"}
		res := s.do("admin", "POST", "/api/v1/change-templates", plans)
		if res.status != http.StatusCreated {
			t.Fatalf("create template: %d %s", res.status, res.body)
		}
		id := res.json(t)["id"]
		tpath := fmt.Sprintf("/api/v1/change-templates/%v", id)
		s.run(t, []apiCase{
			{name: "agents may not write templates", role: "agent", method: "POST", path: "/api/v1/change-templates", body: plans, wantStatus: 403},
			{name: "agents may not approve them", role: "agent", method: "PATCH", path: tpath, body: map[string]any{"approved": true}, wantStatus: 403},
			{name: "an unapproved template cannot be used", role: "agent", method: "POST", path: "/api/v1/changes",
				body: map[string]any{"title": "Restart", "template_id": id}, wantStatus: 422, wantBody: []string{"is not approved"}},
			{name: "approve it", role: "admin", method: "PATCH", path: tpath, body: map[string]any{"approved": true}, wantStatus: 200, wantBody: []string{`"approved":true`}},
			{name: "a standard change from it", role: "agent", method: "POST", path: "/api/v1/changes",
				body: map[string]any{"title": "Restart", "template_id": id}, wantStatus: 201, wantBody: []string{`"type":"standard"`, `"approved_at":"20`, `"backout_plan":"None needed"`}},
			{name: "list", role: "auditor", method: "GET", path: "/api/v1/change-templates", wantStatus: 200, wantBody: []string{"Restart the web tier"}},
			{name: "a missing plan", role: "admin", method: "POST", path: "/api/v1/change-templates", body: map[string]any{"name": "Half"}, wantStatus: 422},
		})
	})
}

// addCI adds an application CI through the CMDB service.
func (s *server) addCI(t *testing.T, name string) int64 {
	t.Helper()
	c, err := s.app.CMDB.CreateCI(context.Background(), audit.System, cmdb.NewCI{Type: "Application", Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestChangePolicyAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		s.run(t, []apiCase{
			{name: "read", role: "auditor", method: "GET", path: "/api/v1/change-approval-policies", wantStatus: 200, wantBody: []string{"Emergency change advisory board"}},
			{name: "agents may not set", role: "agent", method: "PATCH", path: "/api/v1/change-approval-policies/1", body: map[string]any{"rule": "all"}, wantStatus: 403},
			{name: "a missing group", role: "admin", method: "PATCH", path: "/api/v1/change-approval-policies/1", body: map[string]any{"rule": "all", "group_id": 999}, wantStatus: 422},
			{name: "a bad rule", role: "admin", method: "PATCH", path: "/api/v1/change-approval-policies/1", body: map[string]any{"rule": "some"}, wantStatus: 422},
			{name: "set", role: "admin", method: "PATCH", path: "/api/v1/change-approval-policies/1", body: map[string]any{"rule": "all", "group_id": s.groupID},
				wantStatus: 200, wantBody: []string{`"rule":"all"`, fmt.Sprintf(`"group_id":%d`, s.groupID)}},
			{name: "missing row", role: "admin", method: "PATCH", path: "/api/v1/change-approval-policies/99", body: map[string]any{"rule": "all"}, wantStatus: 404},
		})
	})
}

// sameCIDetectorForTests stands in for the schedule service's detection
// while it is being built: other open changes on one of the same CIs
// whose window overlaps, read with a real query.
func sameCIDetectorForTests(ctx context.Context, q store.Querier, w schedule.Window) ([]schedule.Conflict, error) {
	if len(w.CIs) == 0 {
		return nil, nil
	}
	args := []any{w.ChangeID, store.TS(w.End), store.TS(w.Start)}
	for _, id := range w.CIs {
		args = append(args, id)
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT c.id FROM changes c JOIN record_cis rc ON rc.kind = 'change' AND rc.record_id = c.id
		WHERE c.id <> ? AND c.planned_start < ? AND c.planned_end > ? AND c.state NOT IN ('closed', 'cancelled', 'rejected')
		AND rc.ci_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(w.CIs)), ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schedule.Conflict
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, schedule.Conflict{Kind: schedule.SameCI, Change: change.Number(id), ChangeID: id, Reason: "touches the same CI"})
	}
	return out, rows.Err()
}

// Scheduling over a conflict is a 409 that lists it; the acknowledgement
// lets it through and the journal keeps it.
func TestChangeConflictsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		s.app.Changes.Conflicts = sameCIDetectorForTests
		ci := s.addCI(t, "core-switch")
		window := map[string]any{"ci_ids": []int64{ci}, "planned_start": "2031-05-01T22:00:00Z", "planned_end": "2031-05-02T01:00:00Z"}
		first := s.do("agent", "POST", "/api/v1/changes", map[string]any{"title": "Firmware", "type": "normal", "ci_ids": window["ci_ids"],
			"planned_start": window["planned_start"], "planned_end": window["planned_end"]}).json(t)
		res := s.do("agent", "POST", "/api/v1/changes", map[string]any{"title": "Power supply", "type": "normal", "ci_ids": window["ci_ids"],
			"planned_start": "2031-05-01T23:00:00Z", "planned_end": "2031-05-02T00:00:00Z"})
		second := res.json(t)
		if cs, _ := second["conflicts"].([]any); res.status != http.StatusCreated || len(cs) != 1 {
			t.Fatalf("the second change's creation lists %v", second["conflicts"])
		}
		path := "/api/v1/changes/" + second["number"].(string)
		body := map[string]any{"state": "assessment", "description": "PSU 2", "justification": "Fan fault"}
		if r := s.do("agent", "PATCH", path, body); r.status != 200 {
			t.Fatalf("to assessment: %d %s", r.status, r.body)
		}
		body = map[string]any{"state": "approval", "implementation_plan": "Swap", "test_plan": "LEDs green", "backout_plan": "Put the old one back",
			"risk_answers": map[string]string{"tested": "yes", "done_before": "often", "backout": "yes", "outage": "no", "business_hours": "no"}}
		if r := s.do("agent", "PATCH", path, body); r.status != 200 {
			t.Fatalf("to approval: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "POST", path+"/approvals", map[string]any{"decision": "approve"}); r.status != 200 {
			t.Fatalf("approve: %d %s", r.status, r.body)
		}
		s.run(t, []apiCase{
			{name: "conflicts on demand", role: "auditor", method: "GET", path: path + "/conflicts", wantStatus: 200,
				wantBody: []string{`"kind":"same_ci"`, `"change":"` + first["number"].(string) + `"`}},
			{name: "schedule without acknowledging", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "scheduled"},
				wantStatus: 409, wantBody: []string{`"conflicts":[{"kind":"same_ci"`}},
			{name: "acknowledge with an empty comment", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "scheduled", "acknowledge_conflicts": "  "},
				wantStatus: 409},
			{name: "acknowledge", role: "agent", method: "PATCH", path: path, body: map[string]any{"state": "scheduled", "acknowledge_conflicts": "Same engineer, same visit"},
				wantStatus: 200, wantBody: []string{`"state":"scheduled"`}},
			{name: "kept in the journal", role: "auditor", method: "GET", path: path + "/journal", wantStatus: 200,
				wantBody: []string{`"kind":"conflicts"`, "Same engineer, same visit"}},
		})
	})
}
