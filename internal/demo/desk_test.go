package demo_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/demo"
	"steward/internal/incident"
	"steward/internal/store/storetest"
)

// A desk seed looks like a desk that has run for a year: nearly everything
// closed, a few large groups and many small ones, and in every group a
// handful of new incidents nobody has picked up, some of them old.
func TestSeedDesk(t *testing.T) {
	e := storetest.SQLite(t)
	ctx := context.Background()
	svc := incident.NewService(e.DB, 7*24*time.Hour)
	const n = 20000
	if err := demo.SeedDesk(ctx, e.DB, svc, n, nil); err != nil {
		t.Fatal(err)
	}
	var total, closed, groups, largest int
	e.DB.QueryRow(ctx, "SELECT COUNT(*), SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END) FROM incidents").Scan(&total, &closed)
	e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM support_groups").Scan(&groups)
	e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM incidents GROUP BY group_id ORDER BY COUNT(*) DESC LIMIT 1").Scan(&largest)
	if total != n+200 || closed < total*93/100 || closed > total*98/100 {
		t.Errorf("%d of %d incidents closed, want about 95%%", closed, total)
	}
	if groups != 16 || largest < total/4 {
		t.Errorf("%d groups, the largest with %d of %d incidents", groups, largest, total)
	}
	rows, err := e.DB.Query(ctx, `SELECT g.id, COUNT(i.id), MIN(i.created_at) FROM support_groups g
		LEFT JOIN incidents i ON i.group_id = g.id AND i.state = 'new' AND i.assignee_id IS NULL
		GROUP BY g.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	monthAgo := time.Now().AddDate(0, -1, 0).UTC().Format(time.RFC3339)
	old := 0
	for rows.Next() {
		var g int64
		var waiting int
		var first *string
		if err := rows.Scan(&g, &waiting, &first); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 {
			t.Errorf("group %d has no new, unassigned incidents", g)
		}
		if first != nil && *first < monthAgo {
			old++
		}
	}
	if old == 0 {
		t.Error("no group has an unassigned incident older than a month")
	}
}
