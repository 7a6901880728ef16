package compliance

import (
	"context"
	"fmt"
	"time"
)

// Clause 8.4.1: service costs budgeted and accounted.

var (
	_ = Register(Rule{ID: "8.4.1-budget", Clause: "8.4.1", Title: "Service costs are budgeted and accounted",
		Todo: "Keep a budget per live service for the current period and record its actual costs.",
		Eval: budgeted})
)

// A live service is accounted for when a budget covers today and it has
// actual costs for the current quarter: a catalogue cost per month, or a
// cost entered by hand for a period overlapping the quarter.
const accounted = `EXISTS (SELECT 1 FROM budgets b WHERE b.service_id = s.id AND b.starts_on <= ? AND b.ends_on >= ?)
	AND (s.cost_per_month > 0 OR EXISTS (SELECT 1 FROM service_costs e WHERE e.service_id = s.id AND e.starts_on <= ? AND e.ends_on >= ?))`

func budgeted(ctx context.Context, in Input) (Result, error) {
	now := in.Now.UTC()
	qStart := time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	qEnd := qStart.AddDate(0, 3, -1)
	today := day(now)
	args := []any{today, today, day(qEnd), day(qStart)}
	var total, good, withBudget int
	if err := scan(ctx, in.Q, []*int{&total, &good, &withBudget}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN `+accounted+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM budgets b WHERE b.service_id = s.id AND b.starts_on <= ? AND b.ends_on >= ?) THEN 1 ELSE 0 END), 0)
		FROM services s WHERE s.status = 'live'`, append(args, today, today)...); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/costs/services", ""), `SELECT s.id, s.name FROM services s
		WHERE s.status = 'live' AND NOT (`+accounted+`) ORDER BY s.name LIMIT 20`, args...)
	if err != nil {
		return Result{}, err
	}
	p := &Period{From: qStart, To: now}
	return ratio{good: good, total: total, met: 0.90, partly: 0.50, period: p, links: links,
		numbers: []Number{
			{Label: "Live services", Value: float64(total), Unit: "count", URL: "/costs"},
			{Label: "With a budget for today", Value: float64(withBudget), Unit: "count", URL: "/costs"},
			{Label: "Budgeted with actual costs", Value: float64(good), Unit: "count", URL: "/costs"},
		},
		noDataSummary: "No live services are in the catalogue, so there is nothing to budget yet.",
		summary: fmt.Sprintf("%s of the %s live services have a budget for today and actual costs for the quarter; %s.",
			pct(good, total), num(total), thresholds(0.90, 0.50)),
	}.result(), nil
}
