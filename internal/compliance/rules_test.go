package compliance

import (
	"context"
	"testing"
	"time"

	"steward/internal/clauses"
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
