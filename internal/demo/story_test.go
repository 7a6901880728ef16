package demo_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/config"
	"steward/internal/store/storetest"
)

// loadAll loads the whole demo as serve --demo does and logs how long it took.
func loadAll(t *testing.T) storetest.Engine {
	e := storetest.SQLite(t)
	ctx := context.Background()
	a := app.New(config.Config{AutoCloseAfter: 7 * 24 * time.Hour}, e.DB, slog.New(slog.DiscardHandler))
	start := time.Now()
	if err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("the demo loaded in %s", time.Since(start).Round(time.Millisecond))
	return e
}

// The demo desk reads like a real one: open incidents tell apart by their
// titles, descriptions vary, and every comment is written by the
// incident's requester, an agent of a group or the SLA system.
func TestDemoStory(t *testing.T) {
	e := loadAll(t)
	ctx := context.Background()

	open := map[string]string{}
	rows, err := e.DB.Query(ctx, "SELECT id, title FROM incidents WHERE state NOT IN ('resolved', 'closed')")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var number, title string
		if err := rows.Scan(&number, &title); err != nil {
			t.Fatal(err)
		}
		if other, ok := open[title]; ok {
			t.Errorf("open incidents %s and %s share the title %q", other, number, title)
		}
		open[title] = number
	}
	rows.Close()
	if len(open) < 10 {
		t.Errorf("only %d open incidents", len(open))
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(DISTINCT description) FROM incidents"); n < 60 {
		t.Errorf("%d different descriptions among the demo's incidents", n)
	}

	rows, err = e.DB.Query(ctx, `SELECT i.id, j.author_name, j.author_id, i.requester_id, u.role
		FROM incident_journal j JOIN incidents i ON i.id = j.incident_id LEFT JOIN users u ON u.id = j.author_id
		WHERE j.kind IN ('comment', 'work_note')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	comments := 0
	for rows.Next() {
		var number, author string
		var authorID, requester *int64
		var role *string
		if err := rows.Scan(&number, &author, &authorID, &requester, &role); err != nil {
			t.Fatal(err)
		}
		comments++
		switch {
		case authorID == nil: // the system, such as the SLA engine
		case requester != nil && *authorID == *requester:
		case role != nil && *role == "agent":
		default:
			t.Errorf("%s has a comment by %s, neither its requester nor an agent", number, author)
		}
	}
	if comments < 100 {
		t.Errorf("only %d comments and work notes", comments)
	}
	// Some open incidents are overdue, so the desk has something to chase.
	if n := storetest.Count(t, e.DB, `SELECT COUNT(DISTINCT ticket_id) FROM sla_timers
		WHERE ticket_kind = 'incident' AND stopped_at IS NULL AND state = 'breached'`); n == 0 {
		t.Error("no open incident is past its target")
	}
	// Agents work what their groups are given.
	if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM incidents i WHERE i.assignee_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = i.group_id AND m.user_id = i.assignee_id)`); n > 0 {
		t.Errorf("%d incidents are assigned to an agent outside their group", n)
	}
}

// The demo's configuration stands for its catalogue: a business service
// CI per live service, with applications named after it, incidents linked
// to the CIs of their own service, and an asset register with warranties
// and licences ending soon.
func TestDemoConfiguration(t *testing.T) {
	e := loadAll(t)
	ctx := context.Background()
	live := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM services WHERE status = 'live'")
	standing := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM cis c JOIN services s ON s.id = c.service_id
		JOIN ci_types t ON t.id = c.type_id WHERE t.name = 'Business service' AND c.name = s.name`)
	if standing != live {
		t.Errorf("%d of %d live services have a business service CI of their name", standing, live)
	}
	apps := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM cis c JOIN ci_types t ON t.id = c.type_id
		JOIN services s ON c.name LIKE s.name || ' %' WHERE t.name = 'Application'`)
	if apps < live*3 {
		t.Errorf("%d applications named after a service, want %d", apps, live*3)
	}
	// A linked CI is the incident's service or one it depends on.
	linked := storetest.Count(t, e.DB, `SELECT COUNT(DISTINCT l.record_id) FROM record_cis l JOIN incidents i ON i.id = l.record_id
		JOIN cis b ON b.service_id = i.service_id
		WHERE l.kind = 'incident' AND (l.ci_id = b.id OR l.ci_id IN (SELECT target_id FROM ci_relationships WHERE source_id = b.id))`)
	stray := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM record_cis l JOIN incidents i ON i.id = l.record_id
		WHERE l.kind = 'incident' AND NOT EXISTS (SELECT 1 FROM cis b WHERE b.service_id = i.service_id
			AND (l.ci_id = b.id OR l.ci_id IN (SELECT target_id FROM ci_relationships WHERE source_id = b.id)))`)
	if linked < 100 || stray > 0 {
		t.Errorf("%d incidents link CIs of their service, %d links go elsewhere", linked, stray)
	}

	soon := time.Now().UTC().AddDate(0, 0, 60).Format(time.DateOnly)
	today := time.Now().UTC().Format(time.DateOnly)
	var warranties, licences int
	e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM assets WHERE warranty_end BETWEEN ? AND ?", today, soon).Scan(&warranties)
	e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM assets WHERE licence_end BETWEEN ? AND ?", today, soon).Scan(&licences)
	if warranties == 0 || licences == 0 {
		t.Errorf("%d warranties and %d licences end within 60 days", warranties, licences)
	}
}
