package compliance

import (
	"context"
	"fmt"
	"time"

	"steward/internal/store"
)

// Clause 8.5: change management, service design and transition, release
// and deployment.

// Change figures practitioners hold to: emergency changes at most one in
// ten (more means planning is failing), and at least nine changes in ten
// successful.
const (
	emergencyMax    = 0.10
	emergencyPartly = 0.20
	changeSuccess   = 0.90
	changePartly    = 0.80
)

var (
	_ = Register(Rule{ID: "8.5.1-approved-first", Clause: "8.5.1", Title: "Changes are approved before they are implemented",
		Todo: "Find out how the unapproved changes came to be implemented and close the gap in the process.",
		Eval: approvedFirst})
	_ = Register(Rule{ID: "8.5.1-plans", Clause: "8.5.1", Title: "Implemented normal and emergency changes had a test and a back-out plan",
		Todo: "Require a test plan and a back-out plan before a change is approved.",
		Eval: changePlans})
	_ = Register(Rule{ID: "8.5.1-emergency-share", Clause: "8.5.1", Title: "Emergency changes stay the exception",
		Todo: "Look at why changes were raised as emergencies and plan such work ahead.",
		Eval: emergencyShare})
	_ = Register(Rule{ID: "8.5.1-success-rate", Clause: "8.5.1", Title: "Changes succeed",
		Todo: "Review the failed and backed-out changes for what they have in common.",
		Eval: changeSuccessRate})
	_ = Register(Rule{ID: "8.5.1-failed-reviewed", Clause: "8.5.1", Title: "Failed and backed-out changes are reviewed",
		Todo: "Write the review of each failed or backed-out change: cause and what changes next time.",
		Eval: failedReviewed})
	_ = Register(Rule{ID: "8.5.2-new-services-transitioned", Clause: "8.5.2", Title: "New services went through change management",
		Todo: "Raise a change for each new service (design, build and transition plan) and link the service to it.",
		Eval: newServicesTransitioned})
	_ = Register(Rule{ID: "8.5.3-acceptance", Clause: "8.5.3", Title: "Releases have acceptance criteria and test results",
		Todo: "Record the acceptance criteria and the test results of each release before it is deployed.",
		Eval: releaseAcceptance})
	_ = Register(Rule{ID: "8.5.3-deployments-verified", Clause: "8.5.3", Title: "Deployments are verified",
		Todo: "Verify the pending deployments and record whether they passed.",
		Eval: deploymentsVerified})
)

// implemented is the filter for changes whose implementation started in
// the window: the ones whose control can be judged.
const implemented = "actual_start >= ? AND actual_start < ?"

