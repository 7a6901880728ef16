package storetest

import (
	"context"
	"strings"
	"testing"

	"steward/internal/store"
)

// deskIncidentStats are the sqlite_stat1 rows of incidents that ANALYZE
// writes after `steward seed --incidents 100000 --desk`: 100,200
// incidents, five priorities, five states of which resolved and closed
// are 97,077, and 3,123 open.
var deskIncidentStats = [][2]string{
	{"incidents_created", "100200 1 1"},
	{"incidents_updated", "100200 1 1"},
	{"incidents_state", "100200 20040 1 1"},
	{"incidents_priority", "100200 20040 1"},
	{"incidents_group", "100200 6263 1 1"},
	{"incidents_assignee", "100200 14315 1 1"},
	{"incidents_customer", "100200 33400 1 1"},
	{"incidents_requester", "100200 16700 1 1"},
	{"incidents_category", "100200 14315 1 1"},
	{"incidents_service", "100200 9110 1 1"},
	{"incidents_open_updated", "3123 1 1 1 1 1 1"},
	{"incidents_open_created", "3123 1 1 1 1 1 1"},
	{"incidents_open_priority", "3123 625 1 1 1 1"},
	{"incidents_open_unassigned", "560 35 1 1"},
	{"incidents_open_major", "33 1 1"},
	{"incidents_major_resolved", "1355 1"},
	{"incidents_resolved", "97077 1"},
	{"incidents_unresolved", "3123 1"},
}

// DeskIncidentStats gives SQLite's planner the statistics of a desk of
// 100,000 incidents, so that a test on a few rows sees the plans a
// running desk gets.
func DeskIncidentStats(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Exec(ctx, "ANALYZE"); err != nil { // creates sqlite_stat1
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "DELETE FROM sqlite_stat1 WHERE tbl = 'incidents'"); err != nil {
		t.Fatal(err)
	}
	for _, s := range deskIncidentStats {
		if _, err := db.Exec(ctx, "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('incidents', ?, ?)", s[0], s[1]); err != nil {
			t.Fatal(err)
		}
	}
	// A schema change makes every pooled connection reload the schema,
	// and the statistics with it.
	for _, q := range []string{"CREATE TABLE stats_reload (x)", "DROP TABLE stats_reload"} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// Plan is SQLite's query plan for q, one step a line, each indented under
// its parent, as the sqlite3 shell prints EXPLAIN QUERY PLAN.
func Plan(t testing.TB, db *store.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.Query(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	depth := map[int]int{}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		depth[id] = depth[parent] + 1
		b.WriteString(strings.Repeat("  ", depth[id]-1) + detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
