package compliance

import (
	"context"
	"fmt"
)

// Clause 8.7: availability, continuity and information security. Steward
// keeps no availability measurements or continuity tests yet: those rules
// say so rather than guess; the plans and policies are judged from the
// document register.

var (
	_ = Register(Rule{ID: "8.7.1-documented", Clause: "8.7.1", Title: "Availability requirements and plans are documented",
		Todo: "Write the availability requirements and plan in an approved document for the availability process.",
		Eval: processDocument("availability", "availability plan or process description")})
	_ = Register(Rule{ID: "8.7.2-plan", Clause: "8.7.2", Title: "A service continuity plan is approved and current",
		Todo: "Write the continuity plan (requirements, recovery objectives, procedures) and have it approved.",
		Eval: processDocument("continuity", "service continuity plan")})
	_ = Register(Rule{ID: "8.7.3-policy", Clause: "8.7.3", Title: "The information security policy is approved and current",
		Todo: "Write the information security policy, have it approved and set its review date.",
		Eval: func(ctx context.Context, in Input) (Result, error) {
			return approvedDocument(ctx, in, "information security policy", "doc_type = 'policy' AND process_key = 'security'")
		}})
	_ = Register(Rule{ID: "8.7.3-risks-assessed", Clause: "8.7.3", Title: "Information security risks are assessed and treated",
		Todo: "Assess the information security risks and decide a treatment for each.",
		Eval: securityRisks})
)

func securityRisks(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN owner_id IS NOT NULL AND treatment <> 'undecided' AND review_due >= ? THEN 1 ELSE 0 END), 0)
		FROM risks WHERE status <> 'closed' AND (process_key = 'security' OR LOWER(category) = 'security')`, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/risks", ""), `SELECT id, title FROM risks
		WHERE status <> 'closed' AND (process_key = 'security' OR LOWER(category) = 'security')
		AND NOT (owner_id IS NOT NULL AND treatment <> 'undecided' AND review_due >= ?) ORDER BY id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No information security risks are recorded yet (risks of the security process or category).",
		summary: fmt.Sprintf("%s of the %s open information security risks have an owner, a decided treatment and a review date not yet passed; %s.",
			pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Open security risks", total, "/risks?process=security"), countNum("Untreated or overdue", total-good, "/risks?process=security")}}.result(), nil
}
