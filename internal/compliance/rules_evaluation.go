package compliance

import (
	"context"
	"fmt"

	"steward/internal/kpi"
	"steward/internal/store"
)

// Clause 9: monitoring and measurement, internal audit, management review
// and service reporting.

var (
	_ = Register(Rule{ID: "9.1-objectives-measured", Clause: "9.1", Title: "Objectives are bound to measures with data behind them",
		Todo: "Bind each objective to one of Steward's measures and make sure records feed it.",
		Eval: objectivesMeasured})
	_ = Register(Rule{ID: "9.2-audit-held", Clause: "9.2", Title: "An internal audit was reported in the last 12 months",
		Todo: "Plan and carry out an internal audit and issue its report.",
		Eval: auditHeld})
	_ = Register(Rule{ID: "9.2-processes-covered", Clause: "9.2", Title: "The audits of the last 12 months covered every process",
		Todo: "Plan audits for the processes not covered in the last 12 months.",
		Eval: processesAudited})
	_ = Register(Rule{ID: "9.2-auditors-independent", Clause: "9.2", Title: "Auditors did not audit processes they own",
		Todo: "Choose auditors who do not own the processes in the audit's scope.",
		Eval: auditorsIndependent})
	_ = Register(Rule{ID: "9.2-findings-raised", Clause: "9.2", Title: "Audit findings become nonconformities",
		Todo: "Raise a nonconformity for each nonconforming checklist line of an audit.",
		Eval: findingsRaised})
	_ = Register(Rule{ID: "9.3-review-held", Clause: "9.3", Title: "A management review was held in the last 12 months",
		Todo: "Hold the management review and record it.",
		Eval: reviewHeld})
	_ = Register(Rule{ID: "9.3-review-complete", Clause: "9.3", Title: "Management reviews record their inputs, minutes and decisions",
		Todo: "Compile the inputs before the review and record minutes and decisions after it.",
		Eval: reviewComplete})
	_ = Register(Rule{ID: "9.4-reports-produced", Clause: "9.4", Title: "Defined service reports are produced on schedule",
		Todo: "Produce the overdue service reports and record each one.",
		Eval: reportsProduced})
)

