package compliance

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"steward/internal/clauses"
	"steward/internal/kpi"
	"steward/internal/store"
)

// now is the instant the rule tests evaluate at.
var now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// ts is a timestamp days from now; dt the date days from now.
func ts(days int) string { return store.TS(now.AddDate(0, 0, days)) }
func dt(days int) string { return day(now.AddDate(0, 0, days)) }

// fx writes a rule test's records inside a transaction that is rolled
// back afterwards, so every case starts from the same base.
type fx struct {
	t    *testing.T
	ctx  context.Context
	q    store.Querier
	n    int
	vars map[string]int64
}

func (x *fx) exec(query string, args ...any) {
	x.t.Helper()
	if _, err := x.q.Exec(x.ctx, query, args...); err != nil {
		x.t.Fatalf("%s: %v", query, err)
	}
}

// id inserts a row and returns its id.
func (x *fx) id(query string, args ...any) int64 {
	x.t.Helper()
	var id int64
	if err := x.q.QueryRow(x.ctx, query+" RETURNING id", args...).Scan(&id); err != nil {
		x.t.Fatalf("%s: %v", query, err)
	}
	return id
}

// seq is a number unique within the case.
func (x *fx) seq() int { x.n++; return x.n }

func (x *fx) user(role string) int64 {
	n := x.seq()
	return x.id(`INSERT INTO users (email, name, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		fmt.Sprintf("u%d@example.test", n), fmt.Sprintf("Person %d", n), role, ts(-400), ts(-400))
}

func (x *fx) service(status string, created string) int64 {
	return x.id(`INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES (?, ?, 'medium', ?, ?)`,
		fmt.Sprintf("Service %d", x.seq()), status, created, created)
}

func (x *fx) ci(status string, owner any) int64 {
	return x.id(`INSERT INTO cis (type_id, name, status, owner_id, created_at, updated_at) VALUES ((SELECT MIN(id) FROM ci_types), ?, ?, ?, ?, ?)`,
		fmt.Sprintf("ci-%d", x.seq()), status, owner, ts(-100), ts(-100))
}

func (x *fx) doc(docType, key, status string, nextReview any) int64 {
	return x.id(`INSERT INTO documents (title, doc_type, process_key, status, next_review, owner_id, approver_id, current_version_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, fmt.Sprintf("Doc %d", x.seq()), docType, key, status, nextReview, x.vars["agent"], x.vars["admin"], ts(-50), ts(-50))
}

func (x *fx) incident(created string, category string, major bool, resolved any) int64 {
	return x.id(`INSERT INTO incidents (title, impact, urgency, priority, state, category, major, resolved_at, created_at, updated_at)
		VALUES (?, 'medium', 'medium', 3, 'resolved', ?, ?, ?, ?, ?)`, fmt.Sprintf("Incident %d", x.seq()), category, major, resolved, created, created)
}

func (x *fx) problem(state, rootCause, workaround string, created string, resolved any) int64 {
	return x.id(`INSERT INTO problems (title, state, root_cause, workaround, resolved_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		fmt.Sprintf("Problem %d", x.seq()), state, rootCause, workaround, resolved, created, created)
}

func (x *fx) link(fromKind string, fromID int64, toKind string, toID int64) {
	x.exec(`INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_at) VALUES (?, ?, 'caused_by', ?, ?, ?)`, fromKind, fromID, toKind, toID, ts(-1))
}

func (x *fx) change(typ string, approved any, started string, extra string) int64 {
	test, backout, outcome, review := "tested", "backout", "successful", ""
	switch extra {
	case "no-backout":
		backout = ""
	case "failed":
		outcome = "failed"
	case "failed-reviewed":
		outcome, review = "failed", "cause found"
	}
	return x.id(`INSERT INTO changes (title, type, state, approved_at, actual_start, test_plan, backout_plan, outcome, review, created_at, updated_at)
		VALUES (?, ?, 'closed', ?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("Change %d", x.seq()), typ, approved, started, test, backout, outcome, review, ts(-60), ts(-1))
}

func (x *fx) agreement(kind string, review any, end any) int64 {
	return x.id(`INSERT INTO agreements (kind, name, supplier_name, review_date, contract_end, created_at, updated_at) VALUES (?, ?, 'Supplier', ?, ?, ?, ?)`,
		kind, fmt.Sprintf("Agreement %d", x.seq()), review, end, ts(-200), ts(-200))
}

func (x *fx) definition(agreement int64) int64 {
	return x.id(`INSERT INTO sla_definitions (agreement_id, name, applies_to, metric, created_at, updated_at) VALUES (?, ?, 'incident', 'resolution', ?, ?)`,
		agreement, fmt.Sprintf("Definition %d", x.seq()), ts(-200), ts(-200))
}

func (x *fx) timer(kind, metric string, def, agreement int64, state string) {
	x.exec(`INSERT INTO sla_timers (ticket_kind, ticket_id, definition_id, agreement_id, metric, cycle, goal, calendar_id, target_seconds, state, running, started_at, decided_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 1, 0, (SELECT MIN(id) FROM calendars), 3600, ?, FALSE, ?, ?, ?)`, kind, x.seq(), def, agreement, metric, state, ts(-6), ts(-5), ts(-5))
}

func (x *fx) risk(owner any, treatment string, review any, key string) {
	x.exec(`INSERT INTO risks (title, likelihood, impact, owner_id, treatment, review_due, process_key, created_at, updated_at) VALUES (?, 3, 3, ?, ?, ?, ?, ?, ?)`,
		fmt.Sprintf("Risk %d", x.seq()), owner, treatment, review, key, ts(-100), ts(-100))
}

func (x *fx) objective(owner any, metric string, target float64, due string) {
	x.exec(`INSERT INTO objectives (title, owner_id, metric_key, target, direction, starts_on, due_on, created_at, updated_at) VALUES (?, ?, ?, ?, 'at_least', ?, ?, ?, ?)`,
		fmt.Sprintf("Objective %d", x.seq()), owner, metric, target, dt(-100), due, ts(-100), ts(-100))
}

func (x *fx) nc(state string, due any, source string, rootCause string, effectiveness any, closed any) int64 {
	return x.id(`INSERT INTO nonconformities (title, state, due_on, source, root_cause, effectiveness, closed_at, raised_on, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("NC %d", x.seq()), state, due, source, rootCause, effectiveness, closed, dt(-60), ts(-60), ts(-60))
}

func (x *fx) action(kind string, due string) {
	x.exec(`INSERT INTO sms_actions (source_kind, source_id, title, owner_id, due_on, created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?, ?)`,
		kind, fmt.Sprintf("Action %d", x.seq()), x.vars["agent"], due, ts(-30), ts(-30))
}

func (x *fx) review(held any, state string, chair any, minutes string) int64 {
	return x.id(`INSERT INTO management_reviews (title, planned_on, held_on, period_from, period_to, chair_id, state, inputs_compiled_at, minutes, decisions, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'decided', ?, ?)`, fmt.Sprintf("Review %d", x.seq()), dt(-700), held, dt(-800), dt(-700), chair, state, ts(-700), minutes, ts(-700), ts(-700))
}

func (x *fx) audit(state string, reported any, planned string) int64 {
	return x.id(`INSERT INTO internal_audits (title, state, reported_at, planned_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		fmt.Sprintf("Audit %d", x.seq()), state, reported, planned, ts(-500), ts(-500))
}

// processes sets something on the first k of the seeded processes.
func (x *fx) processes(k int, set func(id int64, key string)) {
	x.t.Helper()
	rows, err := x.q.Query(x.ctx, `SELECT id, key FROM processes ORDER BY id LIMIT ?`, k)
	if err != nil {
		x.t.Fatal(err)
	}
	type p struct {
		id  int64
		key string
	}
	var ps []p
	for rows.Next() {
		var r p
		if err := rows.Scan(&r.id, &r.key); err != nil {
			x.t.Fatal(err)
		}
		ps = append(ps, r)
	}
	rows.Close()
	for _, r := range ps {
		set(r.id, r.key)
	}
}

// base are the records every case starts from: an administrator and an
// agent (the staff), a requester.
func base(t *testing.T, db *store.DB) map[string]int64 {
	out := map[string]int64{}
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		x := &fx{t: t, ctx: context.Background(), q: tx, vars: map[string]int64{}, n: 1000}
		out["admin"] = x.user("admin")
		out["agent"] = x.user("agent")
		out["agent2"] = x.user("agent")
		out["requester"] = x.user("requester")
		x.exec(`INSERT INTO support_groups (name, created_at, updated_at) VALUES ('Desk', ?, ?)`, ts(-400), ts(-400))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var errRollback = errors.New("roll back")

// evalRule runs one rule over the records setup writes, then undoes them.
func evalRule(t *testing.T, db *store.DB, vars map[string]int64, id string, setup func(x *fx)) Result {
	t.Helper()
	var rule Rule
	for _, r := range Rules(clauses.Primary) {
		if r.ID == id {
			rule = r
		}
	}
	if rule.ID == "" {
		t.Fatalf("no rule %s", id)
	}
	var res Result
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		x := &fx{t: t, ctx: ctx, q: tx, vars: map[string]int64{}}
		for k, v := range vars {
			x.vars[k] = v
		}
		if setup != nil {
			setup(x)
		}
		var err error
		if res, err = rule.Eval(ctx, Input{Q: tx, Now: now}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("rule %s: %v", id, err)
	}
	return res
}

// Measures the objective tests bind to: one that is always 50 with
// records behind it, one that never has records.
func init() {
	kpi.Register(kpi.Metric{Key: "test.compliance.half", Title: "Half", Unit: "%",
		Compute: func(context.Context, store.Querier, time.Time, time.Time) (kpi.Value, error) {
			return kpi.Value{Value: 50, N: 4}, nil
		}})
	kpi.Register(kpi.Metric{Key: "test.compliance.empty", Title: "Empty", Unit: "%",
		Compute: func(context.Context, store.Querier, time.Time, time.Time) (kpi.Value, error) { return kpi.Value{}, nil }})
}
