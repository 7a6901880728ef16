package compliance

import (
	"context"
	"fmt"
)

// Clause 5: leadership, the service management policy, and roles.

var (
	_ = Register(Rule{ID: "5.1-review-led", Clause: "5.1", Title: "Top management chaired and attended a management review in the last year",
		Todo: "Hold a management review chaired by top management and record who attended.",
		Eval: reviewLed})
	_ = Register(Rule{ID: "5.1-review-actions", Clause: "5.1", Title: "Actions decided by management are done on time",
		Todo: "Follow up the overdue actions from management reviews: finish them or agree new dates.",
		Eval: actionsOnTime("management_review", "management review")})
	_ = Register(Rule{ID: "5.2-policy-approved", Clause: "5.2", Title: "The service management policy is approved and reviewed on time",
		Todo: "Write the service management policy, have it approved and set its next review date.",
		Eval: policyApproved})
	_ = Register(Rule{ID: "5.2-policy-acknowledged", Clause: "5.2", Title: "Staff have acknowledged the policies in force",
		Todo: "Ask the staff who have not yet done so to read and acknowledge the current policy versions.",
		Eval: policiesAcknowledged})
	_ = Register(Rule{ID: "5.3-process-owners", Clause: "5.3", Title: "Every process has an owner",
		Todo: "Appoint an owner for each process without one.",
		Eval: processOwners})
	_ = Register(Rule{ID: "5.3-raci-accountable", Clause: "5.3", Title: "Each process's RACI names exactly one accountable",
		Todo: "Complete the RACI of each process so that exactly one person or group is accountable.",
		Eval: raciAccountable})
)

func reviewLed(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var all, held, led int
	err := scan(ctx, in.Q, []*int{&all, &held, &led}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN state IN ('held', 'closed') AND held_on >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('held', 'closed') AND held_on >= ? AND chair_id IS NOT NULL
			AND EXISTS (SELECT 1 FROM management_review_attendees a WHERE a.review_id = r.id) THEN 1 ELSE 0 END), 0)
		FROM management_reviews r WHERE state <> 'cancelled'`, day(from), day(from))
	if err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/management-reviews", ""), `SELECT id, title FROM management_reviews
		WHERE state <> 'cancelled' ORDER BY planned_on DESC, id DESC LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	res := Result{Period: p, Links: links, Numbers: []Number{countNum("Reviews held in the last 12 months", held, "/management-reviews"), countNum("Chaired, with attendance recorded", led, "/management-reviews")}}
	switch {
	case all == 0:
		return noData("No management reviews are recorded yet."), nil
	case led > 0:
		res.Status, res.Summary = Met, fmt.Sprintf("%d %s held in the last 12 months had a chair and recorded attendance.", led, plural(led, "review", "reviews"))
	case held > 0:
		res.Status, res.Summary = PartlyMet, fmt.Sprintf("%d %s held in the last 12 months, but no chair or attendance is recorded.", held, plural(held, "review was", "reviews were"))
	default:
		res.Status, res.Summary = NotMet, "No management review was held in the last 12 months."
	}
	return res, nil
}

// actionsOnTime judges the actions raised from one kind of source: of those
// due in the last year or still open, the share done by their date or not
// yet due.
func actionsOnTime(kind, words string) func(context.Context, Input) (Result, error) {
	return func(ctx context.Context, in Input) (Result, error) {
		from, _, p := window(in, year)
		today := day(in.Now)
		var total, late int
		err := scan(ctx, in.Q, []*int{&total, &late}, `SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN (status = 'open' AND due_on < ?) OR (status = 'done' AND done_at IS NOT NULL AND due_on < SUBSTR(CAST(done_at AS TEXT), 1, 10)) THEN 1 ELSE 0 END), 0)
			FROM sms_actions WHERE source_kind = ? AND status <> 'cancelled' AND (status = 'open' OR due_on >= ?)`, today, kind, day(from))
		if err != nil {
			return Result{}, err
		}
		links, err := linkRows(ctx, in.Q, to("/actions", ""), `SELECT id, title FROM sms_actions
			WHERE source_kind = ? AND status = 'open' AND due_on < ? ORDER BY due_on, id LIMIT 20`, kind, today)
		if err != nil {
			return Result{}, err
		}
		good := total - late
		return ratio{good: good, total: total, period: p, links: links,
			noDataSummary: "No actions from a " + words + " are recorded yet.",
			summary: fmt.Sprintf("%s of the %s actions from a %s due in the last 12 months or still open were done on time or are not yet due; %s.",
				pct(good, total), num(total), words, thresholds(shareMet, sharePartly)),
			numbers: []Number{countNum("Actions", total, "/actions?source="+kind), countNum("Overdue or done late", late, "/actions?source="+kind+"&overdue=1")}}.result(), nil
	}
}

