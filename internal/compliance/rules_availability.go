package compliance

import (
	"context"
	"fmt"
	"time"

	"steward/internal/availability"
)

// Clause 8.7.1: availability measured against the targets agreed per
// service. Each live service should have a target, measured over the last
// quarter, and meet it; met when four in five do, partly met from half.

var (
	_ = Register(Rule{ID: "8.7.1-measured", Clause: "8.7.1", Title: "Service availability is measured against targets",
		Todo: "Agree availability targets per service and measure availability against them.",
		Eval: availabilityMeasured})
)

func availabilityMeasured(ctx context.Context, in Input) (Result, error) {
	from := in.Now.Add(-quarter * 24 * time.Hour)
	rep, err := availability.Measure(ctx, in.Q, from, in.Now)
	if err != nil {
		return Result{}, err
	}
	live, err := liveServices(ctx, in)
	if err != nil {
		return Result{}, err
	}
	var total, targeted, meeting int
	var links []Link
	for _, f := range rep.Services {
		if !live[f.ServiceID] {
			continue
		}
		total++
		if f.Target != nil {
			targeted++
		}
		if f.Status == availability.Met {
			meeting++
		} else if len(links) < MaxLinks {
			links = append(links, Link{Label: f.ServiceName, URL: fmt.Sprintf("/availability?service_id=%d", f.ServiceID)})
		}
	}
	return ratio{good: meeting, total: total, met: 0.8, partly: 0.5,
		summary: fmt.Sprintf("Of %d live %s, %d %s an availability target and %d met it over the last %d days (%s).",
			total, plural(total, "service", "services"), targeted, plural(targeted, "has", "have"), meeting, quarter, thresholds(0.8, 0.5)),
		numbers: []Number{countNum("Live services with a target", targeted, "/availability"),
			shareNum("Live services meeting their target", meeting, total, "/availability")},
		period:        &Period{From: from, To: in.Now},
		links:         links,
		noDataSummary: "No live services are recorded, so there is no availability to measure.",
	}.result(), nil
}

// liveServices are the services in the catalogue that are live.
func liveServices(ctx context.Context, in Input) (map[int64]bool, error) {
	rows, err := in.Q.Query(ctx, "SELECT id FROM services WHERE status = 'live'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
