// Package availability measures each service's availability against its
// target (clause 8.7.1): outages as records, derived from major and
// event-driven incidents or entered by the service owner, and per service
// and period the availability, downtime, outages, MTBF and MTRS.
package availability

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"steward/internal/calendar"
	"steward/internal/cmdb"
	"steward/internal/store"
)

// Service keeps outages and availability targets.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// Calendars compiles the business calendars of agreed hours; without
	// it every service is measured round the clock.
	Calendars Calendars
	// Impact finds the services an incident's CIs reach, for deriving
	// outages; without it only the incident's own service counts.
	Impact Impact
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// NewService builds the availability service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}

// Downtime is how long service was lost within [from, to): the outages of
// the service clipped to the window, overlapping ones merged so no minute
// counts twice, each minute weighted by the largest weight of the outages
// covering it (1 for a full outage, the share lost for a partial one). An
// outage still open counts up to to (or now, when that is earlier).
func Downtime(ctx context.Context, q store.Querier, serviceID int64, from, to time.Time) (time.Duration, error) {
	rows, err := q.Query(ctx, `SELECT started_at, ended_at, weight FROM outages
		WHERE service_id = ? AND started_at < ? AND (ended_at IS NULL OR ended_at > ?)`,
		serviceID, store.TS(to), store.TS(from))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var spans []span
	now := time.Now().UTC()
	for rows.Next() {
		var s span
		var start, end store.Time
		if err := rows.Scan(&start, &end, &s.weight); err != nil {
			return 0, err
		}
		s.start, s.end = start.Time, end.Time
		if s.end.IsZero() {
			s.end = now
		}
		if s.start.Before(from) {
			s.start = from
		}
		if s.end.After(to) {
			s.end = to
		}
		if s.end.After(s.start) {
			spans = append(spans, s)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return weighted(spans), nil
}

// span is one outage within the window.
type span struct {
	start, end time.Time
	weight     float64
}

// weighted sums the spans' time, each instant once at the largest weight
// covering it.
func weighted(spans []span) time.Duration {
	type edge struct {
		at    time.Time
		w     float64
		start bool
	}
	edges := make([]edge, 0, 2*len(spans))
	for _, s := range spans {
		edges = append(edges, edge{s.start, s.weight, true}, edge{s.end, s.weight, false})
	}
	slices.SortFunc(edges, func(a, b edge) int { return a.at.Compare(b.at) })
	var total float64
	open := map[float64]int{}
	var last time.Time
	for _, e := range edges {
		if len(open) > 0 {
			top := 0.0
			for w := range open {
				top = max(top, w)
			}
			total += float64(e.at.Sub(last)) * top
		}
		last = e.at
		if e.start {
			open[e.w]++
		} else if open[e.w]--; open[e.w] == 0 {
			delete(open, e.w)
		}
	}
	return time.Duration(total)
}

// Calendars compiles a business calendar by id (the SLA engine's cache).
type Calendars interface {
	Calendar(ctx context.Context, q store.Querier, id int64) (*calendar.Calendar, error)
}

// Impact is the CMDB's impact analysis as derivation uses it: the
// catalogue services an incident's CIs reach, failed or degraded; and
// the services a set of CIs is part of.
type Impact interface {
	AffectedServices(ctx context.Context, incidentID int64) ([]cmdb.AffectedService, error)
	ServicesOf(ctx context.Context, ids []int64) (map[int64][]int64, error)
}
