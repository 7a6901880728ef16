package compliance

import (
	"context"
	"fmt"

	"steward/internal/store"
)

// Clause 8.6: incidents, service requests and problems.

var (
	_ = Register(Rule{ID: "8.6.1-classified", Clause: "8.6.1", Title: "Incidents are categorised",
		Todo: "Set the category of the incidents without one and make the category required on the form.",
		Eval: incidentsClassified})
	_ = Register(Rule{ID: "8.6.1-within-sla", Clause: "8.6.1", Title: "Incidents are resolved within their SLA target",
		Todo: "Look at the breached incidents for a pattern (group, category, hour) and act on it.",
		Eval: incidentsWithinSLA})
	_ = Register(Rule{ID: "8.6.1-major-reviewed", Clause: "8.6.1", Title: "Resolved major incidents are followed by a problem investigation",
		Todo: "Raise or link a problem for each resolved major incident so its cause is investigated and reported.",
		Eval: majorReviewed})
	_ = Register(Rule{ID: "8.6.2-within-target", Clause: "8.6.2", Title: "Service requests are fulfilled within their target",
		Todo: "Look at the late requests for the catalogue items and groups behind them.",
		Eval: requestsWithinTarget})
	_ = Register(Rule{ID: "8.6.2-items-routed", Clause: "8.6.2", Title: "Active catalogue items have a fulfilment group",
		Todo: "Give each active catalogue item the group that fulfils it.",
		Eval: itemsRouted})
	_ = Register(Rule{ID: "8.6.3-root-cause", Clause: "8.6.3", Title: "Resolved problems have their root cause recorded",
		Todo: "Write the root cause of each resolved problem before closing it.",
		Eval: problemsRootCause})
	_ = Register(Rule{ID: "8.6.3-investigated", Clause: "8.6.3", Title: "Problems do not stay uninvestigated",
		Todo: "Take up the problems open for more than 90 days without a known cause: investigate, or cancel them.",
		Eval: problemsInvestigated})
)

