package dashboard

import (
	"context"
	"fmt"
	"time"

	"steward/internal/jobs"
	"steward/internal/kpi"
	"steward/internal/store"
)

// Snapshot is a KPI's figure over one period, as computed at ComputedAt
// under the definition's Version. A closed period's snapshot is final.
type Snapshot struct {
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	Version     int       `json:"version"`
	Value       float64   `json:"value"`
	N           int       `json:"n"`
	Link        string    `json:"link"`
	Closed      bool      `json:"closed"`
	ComputedAt  time.Time `json:"computed_at"`
}

// NoData reports whether the figure rests on no records.
func (s Snapshot) NoData() bool { return s.N == 0 }

// PeriodStart is the start of the day, week (from Monday) or calendar
// month holding t, as the calendar reads in loc (the organisation's time
// zone), returned in UTC: in Berlin, June starts at 22:00 UTC on 31 May.
func PeriodStart(period string, t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	switch period {
	case "week":
		d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case "month":
		d = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	}
	return d.UTC()
}

// PeriodAfter is the start of the period after the one starting at
// start, counted on the calendar of loc: a day across a change of
// summer time is 23 or 25 hours long.
func PeriodAfter(period string, start time.Time, loc *time.Location) time.Time {
	return periodBefore(period, start, -1, loc)
}

// Backfill is how many closed periods a definition is computed for when
// it is new: five weeks of days, a quarter of weeks, a year of months.
var Backfill = map[string]int{"day": 35, "week": 13, "month": 12}

func periodBefore(period string, start time.Time, n int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t := start.In(loc)
	switch period {
	case "week":
		t = t.AddDate(0, 0, -7*n)
	case "month":
		t = t.AddDate(0, -n, 0)
	default:
		t = t.AddDate(0, 0, -n)
	}
	return t.UTC()
}

// maxCustomers bounds the customers a per-customer KPI is computed for
// in one run.
const maxCustomers = 1000

// RefreshSnapshots is the periodic job: for every definition, over all
// customers and (when it is shown to customers) for each customer with
// people who sign in, it computes each closed period not yet computed
// once, and the current period again.
func (s *Service) RefreshSnapshots(ctx context.Context, _ jobs.Job) error {
	_, err := s.Refresh(ctx)
	return err
}

// Refresh computes the snapshots due now and says how many it wrote.
func (s *Service) Refresh(ctx context.Context) (int, error) {
	if err := s.EnsureDefaults(ctx); err != nil {
		return 0, err
	}
	defs, err := s.Definitions(ctx, s.DB)
	if err != nil {
		return 0, err
	}
	var customers []int64
	for _, d := range defs {
		if d.PerCustomer {
			if customers, err = store.IDs(ctx, s.DB, `SELECT DISTINCT customer_id FROM users WHERE role = 'requester' AND active = ?
				AND customer_id IS NOT NULL ORDER BY customer_id LIMIT ?`, true, maxCustomers); err != nil {
				return 0, err
			}
			break
		}
	}
	now := s.now()
	written := 0
	for _, d := range defs {
		m, ok := kpi.Get(d.Metric)
		if !ok {
			s.Log.Warn("KPI not computed: its metric is not registered", "kpi", d.Key, "metric", d.Metric)
			continue
		}
		scopes := []int64{0}
		if d.PerCustomer {
			scopes = append(scopes, customers...)
		}
		for _, c := range scopes {
			n, err := s.refreshOne(ctx, d, m, c, now)
			if err != nil {
				return written, fmt.Errorf("KPI %s: %w", d.Key, err)
			}
			written += n
		}
	}
	return written, nil
}