func objectivesMeasured(ctx context.Context, in Input) (Result, error) {
	objs, err := activeObjectives(ctx, in)
	if err != nil {
		return Result{}, err
	}
	if len(objs) == 0 {
		return noData("No active objectives are recorded yet."), nil
	}
	var measured int
	links := []Link{}
	for _, o := range objs {
		_, ok, err := o.measure(ctx, in)
		if err != nil {
			return Result{}, err
		}
		if ok {
			measured++
		} else if len(links) < MaxLinks {
			links = append(links, to("/objectives", "")(o.id, o.title))
		}
	}
	known := len(kpi.All())
	return ratio{good: measured, total: len(objs), links: links,
		summary: fmt.Sprintf("%d of the %d active objectives are bound to a measure (of %d Steward computes) with records behind it; %s.",
			measured, len(objs), known, thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Active objectives", len(objs), "/objectives"), countNum("Measured", measured, "/objectives")}}.result(), nil
}

func auditHeld(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var all, reported, planned int
	if err := scan(ctx, in.Q, []*int{&all, &reported, &planned}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN state = 'reported' AND reported_at >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('planned', 'in_progress') THEN 1 ELSE 0 END), 0)
		FROM internal_audits WHERE state <> 'cancelled'`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/internal-audits", ""), `SELECT id, title FROM internal_audits
		WHERE state <> 'cancelled' ORDER BY planned_on DESC, id DESC LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	res := Result{Period: p, Links: links, Numbers: []Number{countNum("Audits reported in 12 months", reported, "/internal-audits"), countNum("Planned or in progress", planned, "/internal-audits")}}
	switch {
	case all == 0:
		return noData("No internal audits are recorded yet."), nil
	case reported > 0:
		res.Status, res.Summary = Met, fmt.Sprintf("%d internal %s reported in the last 12 months.", reported, plural(reported, "audit was", "audits were"))
	case planned > 0:
		res.Status, res.Summary = PartlyMet, fmt.Sprintf("No internal audit was reported in the last 12 months; %d %s planned or under way.", planned, plural(planned, "is", "are"))
	default:
		res.Status, res.Summary = NotMet, "No internal audit was reported in the last 12 months and none is planned."
	}
	return res, nil
}

func processesAudited(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var audits int
	if err := scan(ctx, in.Q, []*int{&audits}, `SELECT COUNT(*) FROM internal_audits WHERE state = 'reported' AND reported_at >= ?`, store.TS(from)); err != nil {
		return Result{}, err
	}
	if audits == 0 {
		return noData("No internal audit was reported in the last 12 months."), nil
	}
	const covered = `EXISTS (SELECT 1 FROM internal_audit_processes x JOIN internal_audits a ON a.id = x.audit_id
		WHERE x.process_id = p.id AND a.state = 'reported' AND a.reported_at >= ?)`
	var total, done int
	if err := scan(ctx, in.Q, []*int{&total, &done}, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN `+covered+` THEN 1 ELSE 0 END), 0) FROM processes p`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/processes", ""), `SELECT p.id, p.name FROM processes p WHERE NOT `+covered+` ORDER BY p.id LIMIT 20`, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	// The audit programme covers the whole SMS each cycle; half covered is
	// a programme under way.
	return ratio{good: done, total: total, met: 1, partly: 0.50, period: p, links: links,
		summary: fmt.Sprintf("The audits reported in the last 12 months covered %d of the %d processes; met when all are covered, partly met from half.", done, total),
		numbers: []Number{countNum("Processes", total, "/processes"), countNum("Not audited in 12 months", total-done, "/internal-audits")}}.result(), nil
}

func auditorsIndependent(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	const ownWork = `EXISTS (SELECT 1 FROM internal_audit_auditors au JOIN internal_audit_processes x ON x.audit_id = au.audit_id
		JOIN processes pr ON pr.id = x.process_id WHERE au.audit_id = a.id AND pr.owner_id = au.user_id)`
	var total, independent int
	if err := scan(ctx, in.Q, []*int{&total, &independent}, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN `+ownWork+` THEN 0 ELSE 1 END), 0)
		FROM internal_audits a WHERE a.state IN ('in_progress', 'reported') AND a.planned_on >= ?
		AND EXISTS (SELECT 1 FROM internal_audit_auditors au WHERE au.audit_id = a.id)`, day(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/internal-audits", ""), `SELECT a.id, a.title FROM internal_audits a
		WHERE a.state IN ('in_progress', 'reported') AND a.planned_on >= ? AND `+ownWork+` ORDER BY a.id DESC LIMIT 20`, day(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: independent, total: total, met: 1, partly: 0.80, period: p, links: links,
		noDataSummary: "No audit of the last 12 months names its auditors.",
		summary:       fmt.Sprintf("%d of the %d audits of the last 12 months had no auditor auditing a process they own; met when all, partly met from 80%%.", independent, total),
		numbers:       []Number{countNum("Audits with auditors named", total, "/internal-audits"), countNum("With an auditor auditing own work", total-independent, "/internal-audits")}}.result(), nil
}

func findingsRaised(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var total, raised int
	if err := scan(ctx, in.Q, []*int{&total, &raised}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM nonconformities n WHERE n.audit_item_id = i.id) THEN 1 ELSE 0 END), 0)
		FROM internal_audit_items i JOIN internal_audits a ON a.id = i.audit_id
		WHERE i.result IN ('minor_nc', 'major_nc') AND a.planned_on >= ?`, day(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/internal-audits", ""), `SELECT DISTINCT a.id, a.title FROM internal_audit_items i JOIN internal_audits a ON a.id = i.audit_id
		WHERE i.result IN ('minor_nc', 'major_nc') AND a.planned_on >= ?
		AND NOT EXISTS (SELECT 1 FROM nonconformities n WHERE n.audit_item_id = i.id) ORDER BY a.id DESC LIMIT 20`, day(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: raised, total: total, met: 1, partly: 0.80, period: p, links: links,
		noDataSummary: "No audit of the last 12 months found a nonconformity.",
		summary:       fmt.Sprintf("%d of the %d nonconforming audit findings of the last 12 months have a nonconformity raised; met when all, partly met from 80%%.", raised, total),
		numbers:       []Number{countNum("Nonconforming findings", total, "/internal-audits"), countNum("Without a nonconformity", total-raised, "/nonconformities")}}.result(), nil
}

func reviewHeld(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	older := day(in.Now.AddDate(0, -18, 0))
	var all, recent, lately int
	if err := scan(ctx, in.Q, []*int{&all, &recent, &lately}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN state IN ('held', 'closed') AND held_on >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('held', 'closed') AND held_on >= ? THEN 1 ELSE 0 END), 0)
		FROM management_reviews WHERE state <> 'cancelled'`, day(from), older); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/management-reviews", ""), `SELECT id, title FROM management_reviews
		WHERE state <> 'cancelled' ORDER BY planned_on DESC LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	res := Result{Period: p, Links: links, Numbers: []Number{countNum("Reviews held in 12 months", recent, "/management-reviews")}}
	switch {
	case all == 0:
		return noData("No management reviews are recorded yet."), nil
	case recent > 0:
		res.Status, res.Summary = Met, fmt.Sprintf("%d management %s held in the last 12 months.", recent, plural(recent, "review was", "reviews were"))
	case lately > 0:
		// A review a few months late is a slip, not an absent practice.
		res.Status, res.Summary = PartlyMet, "The last management review was held between 12 and 18 months ago."
	default:
		res.Status, res.Summary = NotMet, "No management review was held in the last 18 months."
	}
	return res, nil
}

func reviewComplete(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, 2*year)
	var total, complete int
	if err := scan(ctx, in.Q, []*int{&total, &complete}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN inputs_compiled_at IS NOT NULL AND minutes <> '' AND decisions <> '' THEN 1 ELSE 0 END), 0)
		FROM management_reviews WHERE state IN ('held', 'closed') AND held_on >= ?`, day(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/management-reviews", ""), `SELECT id, title FROM management_reviews
		WHERE state IN ('held', 'closed') AND held_on >= ? AND (inputs_compiled_at IS NULL OR minutes = '' OR decisions = '') ORDER BY held_on DESC LIMIT 20`, day(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: complete, total: total, met: 1, partly: 0.50, period: p, links: links,
		noDataSummary: "No management review was held in the last two years.",
		summary:       fmt.Sprintf("%d of the %d management reviews held in the last two years record their inputs, minutes and decisions; met when all do, partly met from half.", complete, total),
		numbers:       []Number{countNum("Reviews held", total, "/management-reviews"), countNum("Incomplete record", total-complete, "/management-reviews")}}.result(), nil
}

func reportsProduced(ctx context.Context, in Input) (Result, error) {
	// A report is on schedule when one was produced within its frequency
	// and a grace of a week (a month for yearly ones).
	const recent = `EXISTS (SELECT 1 FROM report_runs r WHERE r.definition_id = d.id AND (
		(d.frequency = 'weekly' AND r.produced_at >= ?) OR (d.frequency = 'monthly' AND r.produced_at >= ?)
		OR (d.frequency = 'quarterly' AND r.produced_at >= ?) OR (d.frequency = 'yearly' AND r.produced_at >= ?)))`
	args := []any{store.TS(in.Now.AddDate(0, 0, -14)), store.TS(in.Now.AddDate(0, 0, -38)), store.TS(in.Now.AddDate(0, 0, -99)), store.TS(in.Now.AddDate(0, 0, -396))}
	// A definition younger than its first period owes nothing yet.
	const owes = ` AND ((d.frequency = 'weekly' AND d.created_at < ?) OR (d.frequency = 'monthly' AND d.created_at < ?)
		OR (d.frequency = 'quarterly' AND d.created_at < ?) OR (d.frequency = 'yearly' AND d.created_at < ?))`
	all := append(append([]any{}, args...), args...)
	var total, onTime int
	if err := scan(ctx, in.Q, []*int{&total, &onTime}, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN `+recent+` THEN 1 ELSE 0 END), 0)
		FROM report_definitions d WHERE 1 = 1`+owes, all...); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/service-reports", ""), `SELECT d.id, d.name FROM report_definitions d WHERE NOT `+recent+owes+` ORDER BY d.id LIMIT 20`, all...)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: onTime, total: total, links: links,
		noDataSummary: "No service reports are defined yet (or none has reached its first due date).",
		summary:       fmt.Sprintf("%s of the %s defined service reports were produced on schedule; %s.", pct(onTime, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Defined reports", total, "/service-reports"), countNum("Overdue", total-onTime, "/service-reports")}}.result(), nil
}
