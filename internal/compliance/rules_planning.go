package compliance

import (
	"context"
	"fmt"
	"time"

	"steward/internal/kpi"
)

// Clause 6: risks and opportunities, objectives, and the plan of the SMS.

var (
	_ = Register(Rule{ID: "6.1-risks-treated", Clause: "6.1", Title: "Open risks have an owner and a decided treatment",
		Todo: "Give each open risk an owner and decide its treatment (reduce, accept, avoid, transfer; for opportunities exploit, enhance, share).",
		Eval: risksTreated})
	_ = Register(Rule{ID: "6.1-risks-reviewed", Clause: "6.1", Title: "Open risks are reviewed by their review date",
		Todo: "Review the risks whose review date has passed and set the next one.",
		Eval: risksReviewed})
	_ = Register(Rule{ID: "6.2-objectives-owned", Clause: "6.2", Title: "Active objectives have an owner and a due date not yet passed",
		Todo: "Name an owner for each objective and close or re-plan those past their due date.",
		Eval: objectivesOwned})
	_ = Register(Rule{ID: "6.2-objectives-on-track", Clause: "6.2", Title: "Active objectives are on track against their measure",
		Todo: "Look at the objectives off track, decide what to do and record it as an action or improvement.",
		Eval: objectivesOnTrack})
	_ = Register(Rule{ID: "6.3-sms-plan", Clause: "6.3", Title: "The SMS plan is approved and current",
		Todo: "Write the plan of the SMS (scope, resources, schedule, roles, other parties), have it approved and set its review date.",
		Eval: func(ctx context.Context, in Input) (Result, error) {
			return approvedDocument(ctx, in, "SMS plan", "doc_type = 'sms_plan'")
		}})
)

func risksTreated(ctx context.Context, in Input) (Result, error) {
	var total, treated int
	if err := scan(ctx, in.Q, []*int{&total, &treated}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN owner_id IS NOT NULL AND treatment <> 'undecided' THEN 1 ELSE 0 END), 0)
		FROM risks WHERE status <> 'closed'`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/risks", ""), `SELECT id, title FROM risks
		WHERE status <> 'closed' AND (owner_id IS NULL OR treatment = 'undecided') ORDER BY likelihood * impact DESC, id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: treated, total: total, links: links,
		noDataSummary: "No risks or opportunities are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s open risks and opportunities have an owner and a decided treatment; %s.", pct(treated, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Open risks and opportunities", total, "/risks"), countNum("Without an owner or treatment", total-treated, "/risks?treatment=undecided")}}.result(), nil
}

func risksReviewed(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, current int
	if err := scan(ctx, in.Q, []*int{&total, &current}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN review_due >= ? THEN 1 ELSE 0 END), 0)
		FROM risks WHERE status <> 'closed'`, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/risks", ""), `SELECT id, title FROM risks
		WHERE status <> 'closed' AND (review_due IS NULL OR review_due < ?) ORDER BY review_due, id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: current, total: total, links: links,
		noDataSummary: "No risks or opportunities are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s open risks and opportunities have a review date that has not passed; %s.", pct(current, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Open risks and opportunities", total, "/risks"), countNum("Overdue for review or without a date", total-current, "/risks?review=overdue")}}.result(), nil
}

func objectivesOwned(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN owner_id IS NOT NULL AND due_on >= ? THEN 1 ELSE 0 END), 0)
		FROM objectives WHERE status = 'active'`, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/objectives", ""), `SELECT id, title FROM objectives
		WHERE status = 'active' AND (owner_id IS NULL OR due_on < ?) ORDER BY due_on, id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No active objectives are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s active objectives have an owner and a due date not yet passed; %s.", pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Active objectives", total, "/objectives"), countNum("Without an owner or past due", total-good, "/objectives")}}.result(), nil
}

// objectiveRow is what judging an objective's progress needs.
type objectiveRow struct {
	id         int64
	title, key string
	days       int
	target     float64
	atLeast    bool
}

// maxObjectives bounds the objectives measured in one evaluation: each
// computes its measure.
const maxObjectives = 200

func activeObjectives(ctx context.Context, in Input) ([]objectiveRow, error) {
	rows, err := in.Q.Query(ctx, `SELECT id, title, metric_key, period_days, target, direction FROM objectives
		WHERE status = 'active' ORDER BY id LIMIT ?`, maxObjectives)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []objectiveRow
	for rows.Next() {
		var o objectiveRow
		var dir string
		if err := rows.Scan(&o.id, &o.title, &o.key, &o.days, &o.target, &dir); err != nil {
			return nil, err
		}
		o.atLeast = dir == "at_least"
		out = append(out, o)
	}
	return out, rows.Err()
}

// measure computes an objective's metric over its trailing period; ok is
// false when the metric is unknown or rests on no records.
func (o objectiveRow) measure(ctx context.Context, in Input) (v float64, ok bool, err error) {
	m, found := kpi.Get(o.key)
	if !found {
		return 0, false, nil
	}
	to := in.Now.UTC()
	val, err := m.Compute(ctx, in.Q, to.Add(-time.Duration(o.days)*24*time.Hour), to)
	if err != nil || val.NoData() {
		return 0, false, err
	}
	return val.Value, true, nil
}

func objectivesOnTrack(ctx context.Context, in Input) (Result, error) {
	objs, err := activeObjectives(ctx, in)
	if err != nil {
		return Result{}, err
	}
	var measured, onTrack int
	links := []Link{}
	for _, o := range objs {
		v, ok, err := o.measure(ctx, in)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			continue
		}
		measured++
		if (o.atLeast && v >= o.target) || (!o.atLeast && v <= o.target) {
			onTrack++
		} else if len(links) < MaxLinks {
			links = append(links, to("/objectives", "")(o.id, o.title))
		}
	}
	if len(objs) == 0 {
		return noData("No active objectives are recorded yet."), nil
	}
	if measured == 0 {
		return noData(fmt.Sprintf("None of the %d active objectives has a measure with records behind it yet.", len(objs))), nil
	}
	// Objectives are stretch targets: most on track is a working SMS, and
	// the rest need a decision rather than a finding.
	return ratio{good: onTrack, total: measured, met: 0.80, partly: 0.50, links: links,
		summary: fmt.Sprintf("%d of the %d active objectives with a measured value are on track; %s.", onTrack, measured, thresholds(0.80, 0.50)),
		numbers: []Number{countNum("Objectives measured", measured, "/objectives"), countNum("Off track", measured-onTrack, "/objectives")}}.result(), nil
}