func incidentsClassified(ctx context.Context, in Input) (Result, error) {
	from, to, p := window(in, quarter)
	// Two counts, each read from an index alone: all incidents of the
	// period (by creation) and those without a category (by category).
	var total, unset int
	if err := scan(ctx, in.Q, []*int{&total}, `SELECT COUNT(*) FROM incidents WHERE created_at >= ? AND created_at < ?`, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	if err := scan(ctx, in.Q, []*int{&unset}, `SELECT COUNT(*) FROM incidents WHERE category = '' AND created_at >= ? AND created_at < ?`, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	set := total - unset
	links, err := linkRows(ctx, in.Q, numbered("/incidents", "INC-"), `SELECT id, title FROM incidents
		WHERE created_at >= ? AND created_at < ? AND category = '' ORDER BY created_at DESC LIMIT 20`, store.TS(from), store.TS(to))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: set, total: total, period: p, links: links,
		noDataSummary: "No incident was raised in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s incidents raised in the last 90 days have a priority and a category; %s.",
			pct(set, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Incidents raised", total, "/?view=all&from="+day(from)), countNum("Without a category", total-set, "/?view=all&from="+day(from))}}.result(), nil
}

func incidentsWithinSLA(ctx context.Context, in Input) (Result, error) {
	met, total, p, err := attainment(ctx, in, timers{ticket: "incident", metric: "resolution"})
	if err != nil {
		return Result{}, err
	}
	links, err := breachedTickets(ctx, in, timers{ticket: "incident", metric: "resolution"})
	if err != nil {
		return Result{}, err
	}
	return ratio{good: met, total: total, met: slaTarget, partly: slaPartly, period: p, links: links,
		noDataSummary: "No incident resolution target was decided in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s incidents whose resolution target was decided in the last 90 days met it; the target is %d%%.",
			pct(met, total), num(total), int(slaTarget*100)),
		numbers: []Number{countNum("Resolution targets decided", total, "/reports/sla"), shareNum("Met", met, total, "/reports/sla"), countNum("Breached", total-met, "/sla/breaching")}}.result(), nil
}

func majorReviewed(ctx context.Context, in Input) (Result, error) {
	from, to, p := window(in, quarter)
	const linked = `EXISTS (SELECT 1 FROM record_links l WHERE l.from_kind = 'incident' AND l.from_id = i.id AND l.to_kind = 'problem')`
	var total, reviewed int
	if err := scan(ctx, in.Q, []*int{&total, &reviewed}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN `+linked+` THEN 1 ELSE 0 END), 0)
		FROM incidents i WHERE i.major AND i.resolved_at >= ? AND i.resolved_at < ?`, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/incidents", "INC-"), `SELECT i.id, i.title FROM incidents i
		WHERE i.major AND i.resolved_at >= ? AND i.resolved_at < ? AND NOT `+linked+` ORDER BY i.resolved_at DESC LIMIT 20`, store.TS(from), store.TS(to))
	if err != nil {
		return Result{}, err
	}
	// Every major incident gets a review: that is what makes it major.
	return ratio{good: reviewed, total: total, met: 1, partly: 0.50, period: p, links: links,
		noDataSummary: "No major incident was resolved in the last 90 days.",
		summary: fmt.Sprintf("%d of the %d major incidents resolved in the last 90 days are linked to a problem investigating them; met when all are, partly met from half.",
			reviewed, total),
		numbers: []Number{countNum("Major incidents resolved", total, "/?view=all&major=yes&from="+day(from.AddDate(0, 0, -quarter))), countNum("Without a problem investigation", total-reviewed, "/?view=all&major=yes")}}.result(), nil
}

func requestsWithinTarget(ctx context.Context, in Input) (Result, error) {
	met, total, p, err := attainment(ctx, in, timers{ticket: "request", metric: "resolution"})
	if err != nil {
		return Result{}, err
	}
	links, err := breachedTickets(ctx, in, timers{ticket: "request", metric: "resolution"})
	if err != nil {
		return Result{}, err
	}
	return ratio{good: met, total: total, met: slaTarget, partly: slaPartly, period: p, links: links,
		noDataSummary: "No request fulfilment target was decided in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s requests whose fulfilment target was decided in the last 90 days met it; the target is %d%%.",
			pct(met, total), num(total), int(slaTarget*100)),
		numbers: []Number{countNum("Fulfilment targets decided", total, "/reports/sla"), shareNum("Met", met, total, "/reports/sla")}}.result(), nil
}

func itemsRouted(ctx context.Context, in Input) (Result, error) {
	var total, routed int
	if err := scan(ctx, in.Q, []*int{&total, &routed}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN group_id IS NOT NULL THEN 1 ELSE 0 END), 0) FROM catalog_items WHERE active`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/catalog/items", ""), `SELECT id, name FROM catalog_items WHERE active AND group_id IS NULL ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: routed, total: total, links: links,
		noDataSummary: "No request catalogue items are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s active catalogue items name the group that fulfils them; %s.", pct(routed, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Active catalogue items", total, "/catalog"), countNum("Without a fulfilment group", total-routed, "/catalog")}}.result(), nil
}

func problemsRootCause(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var total, with int
	if err := scan(ctx, in.Q, []*int{&total, &with}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN root_cause <> '' THEN 1 ELSE 0 END), 0)
		FROM problems WHERE state IN ('resolved', 'closed') AND resolved_at >= ?`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/problems", "PRB-"), `SELECT id, title FROM problems
		WHERE state IN ('resolved', 'closed') AND resolved_at >= ? AND root_cause = '' ORDER BY resolved_at DESC LIMIT 20`, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: with, total: total, period: p, links: links,
		noDataSummary: "No problem was resolved in the last 12 months.",
		summary:       fmt.Sprintf("%s of the %s problems resolved in the last 12 months have their root cause recorded; %s.", pct(with, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Problems resolved", total, "/problems"), countNum("Without a root cause", total-with, "/problems")}}.result(), nil
}

func problemsInvestigated(ctx context.Context, in Input) (Result, error) {
	old := in.Now.AddDate(0, 0, -quarter)
	var total, stale int
	if err := scan(ctx, in.Q, []*int{&total, &stale}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN created_at < ? THEN 1 ELSE 0 END), 0)
		FROM problems WHERE state IN ('new', 'investigating')`, store.TS(old)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/problems", "PRB-"), `SELECT id, title FROM problems
		WHERE state IN ('new', 'investigating') AND created_at < ? ORDER BY created_at LIMIT 20`, store.TS(old))
	if err != nil {
		return Result{}, err
	}
	// Some problems take long to crack; most should find their cause in a quarter.
	return ratio{good: total - stale, total: total, met: 0.80, partly: 0.50, links: links,
		noDataSummary: "No problem is under investigation.",
		summary: fmt.Sprintf("%s of the %s problems under investigation have been open for more than 90 days without a known cause; met up to 20%%, partly met up to 50%%.",
			pct(stale, total), num(total)),
		numbers: []Number{countNum("Problems under investigation", total, "/problems?state=investigating"), countNum("Open more than 90 days", stale, "/problems")}}.result(), nil
}
