package dashboard

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// TestOpenIncidentsByPriority counts, per priority, the incidents open at
// the period's end: raised before it and neither resolved nor closed by
// then, for everyone or one customer, in priority order.
func TestOpenIncidentsByPriority(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := NewService(e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
		day := func(d int) time.Time { return time.Date(2026, 5, d, 9, 0, 0, 0, time.UTC) }
		insert := func(q string, args ...any) int64 {
			t.Helper()
			var id int64
			err := e.DB.InTx(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, q+" RETURNING id", args...).Scan(&id) })
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return id
		}
		acme := insert("INSERT INTO customers (name, created_at, updated_at) VALUES ('Acme', ?, ?)", store.TS(day(1)), store.TS(day(1)))
		globex := insert("INSERT INTO customers (name, created_at, updated_at) VALUES ('Globex', ?, ?)", store.TS(day(1)), store.TS(day(1)))
		for _, in := range []struct {
			cust             int64
			prio, raised     int
			resolved, closed int // days of May; 0 for not yet
		}{
			{acme, 3, 2, 0, 0},
			{acme, 1, 3, 20, 0},  // resolved after the end: open then
			{acme, 1, 4, 5, 6},   // resolved and closed before the end
			{acme, 4, 2, 0, 7},   // closed unresolved before the end
			{globex, 1, 4, 8, 0}, // resolved before the end
			{globex, 5, 1, 0, 0},
			{globex, 1, 6, 0, 0},
			{globex, 2, 12, 0, 0}, // raised after the end
		} {
			at := func(d int) any {
				if d == 0 {
					return nil
				}
				return store.TS(day(d))
			}
			state := "new"
			if in.resolved != 0 {
				state = "resolved"
			}
			insert(`INSERT INTO incidents (title, customer_id, impact, urgency, priority, state, created_at, updated_at, resolved_at, closed_at)
				VALUES ('Printer', ?, 'low', 'low', ?, ?, ?, ?, ?, ?)`, in.cust, in.prio, state, at(in.raised), at(in.raised), at(in.resolved), at(in.closed))
		}
		for _, c := range []struct {
			customer int64
			want     [][]string
		}{
			{0, [][]string{{"P1", "2"}, {"P3", "1"}, {"P5", "1"}}},
			{acme, [][]string{{"P1", "1"}, {"P3", "1"}}},
			{globex, [][]string{{"P1", "1"}, {"P5", "1"}}},
		} {
			tb, ok, err := s.table(ctx, "open-incidents", day(1), day(10), c.customer)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if !reflect.DeepEqual(tb.Rows, c.want) {
				t.Errorf("customer %d: %v, want %v", c.customer, tb.Rows, c.want)
			}
		}
	})
}

// TestOpenIncidentsByPriorityPlan checks SQLite's plan for the count with
// the statistics of a desk of 100,000 incidents: it reads the incidents
// raised before the period's end by their creation (or the customer's
// index), not every incident in priority order to spare a sort of five
// rows.
func TestOpenIncidentsByPriorityPlan(t *testing.T) {
	e := storetest.SQLite(t)
	storetest.DeskIncidentStats(t, e.DB)
	end := store.TS(time.Now())
	for _, c := range []struct {
		cond string
		args []any
		walk string
	}{
		{"", []any{end, end, end, 11}, "SEARCH incidents USING INDEX incidents_created (created_at<?)"},
		{" AND customer_id = ?", []any{end, end, end, 1, 11}, "SEARCH incidents USING INDEX incidents_customer (customer_id=? AND created_at<?)"},
	} {
		plan := storetest.Plan(t, e.DB, openByPriority(store.SQLite, c.cond), c.args...)
		if !strings.HasPrefix(plan, c.walk+"\n") || strings.Contains(plan, "incidents_priority") {
			t.Errorf("%q: plan\n%swant it to start with %s", c.cond, plan, c.walk)
		}
	}
}
