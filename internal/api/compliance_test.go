package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/clauses"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Administrators and auditors read readiness; only administrators run an
// evaluation; agents and requesters are refused everything.
func TestCompliancePermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		reads := []string{"/api/v1/compliance/clauses", "/api/v1/compliance/snapshots", "/api/v1/compliance/standards", "/api/v1/compliance/mapping"}
		for _, path := range reads {
			for role, want := range map[string]int{"admin": 200, "auditor": 200, "agent": 403, "requester": 403, "": 401} {
				if r := s.do(role, "GET", path, nil); r.status != want {
					t.Errorf("%s GET %s: %d, want %d", role, path, r.status, want)
				}
			}
		}
		for role, want := range map[string]int{"auditor": 403, "agent": 403, "requester": 403, "": 401, "admin": 201} {
			if r := s.do(role, "POST", "/api/v1/compliance/evaluate", nil); r.status != want {
				t.Errorf("%s POST evaluate: %d, want %d", role, r.status, want)
			}
		}
		snaps := s.do("admin", "GET", "/api/v1/compliance/snapshots", nil).json(t)["items"].([]any)
		id := int64(snaps[0].(map[string]any)["id"].(float64))
		path := fmt.Sprintf("/api/v1/compliance/snapshots/%d", id)
		for role, want := range map[string]int{"admin": 200, "auditor": 200, "agent": 403, "requester": 403} {
			if r := s.do(role, "GET", path, nil); r.status != want {
				t.Errorf("%s GET %s: %d, want %d", role, path, r.status, want)
			}
		}
	})
}

// The clause list names every clause of the outline with a status; on a
// new database that is no data everywhere, from a snapshot it took itself,
// and a second read answers from the same snapshot.
func TestComplianceClauses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		r := s.do("auditor", "GET", "/api/v1/compliance/clauses", nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		body := r.json(t)
		items := body["items"].([]any)
		std, _ := clauses.Get(clauses.Primary)
		if len(items) != len(std.Clauses) || body["standard"] != clauses.Primary || body["score"].(float64) != 0 {
			t.Fatalf("%d items for %v, score %v", len(items), body["standard"], body["score"])
		}
		seen := map[string]bool{}
		for _, it := range items {
			c := it.(map[string]any)
			seen[c["clause"].(string)] = true
			if c["status"] != "no_data" {
				t.Errorf("clause %v is %v on an empty database", c["clause"], c["status"])
			}
		}
		for _, n := range []string{"4.1", "5.2", "6.1", "7.5", "8.2.6", "8.5.1", "8.6.1", "8.7.2", "9.2", "10.1"} {
			if !seen[n] {
				t.Errorf("clause %s is missing", n)
			}
		}
		again := s.do("admin", "GET", "/api/v1/compliance/clauses", nil).json(t)
		if again["snapshot_id"] != body["snapshot_id"] {
			t.Errorf("second read from snapshot %v, first %v", again["snapshot_id"], body["snapshot_id"])
		}
		if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM compliance_snapshots WHERE origin = 'schedule' AND taken_by IS NULL`); n != 1 {
			t.Errorf("%d snapshots taken for the first read", n)
		}
		if r := s.do("admin", "GET", "/api/v1/compliance/clauses?standard=iso9999", nil); r.status != 400 || r.errorFields(t)["standard"] == nil {
			t.Errorf("unknown standard: %d %s", r.status, r.body)
		}
	})
}

// Evaluating picks up what was recorded since the last snapshot, and the
// snapshot list pages newest first.
func TestComplianceEvaluate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		first := s.do("admin", "POST", "/api/v1/compliance/evaluate", nil)
		if first.status != 201 || !strings.HasPrefix(first.header.Get("Location"), "/api/v1/compliance/snapshots/") {
			t.Fatalf("%d %s", first.status, first.body)
		}
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			now := time.Now()
			_, err := tx.Exec(ctx, `INSERT INTO nonconformities (title, state, due_on, raised_on, created_at, updated_at) VALUES ('Overdue', 'open', ?, ?, ?, ?)`,
				now.AddDate(0, 0, -3).Format("2006-01-02"), now.AddDate(0, 0, -30).Format("2006-01-02"), store.TS(now), store.TS(now))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r := s.do("admin", "POST", "/api/v1/compliance/evaluate?standard=iso9001", nil)
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		snap := r.json(t)
		if snap["origin"] != "manual" || snap["taken_by"].(float64) != float64(s.users["admin"]) || snap["standard"] != "iso9001" {
			t.Errorf("snapshot %v by %v of %v", snap["origin"], snap["taken_by"], snap["standard"])
		}
		body := s.do("auditor", "GET", "/api/v1/compliance/clauses?standard=iso9001", nil).json(t)
		var nc map[string]any
		for _, it := range body["items"].([]any) {
			if c := it.(map[string]any); c["clause"] == "10.2" {
				nc = c
			}
		}
		if nc == nil || nc["status"] != "not_met" {
			t.Fatalf("ISO 9001 10.2 with an overdue nonconformity: %v", nc)
		}
		for i := 0; i < 2; i++ {
			s.do("admin", "POST", "/api/v1/compliance/evaluate", nil)
		}
		page := s.do("auditor", "GET", "/api/v1/compliance/snapshots?limit=2", nil).json(t)
		items := page["items"].([]any)
		if len(items) != 2 || page["next_before"] == nil {
			t.Fatalf("first page %v", page)
		}
		next := s.do("auditor", "GET", "/api/v1/compliance/snapshots?limit=2&before="+page["next_before"].(string), nil).json(t)
		if rest := next["items"].([]any); len(rest) != 1 || rest[0].(map[string]any)["id"] == items[1].(map[string]any)["id"] {
			t.Errorf("second page %v", next)
		}
		if r := s.do("auditor", "GET", "/api/v1/compliance/snapshots/999999", nil); r.status != http.StatusNotFound {
			t.Errorf("missing snapshot: %d", r.status)
		}
	})
}

// The catalogue lists the four standards, and the mapping sends
// nonconformity to each standard's own number.
func TestComplianceStandardsAndMapping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		items := s.do("auditor", "GET", "/api/v1/compliance/standards", nil).json(t)["items"].([]any)
		ids := []string{}
		for _, it := range items {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		if strings.Join(ids, ",") != "iso20000-1,iso22301,iso27001,iso9001" {
			t.Errorf("standards %v", ids)
		}
		m := s.do("auditor", "GET", "/api/v1/compliance/mapping", nil).json(t)
		targets := m["targets"].(map[string]any)
		if got := targets["iso27001"].(map[string]any)["10.2"].([]any); len(got) != 1 || got[0] != "10.1" {
			t.Errorf("ISO/IEC 27001 10.2 maps from %v", got)
		}
	})
}
