package api_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/release"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// insertChange adds a plain change row in state, for releases to group.
func insertChange(t *testing.T, e storetest.Engine, title, state string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		at := store.TS(time.Now())
		return tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, created_at, updated_at) VALUES (?, 'normal', ?, ?, ?)
			RETURNING id`, title, state, at, at).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A release through the API: planned with its changes, moved with ETags,
// deployed to test and production, verified, rolled back and closed; bad
// input refused with the field named and nothing changed.
func TestReleaseAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		chg := insertChange(t, e, "Upgrade the portal", "scheduled")
		rejected := insertChange(t, e, "Rejected idea", "rejected")
		ci, err := insertCI(e, "portal-app")
		if err != nil {
			t.Fatal(err)
		}
		ci2, err := insertCI(e, "portal-app-2")
		if err != nil {
			t.Fatal(err)
		}

		// Who may plan and read.
		body := map[string]any{"title": "Portal 4.2", "type": "minor", "change_ids": []int64{chg},
			"planned_start": "2026-03-01T09:00:00Z", "planned_end": "2026-03-01T12:00:00Z"}
		for _, who := range []string{"agent", "auditor", "requester"} {
			if res := s.do(who, "POST", "/api/v1/releases", body); res.status != http.StatusForbidden {
				t.Fatalf("%s planned a release: %d", who, res.status)
			}
		}
		if res := s.do("requester", "GET", "/api/v1/releases", nil); res.status != http.StatusForbidden {
			t.Fatalf("requester listed releases: %d", res.status)
		}

		// Bad input changes nothing.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"title": "x", "type": "minor", "planned_start": "2026-03-01T12:00:00Z", "planned_end": "2026-03-01T09:00:00Z"}, "planned_end"},
			{map[string]any{"title": "x", "type": "minor", "change_ids": []int64{999999}}, "change_ids"},
			{map[string]any{"title": "x", "type": "minor", "change_ids": []int64{rejected}}, "change_ids"},
			{map[string]any{"title": "x", "type": "huge"}, "type"},
			{map[string]any{"title": " ", "type": "minor"}, "title"},
		} {
			res := s.do("admin", "POST", "/api/v1/releases", c.body)
			if res.status != http.StatusUnprocessableEntity || res.errorFields(t)[c.field] == nil {
				t.Fatalf("%v: %d %s, want 422 naming %s", c.body, res.status, res.body, c.field)
			}
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM releases"); n != 0 {
			t.Fatalf("%d releases after refused input", n)
		}

		// Create, retried with the same key.
		res := s.do("admin", "POST", "/api/v1/releases", body, "Idempotency-Key", "rel-1")
		if res.status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		rel := res.json(t)
		num := rel["number"].(string)
		if !strings.HasPrefix(num, "REL-") || res.header.Get("Location") != "/api/v1/releases/"+num || rel["state"] != "planned" {
			t.Fatalf("created %v, Location %q", rel, res.header.Get("Location"))
		}
		again := s.do("admin", "POST", "/api/v1/releases", body, "Idempotency-Key", "rel-1")
		if again.status != http.StatusCreated || again.json(t)["number"] != num || again.header.Get("Idempotent-Replayed") != "true" ||
			again.header.Get("Location") != "/api/v1/releases/"+num {
			t.Fatalf("replay: %d %s %v", again.status, again.body, again.header)
		}
		changes := rel["changes"].([]any)
		if len(changes) != 1 || changes[0].(map[string]any)["number"] != fmt.Sprintf("CHG-%06d", chg) ||
			changes[0].(map[string]any)["url"] != fmt.Sprintf("/changes/CHG-%06d", chg) {
			t.Fatalf("changes %v", changes)
		}

		// Read by number and by id; ETags.
		got := s.do("auditor", "GET", "/api/v1/releases/"+strings.ToLower(num), nil)
		tag := got.header.Get("ETag")
		if got.status != 200 || tag != `"v1"` {
			t.Fatalf("get by number: %d %q", got.status, tag)
		}
		if r := s.do("agent", "GET", fmt.Sprintf("/api/v1/releases/%v", rel["id"]), nil, "If-None-Match", tag); r.status != http.StatusNotModified {
			t.Fatalf("If-None-Match: %d", r.status)
		}
		if r := s.do("agent", "GET", "/api/v1/releases?state=planned&type=minor", nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		for _, q := range []string{"q=portal%204", "q=" + num, "q=PORTAL"} {
			if r := s.do("agent", "GET", "/api/v1/releases?"+q, nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
				t.Fatalf("search %s: %d %s", q, r.status, r.body)
			}
		}
		if r := s.do("agent", "GET", "/api/v1/releases?q=50%25_off", nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
			t.Fatalf("search with LIKE wildcards: %d %s", r.status, r.body)
		}
		if r := s.do("agent", "GET", "/api/v1/releases?state=bogus", nil); r.status != http.StatusBadRequest {
			t.Fatalf("list with a bad state: %d", r.status)
		}
		if r := s.do("agent", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "building"}); r.status != http.StatusForbidden {
			t.Fatalf("agent moved a release: %d", r.status)
		}

		// Moves with If-Match.
		r := s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "building"}, "If-Match", `"v7"`)
		if r.status != http.StatusPreconditionFailed {
			t.Fatalf("stale If-Match: %d", r.status)
		}
		r = s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "building"}, "If-Match", tag)
		if r.status != 200 || r.json(t)["state"] != "building" || r.header.Get("ETag") != `"v2"` {
			t.Fatalf("to building: %d %s %q", r.status, r.body, r.header.Get("ETag"))
		}
		if r := s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"planned_end": "2026-02-01T00:00:00Z"}); r.status != 422 || r.errorFields(t)["planned_end"] == nil {
			t.Fatalf("end before start: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "deployed"}); r.status != 422 || r.errorFields(t)["state"] == nil {
			t.Fatalf("skipping to deployed: %d %s", r.status, r.body)
		}

		// Changes join and leave.
		if r := s.do("admin", "POST", "/api/v1/releases/"+num+"/changes", map[string]any{"change": "CHG-999999"}); r.status != 422 || r.errorFields(t)["change"] == nil {
			t.Fatalf("unknown change: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "DELETE", fmt.Sprintf("/api/v1/releases/%s/changes/CHG-%06d", num, chg), nil); r.status != 200 || len(r.json(t)["changes"].([]any)) != 0 {
			t.Fatalf("remove change: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "DELETE", fmt.Sprintf("/api/v1/releases/%s/changes/%d", num, chg), nil); r.status != 404 {
			t.Fatalf("removing a change not in the release: %d", r.status)
		}
		if r := s.do("admin", "POST", "/api/v1/releases/"+num+"/changes", map[string]any{"change": fmt.Sprint(chg)}); r.status != 200 || len(r.json(t)["changes"].([]any)) != 1 {
			t.Fatalf("add change: %d %s", r.status, r.body)
		}

		// No deployment before testing.
		dep := map[string]any{"environment": "test", "ci_id": ci, "version": "4.2.0-rc1"}
		if r := s.do("admin", "POST", "/api/v1/releases/"+num+"/deployments", dep); r.status != http.StatusConflict {
			t.Fatalf("deployment while building: %d %s", r.status, r.body)
		}
		s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "testing"})
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"environment": "Prod!", "ci_id": ci, "version": "1"}, "environment"},
			{map[string]any{"environment": "test", "ci_id": 999999, "version": "1"}, "ci_id"},
			{map[string]any{"environment": "test", "ci_id": ci, "version": ""}, "version"},
			{map[string]any{"environment": "test", "ci_id": ci, "version": "1", "deployed_at": "2999-01-01T00:00:00Z"}, "deployed_at"},
		} {
			r := s.do("admin", "POST", "/api/v1/releases/"+num+"/deployments", c.body)
			if r.status != 422 || r.errorFields(t)[c.field] == nil {
				t.Fatalf("%v: %d %s, want 422 naming %s", c.body, r.status, r.body, c.field)
			}
		}
		r = s.do("admin", "POST", "/api/v1/releases/"+num+"/deployments", dep)
		if r.status != http.StatusCreated || r.json(t)["verification"] != "pending" {
			t.Fatalf("deploy to test: %d %s", r.status, r.body)
		}
		testDep := fmt.Sprintf("/api/v1/releases/%s/deployments/%v", num, r.json(t)["id"])
		if r := s.do("admin", "PATCH", testDep, map[string]any{"verification": "maybe"}); r.status != 422 || r.errorFields(t)["verification"] == nil {
			t.Fatalf("verification maybe: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", testDep, map[string]any{"verification": "passed", "verification_notes": "Smoke tests green."}); r.status != 200 || r.json(t)["verification"] != "passed" {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", testDep, map[string]any{"verification": "failed"}); r.status != http.StatusConflict {
			t.Fatalf("second verification: %d %s", r.status, r.body)
		}

		// Deploying needs the acceptance criteria and the test results.
		r = s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "deploying"})
		if f := r.errorFields(t); r.status != 422 || f["acceptance_criteria"] == nil || f["test_results"] == nil {
			t.Fatalf("deploying without tests: %d %s", r.status, r.body)
		}
		r = s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "deploying", "acceptance_criteria": "Search under 1 s.", "test_results": "42 of 42 passed."})
		if r.status != 200 || r.json(t)["state"] != "deploying" {
			t.Fatalf("to deploying: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "POST", "/api/v1/releases/"+num+"/changes", map[string]any{"change": fmt.Sprint(chg)}); r.status != http.StatusConflict {
			t.Fatalf("scope changed while deploying: %d", r.status)
		}
		r = s.do("admin", "POST", "/api/v1/releases/"+num+"/deployments", map[string]any{"environment": "production", "ci_id": ci2, "version": "4.2.0"})
		prodDep := fmt.Sprintf("/api/v1/releases/%s/deployments/%v", num, r.json(t)["id"])
		s.do("admin", "PATCH", prodDep, map[string]any{"verification": "failed", "verification_notes": "Login loops."})
		s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "deployed"})

		// Closing needs the failed deployment rolled back.
		r = s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "closed"})
		if r.status != http.StatusConflict || !strings.Contains(string(r.body), "rollback") {
			t.Fatalf("closing with a failed deployment: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", prodDep, map[string]any{"rollback_reason": " "}); r.status != 422 || r.errorFields(t)["rollback_reason"] == nil {
			t.Fatalf("rollback without a reason: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", prodDep, map[string]any{"rollback_reason": "Login loops", "rolled_back_at": "2000-01-01T00:00:00Z"}); r.status != 422 || r.errorFields(t)["rolled_back_at"] == nil {
			t.Fatalf("rollback before the deployment: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", prodDep, map[string]any{"rollback_reason": "Login loops; back to 4.1."}); r.status != 200 || r.json(t)["rolled_back_at"] == nil {
			t.Fatalf("rollback: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", prodDep, map[string]any{"rollback_reason": "again"}); r.status != http.StatusConflict {
			t.Fatalf("second rollback: %d", r.status)
		}
		if r := s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"state": "closed"}); r.status != 200 || r.json(t)["closed_at"] == nil {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
		if r := s.do("admin", "PATCH", "/api/v1/releases/"+num, map[string]any{"title": "Renamed"}); r.status != http.StatusConflict {
			t.Fatalf("changing a closed release: %d", r.status)
		}

		// The CIs' history shows which release deployed what.
		r = s.do("agent", "GET", fmt.Sprintf("/api/v1/cis/%d/deployments", ci2), nil)
		items := r.json(t)["items"].([]any)
		if r.status != 200 || len(items) != 1 {
			t.Fatalf("CI deployments: %d %s", r.status, r.body)
		}
		d := items[0].(map[string]any)
		if d["release_number"] != num || d["version"] != "4.2.0" || d["environment"] != "production" || d["rollback_reason"] != "Login loops; back to 4.1." {
			t.Fatalf("CI deployment %v", d)
		}
		if r := s.do("agent", "GET", "/api/v1/cis/999999/deployments", nil); r.status != 404 {
			t.Fatalf("deployments of a missing CI: %d", r.status)
		}
		if r := s.do("requester", "GET", fmt.Sprintf("/api/v1/cis/%d/deployments", ci), nil); r.status != 403 {
			t.Fatalf("requester read a CI's deployments: %d", r.status)
		}
		if r := s.do("auditor", "GET", "/api/v1/releases/"+num+"/journal", nil); r.status != 200 || len(r.json(t)["items"].([]any)) < 10 {
			t.Fatalf("journal: %d %s", r.status, r.body)
		}
	})
}

// The release schemas say what the server writes and reads.
func TestOpenAPIReleaseSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{"Release": release.Release{}, "ReleaseDetail": release.Detail{},
		"Deployment": release.Deployment{}, "ReleaseChange": release.Change{}} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) || !slices.Equal(required, always) {
			t.Errorf("schema %s: properties %v required %v; the type encodes %v, always %v", name, props, required, all, always)
		}
	}
	for name, v := range map[string]any{"NewRelease": release.NewRelease{}, "ReleasePatch": release.Patch{},
		"NewDeployment": release.NewDeployment{}, "DeploymentPatch": release.DeploymentPatch{}} {
		want, _ := oaJSONFields(reflect.TypeOf(v))
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) || !closed {
			t.Errorf("schema %s: properties %v (closed %v), the server reads %v", name, props, closed, want)
		}
	}
}