func approvedFirst(ctx context.Context, in Input) (Result, error) {
	from, to, p := window(in, quarter)
	var total, approved int
	if err := scan(ctx, in.Q, []*int{&total, &approved}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN approved_at IS NOT NULL AND approved_at <= actual_start THEN 1 ELSE 0 END), 0)
		FROM changes WHERE `+implemented, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/changes", "CHG-"), `SELECT id, title FROM changes WHERE `+implemented+`
		AND (approved_at IS NULL OR approved_at > actual_start) ORDER BY actual_start DESC LIMIT 20`, store.TS(from), store.TS(to))
	if err != nil {
		return Result{}, err
	}
	// An unauthorised change is a finding on its own: the bar is all.
	return ratio{good: approved, total: total, met: 1, partly: shareMet, period: p, links: links,
		noDataSummary: "No change was implemented in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s changes implemented in the last 90 days were approved before implementation started; met when all were, partly met from 95%%.",
			pct(approved, total), num(total)),
		numbers: []Number{countNum("Changes implemented", total, "/changes"), countNum("Implemented without prior approval", total-approved, "/changes")}}.result(), nil
}

func changePlans(ctx context.Context, in Input) (Result, error) {
	from, to, p := window(in, quarter)
	var total, planned int
	if err := scan(ctx, in.Q, []*int{&total, &planned}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN test_plan <> '' AND backout_plan <> '' THEN 1 ELSE 0 END), 0)
		FROM changes WHERE type <> 'standard' AND `+implemented, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/changes", "CHG-"), `SELECT id, title FROM changes WHERE type <> 'standard' AND `+implemented+`
		AND (test_plan = '' OR backout_plan = '') ORDER BY actual_start DESC LIMIT 20`, store.TS(from), store.TS(to))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: planned, total: total, period: p, links: links,
		noDataSummary: "No normal or emergency change was implemented in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s normal and emergency changes implemented in the last 90 days had a test plan and a back-out plan; %s.",
			pct(planned, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Changes implemented", total, "/changes"), countNum("Without test or back-out plan", total-planned, "/changes")}}.result(), nil
}

func emergencyShare(ctx context.Context, in Input) (Result, error) {
	from, to, p := window(in, quarter)
	var total, emergency int
	if err := scan(ctx, in.Q, []*int{&total, &emergency}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN type = 'emergency' THEN 1 ELSE 0 END), 0)
		FROM changes WHERE `+implemented, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/changes", "CHG-"), `SELECT id, title FROM changes WHERE type = 'emergency' AND `+implemented+`
		ORDER BY actual_start DESC LIMIT 20`, store.TS(from), store.TS(to))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: total - emergency, total: total, met: 1 - emergencyMax, partly: 1 - emergencyPartly, period: p, links: links,
		noDataSummary: "No change was implemented in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s changes implemented in the last 90 days were emergency changes; met up to %d%%, partly met up to %d%%.",
			pct(emergency, total), num(total), int(emergencyMax*100), int(emergencyPartly*100)),
		numbers: []Number{countNum("Changes implemented", total, "/changes"), shareNum("Emergency changes", emergency, total, "/changes?type=emergency")}}.result(), nil
}

func changeSuccessRate(ctx context.Context, in Input) (Result, error) {
	from, to, p := window(in, quarter)
	var total, ok int
	if err := scan(ctx, in.Q, []*int{&total, &ok}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN outcome IN ('successful', 'successful_with_issues') THEN 1 ELSE 0 END), 0)
		FROM changes WHERE outcome <> '' AND `+implemented, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/changes", "CHG-"), `SELECT id, title FROM changes WHERE outcome IN ('failed', 'backed_out') AND `+implemented+`
		ORDER BY actual_start DESC LIMIT 20`, store.TS(from), store.TS(to))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: ok, total: total, met: changeSuccess, partly: changePartly, period: p, links: links,
		noDataSummary: "No change implemented in the last 90 days has an outcome recorded.",
		summary: fmt.Sprintf("%s of the %s changes implemented in the last 90 days with a recorded outcome succeeded; %s.",
			pct(ok, total), num(total), thresholds(changeSuccess, changePartly)),
		numbers: []Number{countNum("Changes with an outcome", total, "/changes"), shareNum("Successful", ok, total, "/changes"), countNum("Failed or backed out", total-ok, "/changes")}}.result(), nil
}

func failedReviewed(ctx context.Context, in Input) (Result, error) {
	from, to, p := window(in, year)
	var total, reviewed int
	if err := scan(ctx, in.Q, []*int{&total, &reviewed}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN review <> '' THEN 1 ELSE 0 END), 0)
		FROM changes WHERE outcome IN ('failed', 'backed_out') AND `+implemented, store.TS(from), store.TS(to)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/changes", "CHG-"), `SELECT id, title FROM changes WHERE outcome IN ('failed', 'backed_out') AND review = '' AND `+implemented+`
		ORDER BY actual_start DESC LIMIT 20`, store.TS(from), store.TS(to))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: reviewed, total: total, period: p, links: links,
		noDataSummary: "No change failed or was backed out in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s failed or backed-out changes of the last 12 months have a review written; %s.",
			pct(reviewed, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Failed or backed out", total, "/changes"), countNum("Without a review", total-reviewed, "/changes")}}.result(), nil
}

func newServicesTransitioned(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var total, changed int
	if err := scan(ctx, in.Q, []*int{&total, &changed}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM change_services cs WHERE cs.service_id = s.id) THEN 1 ELSE 0 END), 0)
		FROM services s WHERE s.created_at >= ? AND s.status <> 'retired'`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/services", ""), `SELECT s.id, s.name FROM services s WHERE s.created_at >= ? AND s.status <> 'retired'
		AND NOT EXISTS (SELECT 1 FROM change_services cs WHERE cs.service_id = s.id) ORDER BY s.id LIMIT 20`, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: changed, total: total, met: 0.90, partly: 0.60, period: p, links: links,
		noDataSummary: "No service was added to the catalogue in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s services added in the last 12 months have a change record for their design and transition; %s.",
			pct(changed, total), num(total), thresholds(0.90, 0.60)),
		numbers: []Number{countNum("Services added", total, "/services"), countNum("Without a change record", total-changed, "/services")}}.result(), nil
}

func releaseAcceptance(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var total, accepted int
	if err := scan(ctx, in.Q, []*int{&total, &accepted}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN acceptance_criteria <> '' AND test_results <> '' THEN 1 ELSE 0 END), 0)
		FROM releases r WHERE r.state IN ('deployed', 'closed')
		AND EXISTS (SELECT 1 FROM release_deployments d WHERE d.release_id = r.id AND d.deployed_at >= ?)`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/releases", "REL-"), `SELECT r.id, r.title FROM releases r WHERE r.state IN ('deployed', 'closed')
		AND (r.acceptance_criteria = '' OR r.test_results = '')
		AND EXISTS (SELECT 1 FROM release_deployments d WHERE d.release_id = r.id AND d.deployed_at >= ?) ORDER BY r.id DESC LIMIT 20`, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: accepted, total: total, period: p, links: links,
		noDataSummary: "No release was deployed in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s releases deployed in the last 12 months recorded acceptance criteria and test results; %s.",
			pct(accepted, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Releases deployed", total, "/releases"), countNum("Without criteria or results", total-accepted, "/releases")}}.result(), nil
}

func deploymentsVerified(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, quarter)
	// A deployment gets a day to be verified before it counts against.
	until := in.Now.Add(-24 * time.Hour)
	var total, verified int
	if err := scan(ctx, in.Q, []*int{&total, &verified}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN verification <> 'pending' OR rolled_back_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM release_deployments WHERE deployed_at >= ? AND deployed_at < ?`, store.TS(from), store.TS(until)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, numbered("/releases", "REL-"), `SELECT DISTINCT r.id, r.title FROM release_deployments d JOIN releases r ON r.id = d.release_id
		WHERE d.deployed_at >= ? AND d.deployed_at < ? AND d.verification = 'pending' AND d.rolled_back_at IS NULL ORDER BY r.id DESC LIMIT 20`, store.TS(from), store.TS(until))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: verified, total: total, period: p, links: links,
		noDataSummary: "No deployment was recorded in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s deployments of the last 90 days were verified (or rolled back); %s.",
			pct(verified, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Deployments", total, "/releases"), countNum("Still unverified", total-verified, "/releases")}}.result(), nil
}

// numbered is to for numbered records (INC-, CHG-), usable where a
// window's end is named to.
func numbered(path, prefix string) func(int64, string) Link { return to(path, prefix) }
