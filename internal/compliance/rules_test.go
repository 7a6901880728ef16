package compliance

import (
	"context"
	"testing"
	"time"

	"steward/internal/clauses"
	"steward/internal/jobs"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Every leaf clause of ISO/IEC 20000-1 has at least one evidence rule, and
// every rule says what to do when it is not met.
func TestEveryLeafHasARule(t *testing.T) {
	std, _ := clauses.Get(clauses.Primary)
	have := map[string]int{}
	for _, r := range Rules(clauses.Primary) {
		have[r.Clause]++
		if r.Todo == "" {
			t.Errorf("rule %s has no todo", r.ID)
		}
	}
	for _, c := range std.Leaves() {
		if have[c.Number] == 0 {
			t.Errorf("clause %s %s has no evidence rule", c.Number, c.Title)
		}
	}
}

// An empty database is no evidence: every rule says no data, none fails,
// and the score is 0.
func TestEmptyDatabaseIsNoData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ev, err := Evaluate(context.Background(), e.DB, clauses.Primary, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ev.Clauses {
			for _, r := range c.Rules {
				if r.Status != NoData || r.Error != "" {
					t.Errorf("rule %s: %s %q %s", r.ID, r.Status, r.Summary, r.Error)
				}
				if r.Summary == "" {
					t.Errorf("rule %s has no summary", r.ID)
				}
			}
		}
		if ev.Score != 0 || ev.Counts[Met] != 0 {
			t.Errorf("score %v counts %v", ev.Score, ev.Counts)
		}
	})
}

// Another standard is judged through the mapping: its clauses carry the
// results of the ISO/IEC 20000-1 rules mapped to them, nonconformity and
// improvement land on their own numbers, and a database without records
// is no evidence there either.
func TestMappedStandard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		base(t, e.DB)
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO nonconformities (title, state, due_on, raised_on, created_at, updated_at) VALUES ('Late', 'open', ?, ?, ?, ?)`, dt(-5), dt(-60), ts(-60), ts(-60))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ std, clause string }{{"iso9001", "10.2"}, {"iso27001", "10.2"}, {"iso22301", "10.1"}} {
			ev, err := Evaluate(ctx, e.DB, c.std, now)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := ev.Clause(c.clause)
			if !ok || got.Status != NotMet {
				t.Errorf("%s %s: %+v", c.std, c.clause, got)
				continue
			}
			var found bool
			for _, r := range got.Rules {
				found = found || (r.ID == "10.1-ncs-on-time" && r.SourceClause == "10.1")
			}
			if !found {
				t.Errorf("%s %s does not carry the nonconformity rule: %+v", c.std, c.clause, got.Rules)
			}
			if imp, _ := ev.Clause(map[string]string{"iso9001": "10.3", "iso27001": "10.1", "iso22301": "10.2"}[c.std]); imp.Status != NoData {
				t.Errorf("%s improvement clause %s is %s without improvements", c.std, imp.Clause, imp.Status)
			}
			if ev.Standard != c.std || ev.Score != 0 {
				t.Errorf("%s evaluated as %s with score %v", c.std, ev.Standard, ev.Score)
			}
		}
	})
}

// The daily job keeps one snapshot of every standard in the catalogue,
// taken by the schedule on nobody's behalf.
func TestDailySnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		if err := DailySnapshots(e.DB)(context.Background(), jobs.Job{}); err != nil {
			t.Fatal(err)
		}
		for _, s := range clauses.All() {
			if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM compliance_snapshots WHERE standard = ? AND origin = 'schedule' AND taken_by IS NULL`, s.ID); n != 1 {
				t.Errorf("%s: %d snapshots", s.ID, n)
			}
		}
	})
}
