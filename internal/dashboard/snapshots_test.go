package dashboard_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/dashboard"
	"steward/internal/domainerr"
	"steward/internal/kpi"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

var admin = audit.Actor{Type: "user", ID: 1, Name: "Test admin"}

// today is mid-June 2026: May is a closed month, June the open one.
var today = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func newService(db *store.DB) *dashboard.Service {
	s := dashboard.NewService(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Now = func() time.Time { return today }
	return s
}

// desk holds two customers with a requester each and their incidents.
type desk struct {
	db         *store.DB
	custA      int64
	custB      int64
	requesterA int64
	agent      int64
}

func newDesk(t *testing.T, db *store.DB) *desk {
	t.Helper()
	d := &desk{db: db}
	now := store.TS(today.AddDate(-1, 0, 0))
	d.custA = d.insert(t, "INSERT INTO customers (name, created_at, updated_at) VALUES ('Acme', ?, ?)", now, now)
	d.custB = d.insert(t, "INSERT INTO customers (name, created_at, updated_at) VALUES ('Globex', ?, ?)", now, now)
	d.insert(t, "INSERT INTO users (email, name, role, created_at, updated_at) VALUES ('admin@x.test', 'Admin', 'admin', ?, ?)", now, now)
	d.agent = d.insert(t, "INSERT INTO users (email, name, role, created_at, updated_at) VALUES ('agent@x.test', 'Agent', 'agent', ?, ?)", now, now)
	d.requesterA = d.insert(t, `INSERT INTO users (email, name, role, customer_id, created_at, updated_at)
		VALUES ('rq-a@x.test', 'Requester A', 'requester', ?, ?, ?)`, d.custA, now, now)
	d.insert(t, `INSERT INTO users (email, name, role, customer_id, created_at, updated_at)
		VALUES ('rq-b@x.test', 'Requester B', 'requester', ?, ?, ?)`, d.custB, now, now)
	return d
}

func (d *desk) insert(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var id int64
	err := d.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), q+" RETURNING id", args...).Scan(&id)
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

// incident adds an incident for a customer created at c and resolved
// hours later (not resolved when hours is 0).
func (d *desk) incident(t *testing.T, cust int64, prio int, c time.Time, hours float64) {
	t.Helper()
	var res any
	state := "new"
	if hours > 0 {
		res, state = store.TS(c.Add(time.Duration(hours*float64(time.Hour)))), "resolved"
	}
	d.insert(t, `INSERT INTO incidents (title, customer_id, impact, urgency, priority, state, created_at, updated_at, resolved_at)
		VALUES ('Printer', ?, 'low', 'low', ?, ?, ?, ?, ?)`, cust, prio, state, store.TS(c), store.TS(c), res)
}

func may(day int) time.Time { return time.Date(2026, 5, day, 9, 0, 0, 0, time.UTC) }

