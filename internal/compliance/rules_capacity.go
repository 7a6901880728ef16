package compliance

import (
	"context"
	"fmt"

	"steward/internal/store"
)

// Clauses 8.4.2 and 8.4.3: demand forecast and followed, capacity planned
// and utilisation followed against thresholds.

var (
	_ = Register(Rule{ID: "8.4.2-demand", Clause: "8.4.2", Title: "Demand for services is forecast and followed",
		Todo: "Record in each busy service's capacity plan the demand it expects, and review the plan against the demand trends.",
		Eval: demandFollowed})
	_ = Register(Rule{ID: "8.4.3-capacity", Clause: "8.4.3", Title: "Capacity is planned and utilisation followed",
		Todo: "Keep a capacity plan per live service watching utilisation series with thresholds, fed with samples.",
		Eval: capacityFollowed})
)

// Capacity rules judge live services: met from 80 %, partly met from 50 %.
const (
	capacityMet    = 0.80
	capacityPartly = 0.50
	// freshDays is how recent a watched series' last sample must be.
	freshDays = 30
)

// demandFollowed: of the live services that had incidents or requests in
// the last 90 days, the share whose capacity plan records the demand it
// expects and was reviewed in the last 12 months.
func demandFollowed(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, quarter)
	reviewedFrom := day(in.Now.AddDate(-1, 0, 0))
	busy := `SELECT s.id, s.name,
		CASE WHEN cp.demand <> '' AND cp.reviewed_on >= ? THEN 1 ELSE 0 END AS ok
		FROM services s LEFT JOIN capacity_plans cp ON cp.service_id = s.id
		WHERE s.status = 'live' AND (EXISTS (SELECT 1 FROM incidents i WHERE i.service_id = s.id AND i.created_at >= ?)
			OR EXISTS (SELECT 1 FROM requests r WHERE r.service_id = s.id AND r.created_at >= ?))`
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*), COALESCE(SUM(ok), 0) FROM (`+busy+`) b`,
		reviewedFrom, store.TS(from), store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/services", ""), `SELECT id, name FROM (`+busy+`) b WHERE ok = 0 ORDER BY name LIMIT 20`,
		reviewedFrom, store.TS(from), store.TS(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, met: capacityMet, partly: capacityPartly, period: p, links: links,
		noDataSummary: "No live service had incidents or requests in the last 90 days, so there is no demand to follow.",
		summary: fmt.Sprintf("%d of the %d live services with tickets in the last 90 days have a capacity plan that records the demand it expects and was reviewed in the last 12 months; %s.",
			good, total, thresholds(capacityMet, capacityPartly)),
		numbers: []Number{countNum("Live services with demand", total, "/capacity/demand"), countNum("Demand planned and reviewed", good, "/capacity/plans")}}.result(), nil
}

// capacityFollowed: of the live services, the share whose capacity plan
// watches at least one series with a threshold and a sample in the last
// 30 days.
func capacityFollowed(ctx context.Context, in Input) (Result, error) {
	fresh := in.Now.AddDate(0, 0, -freshDays).Unix()
	live := `SELECT s.id, s.name, CASE WHEN EXISTS (SELECT 1 FROM capacity_plans cp
			JOIN capacity_plan_series ps ON ps.plan_id = cp.id JOIN capacity_series cs ON cs.id = ps.series_id
			WHERE cp.service_id = s.id AND (cs.warn_at IS NOT NULL OR cs.act_at IS NOT NULL) AND EXISTS (SELECT 1 FROM capacity_samples l WHERE l.series_id = cs.id AND l.at >= ?)) THEN 1 ELSE 0 END AS ok
		FROM services s WHERE s.status = 'live'`
	var total, good, past int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*), COALESCE(SUM(ok), 0) FROM (`+live+`) l`, fresh); err != nil {
		return Result{}, err
	}
	if err := scan(ctx, in.Q, []*int{&past}, `SELECT COUNT(*) FROM capacity_series cs WHERE cs.act_at IS NOT NULL
		AND (SELECT l.value FROM capacity_samples l WHERE l.series_id = cs.id AND l.at >= ? ORDER BY l.at DESC LIMIT 1) >= cs.act_at`, fresh); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/services", ""), `SELECT id, name FROM (`+live+`) l WHERE ok = 0 ORDER BY name LIMIT 20`, fresh)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, met: capacityMet, partly: capacityPartly, links: links,
		noDataSummary: "No live services are recorded yet.",
		summary: fmt.Sprintf("%d of the %d live services have a capacity plan watching utilisation with thresholds and samples from the last %d days; %d %s past the action threshold now; %s.",
			good, total, freshDays, past, plural(past, "series is", "series are"), thresholds(capacityMet, capacityPartly)),
		numbers: []Number{countNum("Live services", total, "/services"), countNum("Capacity planned and followed", good, "/capacity/plans"),
			countNum("Series past the action threshold", past, "/capacity")}}.result(), nil
}
