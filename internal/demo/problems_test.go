package demo_test

import (
	"context"
	"testing"

	"steward/internal/store/storetest"
)

// The demo shows problem management in use: problems in several states,
// one known error with its workaround, each linked to incidents it explains.
func TestDemoProblems(t *testing.T) {
	e := loadAll(t)
	ctx := context.Background()
	states := map[string]int{}
	rows, err := e.DB.Query(ctx, `SELECT state, (SELECT COUNT(*) FROM record_links l WHERE l.to_kind = 'problem' AND l.to_id = p.id
		AND l.type = 'caused_by') FROM problems p`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var linked int
		if err := rows.Scan(&st, &linked); err != nil {
			t.Fatal(err)
		}
		if linked == 0 {
			t.Errorf("a %s problem explains no incident", st)
		}
		states[st]++
	}
	for _, st := range []string{"new", "investigating", "known_error", "resolved", "closed"} {
		if states[st] == 0 {
			t.Errorf("no %s problem in the demo: %v", st, states)
		}
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM problems WHERE state = 'known_error' AND workaround <> '' AND root_cause <> ''"); n != 1 {
		t.Errorf("%d known errors with root cause and workaround, want 1", n)
	}
}