func snapshot(t *testing.T, s *dashboard.Service, key string, customer int64, start time.Time) dashboard.Snapshot {
	t.Helper()
	ctx := context.Background()
	d, err := s.Definition(ctx, s.DB, key)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Series(ctx, s.DB, d.ID, customer, start, start.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 {
		t.Fatalf("%s from %s for customer %d: %d snapshots", key, start.Format("2 Jan"), customer, len(pts))
	}
	return pts[0]
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// A KPI's snapshots are its metric computed from the records per period,
// over all customers and for each one; a closed month is computed once
// and neither a later correction of the records nor a change of the
// definition alters it, while the open month follows the new version.
func TestSnapshotsComeFromRecordsAndKeepTheirHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDesk(t, e.DB)
		s := newService(e.DB)
		d.incident(t, d.custA, 2, may(4), 10)
		d.incident(t, d.custA, 1, may(5), 20)
		d.incident(t, d.custB, 3, may(6), 40)
		d.incident(t, d.custA, 1, time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC), 6)
		d.incident(t, d.custB, 1, time.Date(2026, 6, 3, 9, 0, 0, 0, time.UTC), 0)

		title, metric, period, per := "Time to fix", "incident.mttr_hours", "month", true
		if _, err := s.CreateDefinition(ctx, admin, dashboard.Input{Title: &title, Metric: &metric, Period: &period, PerCustomer: &per}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		mayStart := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		juneStart := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		all := snapshot(t, s, "time-to-fix", 0, mayStart)
		if all.N != 3 || !near(all.Value, (10+20+40)/3.0) || !all.Closed || all.Version != 1 {
			t.Errorf("May over all customers: %+v", all)
		}
		if a := snapshot(t, s, "time-to-fix", d.custA, mayStart); a.N != 2 || !near(a.Value, 15) {
			t.Errorf("May for Acme: %+v", a)
		}
		if b := snapshot(t, s, "time-to-fix", d.custB, mayStart); b.N != 1 || !near(b.Value, 40) {
			t.Errorf("May for Globex: %+v", b)
		}
		if j := snapshot(t, s, "time-to-fix", 0, juneStart); j.N != 1 || !near(j.Value, 6) || j.Closed {
			t.Errorf("June so far: %+v", j)
		}

		// A late correction of May's records, then a new version that
		// counts P1 incidents only.
		d.incident(t, d.custB, 1, may(20), 100)
		prio := kpi.Filter{"priority": 1}
		changed, err := s.UpdateDefinition(ctx, admin, "time-to-fix", dashboard.Input{Filter: &prio}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if changed.Version != 2 {
			t.Fatalf("the changed definition is version %d", changed.Version)
		}
		d.incident(t, d.custA, 1, time.Date(2026, 6, 4, 9, 0, 0, 0, time.UTC), 2)
		d.incident(t, d.custA, 2, time.Date(2026, 6, 5, 9, 0, 0, 0, time.UTC), 50)
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if again := snapshot(t, s, "time-to-fix", 0, mayStart); again != all {
			t.Errorf("May changed after the fact: was %+v, now %+v", all, again)
		}
		if j := snapshot(t, s, "time-to-fix", 0, juneStart); j.Version != 2 || j.N != 2 || !near(j.Value, 4) {
			t.Errorf("June under version 2 (P1 only, 6 h and 2 h): %+v", j)
		}
		vs, err := s.Versions(ctx, e.DB, changed.ID)
		if err != nil || len(vs) != 2 || vs[0].Filter["priority"] != 1 || len(vs[1].Filter) != 0 {
			t.Errorf("versions: %+v, %v", vs, err)
		}
	})
}

// A filter names only fields that exist, that the metric may be narrowed
// by, and records that exist; each mistake names filter.<field>.
func TestFilterValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDesk(t, e.DB)
		s := newService(e.DB)
		for _, c := range []struct {
			metric string
			filter kpi.Filter
			field  string
		}{
			{"incident.mttr_hours", kpi.Filter{"colour": 3}, "filter.colour"},
			{"incident.mttr_hours", kpi.Filter{"customer": 99999}, "filter.customer"},
			{"incident.mttr_hours", kpi.Filter{"priority": 7}, "filter.priority"},
			{"problem.opened", kpi.Filter{"group": 1}, "filter.group"},
			{"no.such.metric", nil, "metric"},
		} {
			title, period := "Try "+c.metric, "week"
			_, err := s.CreateDefinition(ctx, admin, dashboard.Input{Title: &title, Metric: &c.metric, Period: &period, Filter: &c.filter})
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || inv.Fields[c.field] == "" {
				t.Errorf("%s with %v: want an error on %s, got %v", c.metric, c.filter, c.field, err)
			}
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM kpi_definitions"); n != 0 {
			t.Errorf("refused definitions were stored: %d", n)
		}
		title, metric, period := "Acme backlog", "incident.backlog", "day"
		f := kpi.Filter{"customer": d.custA, "priority": 2}
		if _, err := s.CreateDefinition(ctx, admin, dashboard.Input{Title: &title, Metric: &metric, Period: &period, Filter: &f}); err != nil {
			t.Errorf("a valid filter was refused: %v", err)
		}
		m, _ := kpi.Get("incident.backlog")
		if _, err := m.Measure(ctx, e.DB, may(1), may(2), kpi.Filter{"colour": 1}); err == nil {
			t.Error("a metric measured with an unknown field answered")
		}
	})
}

// The shipped KPIs and role dashboards appear once; one an administrator
// removed does not come back.
func TestDefaultsApplyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		newDesk(t, e.DB)
		s := newService(e.DB)
		if err := s.EnsureDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		defs, err := s.Definitions(ctx, e.DB)
		if err != nil || len(defs) < 15 {
			t.Fatalf("%d shipped definitions, %v", len(defs), err)
		}
		if err := s.DeleteDefinition(ctx, admin, "incident-backlog"); err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Definition(ctx, e.DB, "incident-backlog"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a removed shipped KPI came back: %v", err)
		}
		var tiles int
		if err := e.DB.QueryRow(ctx, `SELECT COUNT(*) FROM dashboard_tiles t JOIN dashboards d ON d.id = t.dashboard_id
			WHERE d.role_key = 'desk-lead'`).Scan(&tiles); err != nil || tiles < 6 {
			t.Errorf("the desk lead's dashboard has %d tiles, %v", tiles, err)
		}
	})
}
