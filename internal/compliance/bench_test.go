package compliance

import (
	"context"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"steward/internal/clauses"
	"steward/internal/store"
)

// BenchmarkEvaluate evaluates every evidence rule of ISO/IEC 20000-1 over
// a SQLite database of STEWARD_BENCH_COMPLIANCE_INCIDENTS incidents
// (default 1,000,000) and as many CIs, with proportional changes,
// problems, requests, SLA timers, CI history and management-system
// records, spread over the two years before the evaluation. It is large,
// so it runs only when STEWARD_BENCH_COMPLIANCE=1; the data is kept in
// STEWARD_BENCH_COMPLIANCE_DIR when set and reused by the next run.
//
//	STEWARD_BENCH_COMPLIANCE=1 go test ./internal/compliance/ -run '^$' -bench BenchmarkEvaluate -benchtime 3x
func BenchmarkEvaluate(b *testing.B) {
	if os.Getenv("STEWARD_BENCH_COMPLIANCE") != "1" {
		b.Skip("set STEWARD_BENCH_COMPLIANCE=1 to build a database of a million incidents and CIs")
	}
	ctx := context.Background()
	dir := os.Getenv("STEWARD_BENCH_COMPLIANCE_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("STEWARD_BENCH_COMPLIANCE_INCIDENTS")); err == nil && v > 0 {
		n = v
	}
	var have int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have == 0 {
		start := time.Now()
		if err := seedBench(ctx, db, n); err != nil {
			b.Fatal(err)
		}
		if err := db.Optimize(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %d incidents and CIs in %s", n, time.Since(start).Round(time.Second))
	}
	at := benchAt()
	// The slowest rules, once, so a regression points at its rule.
	var took []struct {
		id string
		d  time.Duration
	}
	err = db.InReadTx(ctx, func(rt *store.ReadTx) error {
		for _, r := range Rules(clauses.Primary) {
			start := time.Now()
			if _, err := r.Eval(ctx, Input{Q: rt, Now: at}); err != nil {
				return err
			}
			took = append(took, struct {
				id string
				d  time.Duration
			}{r.ID, time.Since(start)})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	sort.Slice(took, func(i, j int) bool { return took[i].d > took[j].d })
	for _, t := range took[:8] {
		b.Logf("%-34s %s", t.id, t.d.Round(time.Millisecond))
	}
	b.ResetTimer()
	for b.Loop() {
		ev, err := Evaluate(ctx, db, clauses.Primary, at)
		if err != nil {
			b.Fatal(err)
		}
		if ev.Counts[Met]+ev.Counts[PartlyMet]+ev.Counts[NotMet] == 0 {
			b.Fatal("the benchmark data judged nothing")
		}
	}
}

// benchAt is the instant the benchmark evaluates at: the end of its data.
func benchAt() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// seedBench writes the benchmark's records with set-based SQL (SQLite).
func seedBench(ctx context.Context, db *store.DB, n int) error {
	// ago(expr) is a timestamp expr minutes before the benchmark's end, in
	// the stored layout.
	const end = "'2026-12-01 00:00:00'"
	ago := func(minutes string) string {
		return "strftime('%Y-%m-%dT%H:%M:%S', " + end + ", printf('%d minutes', -(" + minutes + "))) || '.000000Z'"
	}
	day := func(days string) string {
		return "date(" + end + ", (" + days + ") || ' days')"
	}
	seq := func(count int) string {
		return "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < " + strconv.Itoa(count) + ") "
	}
	const span = 2 * 365 * 24 * 60 // two years in minutes
	changes, problems, requests := n/10, n/50, n/5
	stmts := []string{
		`INSERT INTO users (email, name, role, created_at, updated_at) VALUES ('admin@bench.test', 'Admin', 'admin', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')`,
		seq(60) + `INSERT INTO users (email, name, role, created_at, updated_at) SELECT 'agent' || i || '@bench.test', 'Agent ' || i, 'agent', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z' FROM s`,
		seq(10) + `INSERT INTO support_groups (name, created_at, updated_at) SELECT 'Group ' || i, '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z' FROM s`,
		seq(40) + `INSERT INTO services (name, status, criticality, owner_id, support_group_id, description, hours, created_at, updated_at)
			SELECT 'Service ' || i, CASE WHEN i % 10 = 0 THEN 'pipeline' ELSE 'live' END, 'medium', CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + i % 60 END,
			1 + i % 10, 'Service', '24x7', ` + ago("(i * 9000)") + `, ` + ago("(i * 9000)") + ` FROM s`,
		`INSERT INTO catalog_items (service_id, name, group_id, created_at, updated_at) SELECT id, 'Item for ' || name, support_group_id, created_at, created_at FROM services`,
		// Incidents over two years: nearly all resolved, 3% without a category, one in 500 major.
		seq(n) + `INSERT INTO incidents (title, impact, urgency, priority, state, category, major, group_id, service_id, resolved_at, closed_at, created_at, updated_at)
			SELECT 'Incident ' || i, 'medium', 'medium', 1 + i % 4, CASE WHEN i % 40 = 0 THEN 'in_progress' ELSE 'closed' END,
			CASE WHEN i % 33 = 0 THEN '' ELSE 'category ' || (i % 25) END, i % 500 = 0, 1 + i % 10, 1 + i % 40,
			CASE WHEN i % 40 = 0 THEN NULL ELSE ` + ago("(i * 997) % "+strconv.Itoa(span)+" - 240") + ` END, NULL,
			` + ago("(i * 997) % "+strconv.Itoa(span)) + `, ` + ago("(i * 997) % "+strconv.Itoa(span)) + ` FROM s`,
		`INSERT INTO agreements (kind, name, supplier_name, review_date, created_at, updated_at) VALUES
			('sla', 'Gold', '', '2027-03-01', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z'),
			('sla', 'Silver', '', '2026-10-01', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z'),
			('uc', 'Hosting contract', 'Hoster', '2027-01-01', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')`,
		`INSERT INTO sla_definitions (agreement_id, name, applies_to, metric, created_at, updated_at) SELECT id, name || ' resolution', 'incident', 'resolution', created_at, created_at FROM agreements`,
		// One resolution clock per resolved incident, 92% met.
		`INSERT INTO sla_timers (ticket_kind, ticket_id, definition_id, agreement_id, metric, cycle, goal, calendar_id, target_seconds, state, running, started_at, stopped_at, decided_at, updated_at)
			SELECT 'incident', i.id, 1 + i.id % 2, 1 + i.id % 2, 'resolution', 1, 0, 1, 28800, CASE WHEN i.id % 25 < 2 THEN 'breached' ELSE 'met' END, FALSE,
			i.created_at, i.resolved_at, i.resolved_at, i.resolved_at FROM incidents i WHERE i.resolved_at IS NOT NULL`,
		seq(requests) + `INSERT INTO requests (title, requester_id, service_id, item_id, priority, state, created_at, updated_at, fulfilled_at)
			SELECT 'Request ' || i, 1 + i % 60, 1 + i % 40, 1 + i % 40, 3, 'closed', ` + ago("(i * 991) % "+strconv.Itoa(span)) + `, ` + ago("(i * 991) % "+strconv.Itoa(span)) + `, ` + ago("(i * 991) % "+strconv.Itoa(span)+" - 600") + ` FROM s`,
		`INSERT INTO sla_timers (ticket_kind, ticket_id, definition_id, agreement_id, metric, cycle, goal, calendar_id, target_seconds, state, running, started_at, stopped_at, decided_at, updated_at)
			SELECT 'request', r.id, 1, 1, 'resolution', 1, 0, 1, 86400, CASE WHEN r.id % 20 = 0 THEN 'breached' ELSE 'met' END, FALSE,
			r.created_at, r.fulfilled_at, r.fulfilled_at, r.fulfilled_at FROM requests r`,
		// A million CIs: most in use, one in twelve without owner or group.
		seq(n) + `INSERT INTO cis (type_id, name, status, owner_id, group_id, created_at, updated_at)
			SELECT 1 + i % 11, 'ci-' || i, CASE WHEN i % 20 = 0 THEN 'retired' ELSE 'in_use' END, NULL, CASE WHEN i % 12 = 0 THEN NULL ELSE 1 + i % 10 END,
			'2024-06-01T00:00:00.000000Z', '2024-06-01T00:00:00.000000Z' FROM s`,
		seq(n) + `INSERT INTO ci_history (ci_id, at, actor_name, action) SELECT i, '2024-06-01T00:00:00.000000Z', 'Import', 'create' FROM s`,
		seq(n/5) + `INSERT INTO ci_history (ci_id, at, actor_name, action, field, change_ref)
			SELECT 1 + (i * 7) % ` + strconv.Itoa(n) + `, ` + ago("(i * 613) % "+strconv.Itoa(span)) + `, 'Agent', 'update', 'status', CASE WHEN i % 3 = 0 THEN '' ELSE 'CHG-' || i END FROM s`,
		seq(n/100) + `INSERT INTO assets (ci_id, licence_end, created_at, updated_at) SELECT i * 97, CASE WHEN i % 4 = 0 THEN '2027-06-30' ELSE NULL END, '2024-06-01T00:00:00.000000Z', '2024-06-01T00:00:00.000000Z' FROM s`,
		seq(changes) + `INSERT INTO changes (title, type, state, approved_at, actual_start, actual_end, test_plan, backout_plan, outcome, review, created_at, updated_at)
			SELECT 'Change ' || i, CASE WHEN i % 12 = 0 THEN 'emergency' WHEN i % 3 = 0 THEN 'standard' ELSE 'normal' END, 'closed',
			CASE WHEN i % 50 = 0 THEN NULL ELSE ` + ago("(i * 983) % "+strconv.Itoa(span)+" + 60") + ` END,
			` + ago("(i * 983) % "+strconv.Itoa(span)) + `, ` + ago("(i * 983) % "+strconv.Itoa(span)+" - 60") + `,
			'Test', CASE WHEN i % 15 = 0 THEN '' ELSE 'Back out' END, CASE WHEN i % 14 = 0 THEN 'failed' ELSE 'successful' END,
			CASE WHEN i % 28 = 0 THEN 'Reviewed' ELSE '' END,
			` + ago("(i * 983) % "+strconv.Itoa(span)+" + 2000") + `, ` + ago("(i * 983) % "+strconv.Itoa(span)) + ` FROM s`,
		`INSERT INTO change_services (change_id, service_id) SELECT id, 1 + id % 40 FROM changes WHERE id % 5 = 0`,
		seq(problems) + `INSERT INTO problems (title, state, root_cause, workaround, known_error_at, resolved_at, created_at, updated_at)
			SELECT 'Problem ' || i, CASE i % 5 WHEN 0 THEN 'investigating' WHEN 1 THEN 'known_error' ELSE 'closed' END,
			CASE WHEN i % 5 IN (1, 2, 3) THEN 'Cause' ELSE '' END, CASE WHEN i % 5 = 1 THEN 'Restart' ELSE '' END,
			NULL, CASE WHEN i % 5 IN (2, 3, 4) THEN ` + ago("(i * 977) % "+strconv.Itoa(span)) + ` END,
			` + ago("(i * 977) % "+strconv.Itoa(span)+" + 5000") + `, ` + ago("(i * 977) % "+strconv.Itoa(span)) + ` FROM s`,
		`INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_at)
			SELECT 'incident', id, 'caused_by', 'problem', 1 + id % ` + strconv.Itoa(problems) + `, created_at FROM incidents WHERE id % 20 = 0 OR major`,
		seq(n/500) + `INSERT INTO releases (title, type, state, acceptance_criteria, test_results, created_at, updated_at)
			SELECT 'Release ' || i, 'minor', 'closed', 'Criteria', CASE WHEN i % 9 = 0 THEN '' ELSE 'Passed' END, ` + ago("(i * 4001) % "+strconv.Itoa(span)) + `, ` + ago("(i * 4001) % "+strconv.Itoa(span)) + ` FROM s`,
		`INSERT INTO release_deployments (release_id, environment, ci_id, deployed_at, verification, created_at, updated_at)
			SELECT id, 'production', id, updated_at, CASE WHEN id % 10 = 0 THEN 'pending' ELSE 'passed' END, updated_at, updated_at FROM releases`,
		// The management system's registers: small next to the operations.
		seq(40) + `INSERT INTO context_issues (title, origin, identified_on, review_due, created_at, updated_at)
			SELECT 'Issue ' || i, CASE WHEN i % 2 = 0 THEN 'internal' ELSE 'external' END, ` + day("-400") + `, ` + day("(i % 12) * 30 - 30") + `, '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z' FROM s`,
		seq(300) + `INSERT INTO risks (title, likelihood, impact, owner_id, treatment, review_due, process_key, created_at, updated_at)
			SELECT 'Risk ' || i, 1 + i % 5, 1 + (i * 3) % 5, 2 + i % 60, CASE WHEN i % 9 = 0 THEN 'undecided' ELSE 'reduce' END, ` + day("(i % 20) * 20 - 40") + `,
			CASE WHEN i % 4 = 0 THEN 'security' ELSE '' END, '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z' FROM s`,
		seq(200) + `INSERT INTO documents (title, doc_type, process_key, status, owner_id, approver_id, next_review, current_version_id, created_at, updated_at)
			SELECT 'Document ' || i, CASE i % 5 WHEN 0 THEN 'policy' WHEN 1 THEN 'process' WHEN 2 THEN 'procedure' WHEN 3 THEN 'sms_plan' ELSE 'record' END,
			(SELECT key FROM processes WHERE id = 1 + i % 26), CASE WHEN i % 10 = 0 THEN 'draft' ELSE 'approved' END, 2, 1, ` + day("(i % 10) * 60 - 60") + `, 1,
			'2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z' FROM s`,
		seq(200) + `INSERT INTO nonconformities (title, state, due_on, source, root_cause, effectiveness, closed_at, raised_on, created_at, updated_at)
			SELECT 'NC ' || i, CASE WHEN i % 3 = 0 THEN 'open' ELSE 'closed' END, ` + day("(i % 9) * 15 - 40") + `, CASE WHEN i % 5 = 0 THEN 'complaint' ELSE 'audit' END,
			'Cause', CASE WHEN i % 3 = 0 THEN NULL ELSE 'effective' END, CASE WHEN i % 3 = 0 THEN NULL ELSE ` + ago("i * 1500") + ` END,
			` + day("-200") + `, '2025-06-01T00:00:00.000000Z', '2025-06-01T00:00:00.000000Z' FROM s`,
		seq(400) + `INSERT INTO sms_actions (source_kind, source_id, title, owner_id, due_on, status, created_at, updated_at)
			SELECT CASE WHEN i % 2 = 0 THEN 'nonconformity' ELSE 'management_review' END, i, 'Action ' || i, 2 + i % 60, ` + day("(i % 12) * 20 - 100") + `,
			CASE WHEN i % 3 = 0 THEN 'open' ELSE 'done' END, '2025-06-01T00:00:00.000000Z', '2025-06-01T00:00:00.000000Z' FROM s`,
		`INSERT INTO internal_audits (title, state, reported_at, planned_on, created_at, updated_at) VALUES ('Audit of the SMS', 'reported', '2026-05-01T00:00:00.000000Z', '2026-04-01', '2026-01-01T00:00:00.000000Z', '2026-05-01T00:00:00.000000Z')`,
		`INSERT INTO internal_audit_processes (audit_id, process_id) SELECT 1, id FROM processes WHERE id % 3 <> 0`,
		`INSERT INTO management_reviews (title, planned_on, held_on, period_from, period_to, chair_id, state, inputs_compiled_at, minutes, decisions, created_at, updated_at)
			VALUES ('Review 2026', '2026-06-01', '2026-06-03', '2025-06-01', '2026-06-01', 1, 'held', '2026-05-30T00:00:00.000000Z', 'Minutes', 'Decisions', '2026-05-01T00:00:00.000000Z', '2026-06-03T00:00:00.000000Z')`,
		`UPDATE processes SET owner_id = 2 + id % 60 WHERE id % 8 <> 0`,
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}