// approvedDocument judges the documents matching where: met when one is
// approved and its review date has not passed, partly met when approved
// but overdue for review (or without a review date), not met when none is
// approved, no data when none is recorded.
func approvedDocument(ctx context.Context, in Input, what, where string, args ...any) (Result, error) {
	today := day(in.Now)
	var total, approved, current int
	err := scan(ctx, in.Q, []*int{&total, &approved, &current}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'approved' AND next_review >= ? THEN 1 ELSE 0 END), 0)
		FROM documents WHERE `+where, append([]any{today}, args...)...)
	if err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/documents", ""), `SELECT id, title FROM documents WHERE `+where+` AND status <> 'retired' ORDER BY id LIMIT 20`, args...)
	if err != nil {
		return Result{}, err
	}
	res := Result{Links: links, Numbers: []Number{countNum("Documents", total, "/documents"), countNum("Approved and within their review date", current, "/documents")}}
	switch {
	case total == 0:
		return noData("No " + what + " is recorded yet."), nil
	case current > 0:
		res.Status, res.Summary = Met, fmt.Sprintf("The %s is approved and its review date has not passed.", what)
	case approved > 0:
		res.Status, res.Summary = PartlyMet, fmt.Sprintf("The %s is approved but its review is overdue or has no date.", what)
	default:
		res.Status, res.Summary = NotMet, fmt.Sprintf("The %s is recorded but not approved.", what)
	}
	return res, nil
}

func policyApproved(ctx context.Context, in Input) (Result, error) {
	return approvedDocument(ctx, in, "service management policy", "doc_type = 'policy' AND process_key <> 'security'")
}

func policiesAcknowledged(ctx context.Context, in Input) (Result, error) {
	var policies, owed, done int
	err := scan(ctx, in.Q, []*int{&policies, &owed, &done}, `SELECT
		(SELECT COUNT(*) FROM documents WHERE doc_type = 'policy' AND status = 'approved' AND requires_ack <> 0 AND current_version_id IS NOT NULL),
		COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM document_acknowledgements a WHERE a.version_id = d.current_version_id AND a.user_id = u.id) THEN 1 ELSE 0 END), 0)
		FROM documents d CROSS JOIN users u
		WHERE d.doc_type = 'policy' AND d.status = 'approved' AND d.requires_ack <> 0 AND d.current_version_id IS NOT NULL
		AND u.active AND u.role IN ('admin', 'agent')`)
	if err != nil {
		return Result{}, err
	}
	if policies == 0 {
		return noData("No approved policy asks for acknowledgement yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/users", ""), `SELECT u.id, u.name FROM users u WHERE u.active AND u.role IN ('admin', 'agent')
		AND EXISTS (SELECT 1 FROM documents d WHERE d.doc_type = 'policy' AND d.status = 'approved' AND d.requires_ack <> 0 AND d.current_version_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM document_acknowledgements a WHERE a.version_id = d.current_version_id AND a.user_id = u.id))
		ORDER BY u.name LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: done, total: owed, links: links,
		noDataSummary: "No active staff are recorded to acknowledge the policies.",
		summary: fmt.Sprintf("%s of the %s acknowledgements owed by staff for the %d %s in force are recorded; %s.",
			pct(done, owed), num(owed), policies, plural(policies, "policy", "policies"), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Policies asking for acknowledgement", policies, "/documents?type=policy"), shareNum("Acknowledged", done, owed, "/documents?type=policy")}}.result(), nil
}

func processOwners(ctx context.Context, in Input) (Result, error) {
	var total, owned, raci int
	if err := scan(ctx, in.Q, []*int{&total, &owned, &raci}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN owner_id IS NOT NULL THEN 1 ELSE 0 END), 0),
		(SELECT COUNT(*) FROM process_raci) FROM processes`); err != nil {
		return Result{}, err
	}
	// The processes are there from the start; until someone has appointed
	// an owner or written a RACI line nothing has been recorded.
	if owned == 0 && raci == 0 {
		return noData("No process owners or RACI lines are recorded yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/processes", ""), `SELECT id, name FROM processes WHERE owner_id IS NULL ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: owned, total: total, met: 1, partly: sharePartly, links: links,
		// Every process needs an owner: a process nobody owns is one nobody
		// answers for.
		summary: fmt.Sprintf("%d of the %d processes have an owner; met when all have one, partly met from 80%%.", owned, total),
		numbers: []Number{countNum("Processes", total, "/processes"), countNum("Without an owner", total-owned, "/processes")}}.result(), nil
}

func raciAccountable(ctx context.Context, in Input) (Result, error) {
	var withRACI, oneA int
	if err := scan(ctx, in.Q, []*int{&withRACI, &oneA}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN a = 1 THEN 1 ELSE 0 END), 0)
		FROM (SELECT process_id, SUM(CASE WHEN letter = 'A' THEN 1 ELSE 0 END) AS a FROM process_raci GROUP BY process_id) x`); err != nil {
		return Result{}, err
	}
	var total int
	if err := scan(ctx, in.Q, []*int{&total}, `SELECT COUNT(*) FROM processes`); err != nil {
		return Result{}, err
	}
	if withRACI == 0 {
		return noData("No RACI lines are recorded yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/processes", ""), `SELECT p.id, p.name FROM processes p
		WHERE (SELECT COUNT(*) FROM process_raci r WHERE r.process_id = p.id AND r.letter = 'A') <> 1 ORDER BY p.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: oneA, total: total, links: links,
		summary: fmt.Sprintf("%d of the %d processes have a RACI with exactly one accountable; %s.", oneA, total, thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Processes with a RACI", withRACI, "/processes"), countNum("With exactly one accountable", oneA, "/processes")}}.result(), nil
}