// refreshOne computes one definition for one customer (0: all).
func (s *Service) refreshOne(ctx context.Context, d Definition, m kpi.Metric, customer int64, now time.Time) (int, error) {
	loc := s.Location()
	current := PeriodStart(d.Period, now, loc)
	first := periodBefore(d.Period, current, Backfill[d.Period], loc)
	// The closed periods computed already; after a change of the
	// organisation's time zone they lie on the old calendar, and a period
	// overlapping one of them is not computed again, so that history is
	// neither changed nor counted twice.
	type span struct{ from, to time.Time }
	var done []span
	rows, err := s.DB.Query(ctx, `SELECT period_start, period_end FROM kpi_snapshots WHERE definition_id = ? AND customer_id = ? AND closed = ?
		AND period_end > ?`, d.ID, customer, true, store.TS(first))
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var from, to store.Time
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return 0, err
		}
		done = append(done, span{from.Time, to.Time})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// clip is where the part of [from, to) not yet computed starts: to
	// when it was computed, whole or in part, under another calendar.
	clip := func(from, to time.Time) time.Time {
		for _, sp := range done {
			if sp.from.Before(to) && from.Before(sp.to) && sp.to.After(from) {
				from = sp.to
			}
		}
		return from
	}
	f := kpi.Filter{}
	for k, v := range d.Filter {
		f[k] = v
	}
	if customer != 0 {
		f["customer"] = customer
	}
	var snaps []Snapshot
	for p := first; !p.After(current); p = PeriodAfter(d.Period, p, loc) {
		closed := p.Before(current)
		end := PeriodAfter(d.Period, p, loc)
		from := clip(p, end)
		if !from.Before(end) {
			continue
		}
		v, err := m.Measure(ctx, s.DB, from, end, f)
		if err != nil {
			return 0, err
		}
		// The link opens the records counted: the list narrowed to the
		// period, on the organisation's calendar.
		snaps = append(snaps, Snapshot{PeriodStart: from, PeriodEnd: end, Version: d.Version, Value: v.Value, N: v.N,
			Link:   m.PeriodLink(v.Link, from, end, loc),
			Closed: closed, ComputedAt: now})
	}
	if len(snaps) == 0 {
		return 0, nil
	}
	openFrom := current
	if last := snaps[len(snaps)-1]; !last.Closed {
		openFrom = last.PeriodStart
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		// An open period begun on another calendar (the zone changed)
		// is replaced by the current one.
		if _, err := tx.Exec(ctx, `DELETE FROM kpi_snapshots WHERE definition_id = ? AND customer_id = ? AND closed = ? AND period_start <> ?`,
			d.ID, customer, false, store.TS(openFrom)); err != nil {
			return err
		}
		for _, sn := range snaps {
			// A closed period's snapshot is never written again; the open
			// one is, until its period closes.
			if _, err := tx.Exec(ctx, `INSERT INTO kpi_snapshots (definition_id, customer_id, period_start, period_end, version, value, n,
				link, closed, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (definition_id, customer_id, period_start) DO UPDATE SET period_end = excluded.period_end,
				version = excluded.version, value = excluded.value, n = excluded.n, link = excluded.link, closed = excluded.closed,
				computed_at = excluded.computed_at WHERE kpi_snapshots.closed = ?`, d.ID, customer, store.TS(sn.PeriodStart),
				store.TS(sn.PeriodEnd), sn.Version, sn.Value, sn.N, sn.Link, sn.Closed, store.TS(sn.ComputedAt), false); err != nil {
				return err
			}
		}
		return nil
	})
	return len(snaps), err
}

const snapCols = `period_start, period_end, version, value, n, link, closed, computed_at FROM kpi_snapshots`

func scanSnap(row interface{ Scan(...any) error }) (Snapshot, error) {
	var sn Snapshot
	var ps, pe, at store.Time
	err := row.Scan(&ps, &pe, &sn.Version, &sn.Value, &sn.N, &sn.Link, &sn.Closed, &at)
	sn.PeriodStart, sn.PeriodEnd, sn.ComputedAt = ps.Time, pe.Time, at.Time
	return sn, err
}

// latest is a definition's newest snapshot for a customer (0: all), nil
// when none was computed yet.
func (s *Service) latest(ctx context.Context, q store.Querier, id, customer int64) (*Snapshot, error) {
	pts, err := s.recent(ctx, q, id, customer, 1)
	if err != nil || len(pts) == 0 {
		return nil, err
	}
	return &pts[0], nil
}

// recent is a definition's newest n snapshots for a customer, oldest
// first.
func (s *Service) recent(ctx context.Context, q store.Querier, id, customer int64, n int) ([]Snapshot, error) {
	rows, err := q.Query(ctx, "SELECT "+snapCols+" WHERE definition_id = ? AND customer_id = ? ORDER BY period_start DESC LIMIT ?", id, customer, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		sn, err := scanSnap(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, rows.Err()
}

// MaxSeries bounds a series of snapshots.
const MaxSeries = 400

// Series is a definition's snapshots for a customer (0: all) whose
// periods start in [from, to), oldest first.
func (s *Service) Series(ctx context.Context, q store.Querier, id, customer int64, from, to time.Time) ([]Snapshot, error) {
	rows, err := q.Query(ctx, "SELECT "+snapCols+` WHERE definition_id = ? AND customer_id = ? AND period_start >= ? AND period_start < ?
		ORDER BY period_start LIMIT ?`, id, customer, store.TS(from), store.TS(to), MaxSeries)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Snapshot{}
	for rows.Next() {
		sn, err := scanSnap(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	return out, rows.Err()
}
