package compliance

import (
	"context"
	"fmt"

	"steward/internal/store"
)

// Clause 10: nonconformity and corrective action, continual improvement.

var (
	_ = Register(Rule{ID: "10.1-ncs-on-time", Clause: "10.1", Title: "Open nonconformities are within their due date",
		Todo: "Work the overdue nonconformities: finish the corrective action or agree a new date with a reason.",
		Eval: ncsOnTime})
	_ = Register(Rule{ID: "10.1-ncs-closed-properly", Clause: "10.1", Title: "Closed nonconformities record a root cause and an effective correction",
		Todo: "Before closing a nonconformity, record its root cause and check that the corrective action worked.",
		Eval: ncsClosedProperly})
	_ = Register(Rule{ID: "10.1-corrective-actions", Clause: "10.1", Title: "Corrective actions are done on time",
		Todo: "Follow up the overdue corrective actions with their owners.",
		Eval: actionsOnTime("nonconformity", "nonconformity")})
	_ = Register(Rule{ID: "10.2-improvements-approved", Clause: "10.2", Title: "Improvements are evaluated and approved before work starts",
		Todo: "Decide on the proposed improvements (approve with a priority, or reject) and record who approved the ones under way.",
		Eval: improvementsApproved})
	_ = Register(Rule{ID: "10.2-improvements-measured", Clause: "10.2", Title: "Finished improvements show a measured result",
		Todo: "Record the measure before and after each finished improvement.",
		Eval: improvementsMeasured})
	_ = Register(Rule{ID: "10.2-improvements-on-time", Clause: "10.2", Title: "Improvements under way are within their due date",
		Todo: "Re-plan or finish the improvements past their due date.",
		Eval: improvementsOnTime})
)

const ncOpen = "state IN ('open', 'action', 'verifying')"

func ncsOnTime(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, onTime int
	if err := scan(ctx, in.Q, []*int{&total, &onTime}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN due_on >= ? THEN 1 ELSE 0 END), 0)
		FROM nonconformities WHERE `+ncOpen, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/nonconformities", ""), `SELECT id, title FROM nonconformities
		WHERE `+ncOpen+` AND (due_on IS NULL OR due_on < ?) ORDER BY due_on, id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	var closed int
	if err := scan(ctx, in.Q, []*int{&closed}, `SELECT COUNT(*) FROM nonconformities WHERE state = 'closed'`); err != nil {
		return Result{}, err
	}
	if total == 0 && closed > 0 {
		return Result{Status: Met, Summary: fmt.Sprintf("No nonconformity is open; %s %s closed.", num(closed), plural(closed, "was", "were")),
			Numbers: []Number{countNum("Closed nonconformities", closed, "/nonconformities?state=closed")}}, nil
	}
	return ratio{good: onTime, total: total, met: 0.90, partly: 0.70, links: links,
		noDataSummary: "No nonconformities are recorded yet.",
		summary: fmt.Sprintf("%s of the %s open nonconformities are within their due date; %s.",
			pct(onTime, total), num(total), thresholds(0.90, 0.70)),
		numbers: []Number{countNum("Open nonconformities", total, "/nonconformities"), countNum("Overdue or without a date", total-onTime, "/nonconformities?overdue=1")}}.result(), nil
}

func ncsClosedProperly(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var total, proper int
	if err := scan(ctx, in.Q, []*int{&total, &proper}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN root_cause <> '' AND effectiveness = 'effective' THEN 1 ELSE 0 END), 0)
		FROM nonconformities WHERE state = 'closed' AND closed_at >= ?`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/nonconformities", ""), `SELECT id, title FROM nonconformities
		WHERE state = 'closed' AND closed_at >= ? AND NOT (root_cause <> '' AND effectiveness = 'effective') ORDER BY closed_at DESC LIMIT 20`, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: proper, total: total, period: p, links: links,
		noDataSummary: "No nonconformity was closed in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s nonconformities closed in the last 12 months record a root cause and a correction checked as effective; %s.",
			pct(proper, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Closed in 12 months", total, "/nonconformities?state=closed"), countNum("Closed without cause or effective check", total-proper, "/nonconformities?state=closed")}}.result(), nil
}

func improvementsApproved(ctx context.Context, in Input) (Result, error) {
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN approved_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM improvements WHERE status IN ('approved', 'in_progress', 'done')`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/improvements", ""), `SELECT id, title FROM improvements
		WHERE status IN ('approved', 'in_progress', 'done') AND approved_at IS NULL ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	var waiting int
	if err := scan(ctx, in.Q, []*int{&waiting}, `SELECT COUNT(*) FROM improvements WHERE status = 'proposed'`); err != nil {
		return Result{}, err
	}
	if total == 0 && waiting > 0 {
		return Result{Status: NotMet, Summary: fmt.Sprintf("%s improvement %s proposed but none has been approved.", num(waiting), plural(waiting, "is", "are")),
			Numbers: []Number{countNum("Proposed", waiting, "/improvements?status=proposed")}, Links: []Link{{Label: "Proposed improvements", URL: "/improvements?status=proposed"}}}, nil
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No improvements are recorded yet.",
		summary: fmt.Sprintf("%s of the %s improvements approved, under way or done record who approved them and when; %s proposed %s waiting for a decision.",
			pct(good, total), num(total), num(waiting), plural(waiting, "is", "are")),
		numbers: []Number{countNum("Approved, under way or done", total, "/improvements"), countNum("Waiting for a decision", waiting, "/improvements?status=proposed")}}.result(), nil
}

func improvementsMeasured(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var total, measured int
	if err := scan(ctx, in.Q, []*int{&total, &measured}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN baseline_value IS NOT NULL AND result_value IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM improvements WHERE status = 'done' AND done_at >= ?`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/improvements", ""), `SELECT id, title FROM improvements
		WHERE status = 'done' AND done_at >= ? AND (baseline_value IS NULL OR result_value IS NULL) ORDER BY done_at DESC LIMIT 20`, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	// Not every improvement has a number to move (a clearer form); most should.
	return ratio{good: measured, total: total, met: 0.80, partly: 0.50, period: p, links: links,
		noDataSummary: "No improvement was finished in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s improvements finished in the last 12 months record a measured value before and after; %s.",
			pct(measured, total), num(total), thresholds(0.80, 0.50)),
		numbers: []Number{countNum("Finished improvements", total, "/improvements?status=done"), countNum("Without a measured result", total-measured, "/improvements?status=done")}}.result(), nil
}

func improvementsOnTime(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, onTime int
	if err := scan(ctx, in.Q, []*int{&total, &onTime}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN due_on IS NULL OR due_on >= ? THEN 1 ELSE 0 END), 0)
		FROM improvements WHERE status IN ('approved', 'in_progress')`, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/improvements", ""), `SELECT id, title FROM improvements
		WHERE status IN ('approved', 'in_progress') AND due_on < ? ORDER BY due_on, id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: onTime, total: total, met: 0.90, partly: 0.70, links: links,
		noDataSummary: "No improvement is approved or under way.",
		summary: fmt.Sprintf("%s of the %s improvements approved or under way are within their due date; %s.",
			pct(onTime, total), num(total), thresholds(0.90, 0.70)),
		numbers: []Number{countNum("Approved or under way", total, "/improvements"), countNum("Past due", total-onTime, "/improvements")}}.result(), nil
}
