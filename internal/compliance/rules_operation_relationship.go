package compliance

import (
	"context"
	"fmt"
	"strings"

	"steward/internal/store"
)

// Clauses 8.3 and 8.4: relationships and agreements with customers and
// suppliers, and supply and demand (budget, demand, capacity).

// The share of SLA targets met over a quarter at which service levels are
// met: the common contractual floor is 90%, and below 75% customers see it.
const (
	slaTarget = 0.90
	slaPartly = 0.75
)

var (
	_ = Register(Rule{ID: "8.3.2-customer-reviews", Clause: "8.3.2", Title: "Customers are reviewed with at least once a year",
		Todo: "Hold a service review with each customer not met in the last year and record it on the customer's party record.",
		Eval: customerReviews})
	_ = Register(Rule{ID: "8.3.2-complaints-closed", Clause: "8.3.2", Title: "Complaints are handled to closure on time",
		Todo: "Close the overdue complaints or agree new dates with the customer.",
		Eval: complaintsClosed})
	_ = Register(Rule{ID: "8.3.2-satisfaction", Clause: "8.3.2", Title: "Customer satisfaction is measured",
		Todo: "Survey requesters after resolution (Administration, Surveys & complaints) and raise the response rate: ask them in person why they do not answer.",
		Eval: satisfactionMeasured})
	_ = Register(Rule{ID: "8.3.2-service-reviews", Clause: "8.3.2", Title: "Service reviews with customers are held when planned",
		Todo: "Hold the overdue service reviews with their customers and record the minutes.",
		Eval: serviceReviewsHeld})
	_ = Register(Rule{ID: "8.3.3-sla-attainment", Clause: "8.3.3", Title: "SLA targets are met over the last quarter",
		Todo: "Analyse the breaches behind the shortfall with the service owners and agree actions.",
		Eval: slaAttainment})
	_ = Register(Rule{ID: "8.3.3-agreements-reviewed", Clause: "8.3.3", Title: "SLAs are measured and reviewed with the customer on time",
		Todo: "Give each SLA measurable targets (an active definition) and review the overdue ones with the customer.",
		Eval: agreementsReviewed})
	_ = Register(Rule{ID: "8.3.4-contracts-current", Clause: "8.3.4", Title: "Supplier contracts are in term and reviewed on time",
		Todo: "Renew or end the lapsed contracts and review the overdue ones with the supplier.",
		Eval: contractsCurrent})
	_ = Register(Rule{ID: "8.3.4-supplier-performance", Clause: "8.3.4", Title: "Suppliers meet the targets of their contracts",
		Todo: "Review the suppliers' missed targets with them and record what they will do.",
		Eval: supplierPerformance})
	_ = Register(Rule{ID: "8.4.1-documented", Clause: "8.4.1", Title: "Budgeting and accounting for services is documented",
		Todo: "Describe how services are budgeted and accounted in an approved process document.",
		Eval: processDocument("budgeting", "description of budgeting and accounting")})
	_ = Register(Rule{ID: "8.4.2-documented", Clause: "8.4.2", Title: "Demand management is documented",
		Todo: "Describe how demand is forecast and managed in an approved process document.",
		Eval: processDocument("demand", "description of demand management")})
	_ = Register(Rule{ID: "8.4.3-documented", Clause: "8.4.3", Title: "Capacity management is documented",
		Todo: "Describe how capacity is planned and monitored in an approved process or plan document.",
		Eval: processDocument("capacity", "description or plan of capacity management")})
)

// processDocument judges the approved process, procedure or plan documents
// of one process.
func processDocument(key, what string) func(context.Context, Input) (Result, error) {
	return func(ctx context.Context, in Input) (Result, error) {
		return approvedDocument(ctx, in, what, "doc_type IN ('process', 'procedure', 'plan') AND process_key = ?", key)
	}
}

func customerReviews(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var total, reviewed int
	if err := scan(ctx, in.Q, []*int{&total, &reviewed}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN reviewed_on >= ? THEN 1 ELSE 0 END), 0)
		FROM interested_parties WHERE category = 'customer'`, day(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/parties", ""), `SELECT id, name FROM interested_parties
		WHERE category = 'customer' AND (reviewed_on IS NULL OR reviewed_on < ?) ORDER BY id LIMIT 20`, day(from))
	if err != nil {
		return Result{}, err
	}
	return ratio{good: reviewed, total: total, met: 0.90, partly: 0.60, period: p, links: links,
		noDataSummary: "No customers are recorded as interested parties yet.",
		summary:       fmt.Sprintf("%s of the %s customers recorded as interested parties were reviewed in the last 12 months; %s.", pct(reviewed, total), num(total), thresholds(0.90, 0.60)),
		numbers:       []Number{countNum("Customers", total, "/parties?category=customer"), countNum("Not reviewed in 12 months", total-reviewed, "/parties?category=customer")}}.result(), nil
}

// complaintsClosed counts complaints kept as records (CMP-) and, for an
// organisation that logged them before, nonconformities from a complaint.
func complaintsClosed(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	today := day(in.Now)
	var total, onTime, ncTotal, ncOnTime int
	if err := scan(ctx, in.Q, []*int{&total, &onTime}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN (state = 'closed' AND SUBSTR(CAST(closed_at AS TEXT), 1, 10) <= target_on)
			OR (state <> 'closed' AND target_on >= ?) THEN 1 ELSE 0 END), 0)
		FROM complaints WHERE state <> 'closed' OR created_at >= ?`, today, store.TS(from)); err != nil {
		return Result{}, err
	}
	if err := scan(ctx, in.Q, []*int{&ncTotal, &ncOnTime}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN (state = 'closed' AND (due_on IS NULL OR SUBSTR(CAST(closed_at AS TEXT), 1, 10) <= due_on))
			OR (state <> 'closed' AND due_on >= ?) THEN 1 ELSE 0 END), 0)
		FROM nonconformities WHERE source = 'complaint' AND state <> 'cancelled' AND (state <> 'closed' OR raised_on >= ?)`, today, day(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/complaints", "CMP-"), `SELECT id, title FROM complaints
		WHERE (state <> 'closed' AND target_on < ?) OR (state = 'closed' AND created_at >= ? AND SUBSTR(CAST(closed_at AS TEXT), 1, 10) > target_on)
		ORDER BY target_on, id LIMIT 20`, today, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	ncLinks, err := linkRows(ctx, in.Q, to("/nonconformities", ""), `SELECT id, title FROM nonconformities
		WHERE source = 'complaint' AND state NOT IN ('closed', 'cancelled') AND (due_on IS NULL OR due_on < ?) ORDER BY due_on, id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	all, good := total+ncTotal, onTime+ncOnTime
	return ratio{good: good, total: all, met: 0.90, partly: 0.70, period: p, links: append(links, ncLinks...),
		noDataSummary: "No complaints are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s complaints open or raised in the last 12 months were closed on time or are within their date; %s.", pct(good, all), num(all), thresholds(0.90, 0.70)),
		numbers: []Number{countNum("Complaints", total, "/complaints"), countNum("Late", total-onTime, "/complaints"),
			countNum("Complaints kept as nonconformities", ncTotal, "/nonconformities?source=complaint")}}.result(), nil
}

// Survey response rates: a third answering is a measure to rely on; under
// one in ten it says little about the customers who stay silent.
const (
	responseMet    = 0.30
	responsePartly = 0.10
)

// satisfactionMeasured judges the surveys sent after resolution over the
// last 12 months by how many were answered.
func satisfactionMeasured(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var sent, answered, ratingSum int
	if err := scan(ctx, in.Q, []*int{&sent, &answered, &ratingSum}, `SELECT COUNT(*), COUNT(answered_at), COALESCE(SUM(rating), 0)
		FROM satisfaction_surveys WHERE sent_at >= ?`, store.TS(from)); err != nil {
		return Result{}, err
	}
	average := "no rating yet"
	if answered > 0 {
		average = fmt.Sprintf("an average of %.1f of 5", float64(ratingSum)/float64(answered))
	}
	links := []Link{{Label: "Satisfaction by service, group, agent and customer", URL: "/satisfaction"}}
	return ratio{good: answered, total: sent, met: responseMet, partly: responsePartly, period: p, links: links,
		noDataSummary: "No satisfaction surveys were sent in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s surveys sent in the last 12 months were answered, with %s; %s.",
			pct(answered, sent), num(sent), average, thresholds(responseMet, responsePartly)),
		numbers: []Number{countNum("Surveys sent", sent, "/satisfaction"), countNum("Answered", answered, "/satisfaction")}}.result(), nil
}

// serviceReviewsHeld judges the service reviews that came due in the last
// 12 months: held, or still waiting past their date.
func serviceReviewsHeld(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	today := day(in.Now)
	var due, held int
	if err := scan(ctx, in.Q, []*int{&due, &held}, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'held' THEN 1 ELSE 0 END), 0)
		FROM service_reviews WHERE state <> 'cancelled' AND planned_on >= ? AND planned_on <= ?`, day(from), today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/service-reviews", ""), `SELECT r.id, COALESCE(a.name, '') FROM service_reviews r
		LEFT JOIN agreements a ON a.id = r.agreement_id
		WHERE r.state = 'planned' AND r.planned_on < ? ORDER BY r.planned_on, r.id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: held, total: due, met: 0.90, partly: 0.60, period: p, links: links,
		noDataSummary: "No service reviews with customers came due in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s service reviews due in the last 12 months were held; %s.",
			pct(held, due), num(due), thresholds(0.90, 0.60)),
		numbers: []Number{countNum("Reviews due", due, "/service-reviews"), countNum("Overdue", due-held, "/service-reviews")}}.result(), nil
}

// timers chooses SLA timers: of agreements of some kinds (any when none
// is named), of one ticket kind and metric (any when empty).
type timers struct {
	kinds          []string
	ticket, metric string
}

// where is the filter on sla_timers t, after the period; ok is false when
// no agreement of the kinds exists. The agreement is matched against a
// list read first rather than joined, so that the count walks the period
// in the outcome index whatever the planner thinks of the agreements.
func (f timers) where(ctx context.Context, in Input) (string, []any, bool, error) {
	var sql string
	var args []any
	// Written as expressions (|| '') so that SQLite walks the period in the
	// outcome index, which holds these columns, instead of every timer of
	// the ticket kind.
	if f.ticket != "" {
		sql, args = sql+" AND t.ticket_kind || '' = ?", append(args, f.ticket)
	}
	if f.metric != "" {
		sql, args = sql+" AND t.metric || '' = ?", append(args, f.metric)
	}
	if len(f.kinds) == 0 {
		return sql, args, true, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.kinds)), ", ")
	kinds := make([]any, len(f.kinds))
	for i, k := range f.kinds {
		kinds[i] = k
	}
	ids, err := store.IDs(ctx, in.Q, `SELECT id FROM agreements WHERE kind IN (`+marks+`) ORDER BY id LIMIT 1000`, kinds...)
	if err != nil || len(ids) == 0 {
		return "", nil, false, err
	}
	// The unary plus keeps SQLite from walking the timers by agreement.
	sql += " AND +t.agreement_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	for _, id := range ids {
		args = append(args, id)
	}
	return sql, args, true, nil
}

// attainment counts the SLA timers decided over the last quarter that
// match f: how many met their target.
func attainment(ctx context.Context, in Input, f timers) (met, total int, p *Period, err error) {
	from, to, p := window(in, quarter)
	where, args, ok, err := f.where(ctx, in)
	if err != nil || !ok {
		return 0, 0, p, err
	}
	err = scan(ctx, in.Q, []*int{&total, &met}, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN t.state = 'met' THEN 1 ELSE 0 END), 0)
		FROM sla_timers t WHERE t.decided_at >= ? AND t.decided_at < ? AND t.state IN ('met', 'breached')`+where,
		append([]any{store.TS(from), store.TS(to)}, args...)...)
	return met, total, p, err
}

// breachedTickets links the incidents and requests behind the latest
// breached timers that match f.
func breachedTickets(ctx context.Context, in Input, f timers) ([]Link, error) {
	from, _, _ := window(in, quarter)
	where, args, ok, err := f.where(ctx, in)
	if err != nil || !ok {
		return []Link{}, err
	}
	rows, err := in.Q.Query(ctx, `SELECT t.ticket_kind, t.ticket_id, COALESCE(i.title, r.title, '')
		FROM sla_timers t
		LEFT JOIN incidents i ON t.ticket_kind = 'incident' AND i.id = t.ticket_id
		LEFT JOIN requests r ON t.ticket_kind = 'request' AND r.id = t.ticket_id
		WHERE t.decided_at >= ? AND t.state = 'breached'`+where+` ORDER BY t.decided_at DESC LIMIT 20`,
		append([]any{store.TS(from)}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		var kind, title string
		var id int64
		if err := rows.Scan(&kind, &id, &title); err != nil {
			return nil, err
		}
		if kind == "request" {
			out = append(out, numbered("/requests", "REQ-")(id, title))
		} else {
			out = append(out, numbered("/incidents", "INC-")(id, title))
		}
	}
	return out, rows.Err()
}

func slaAttainment(ctx context.Context, in Input) (Result, error) {
	met, total, p, err := attainment(ctx, in, timers{kinds: []string{"sla"}})
	if err != nil {
		return Result{}, err
	}
	links, err := breachedTickets(ctx, in, timers{kinds: []string{"sla"}})
	if err != nil {
		return Result{}, err
	}
	return ratio{good: met, total: total, met: slaTarget, partly: slaPartly, period: p, links: links,
		noDataSummary: "No SLA target was decided (met or breached) in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s SLA targets (response and resolution) decided in the last 90 days were met; the target is %d%%.",
			pct(met, total), num(total), int(slaTarget*100)),
		numbers: []Number{countNum("SLA targets decided", total, "/reports/sla"), shareNum("Met", met, total, "/reports/sla"), countNum("Breached", total-met, "/reports/sla")}}.result(), nil
}

func agreementsReviewed(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN review_date >= ? AND EXISTS (SELECT 1 FROM sla_definitions d WHERE d.agreement_id = a.id AND d.active) THEN 1 ELSE 0 END), 0)
		FROM agreements a WHERE a.active AND a.kind = 'sla'`, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/agreements", ""), `SELECT a.id, a.name FROM agreements a WHERE a.active AND a.kind = 'sla'
		AND NOT (a.review_date >= ? AND EXISTS (SELECT 1 FROM sla_definitions d WHERE d.agreement_id = a.id AND d.active)) ORDER BY a.id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No service level agreements are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s active SLAs have measured targets and a review date not yet passed; %s.", pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Active SLAs", total, "/agreements"), countNum("Unmeasured or overdue for review", total-good, "/agreements")}}.result(), nil
}

func contractsCurrent(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN review_date >= ? AND (contract_end IS NULL OR contract_end >= ?) THEN 1 ELSE 0 END), 0)
		FROM agreements WHERE active AND kind = 'uc'`, today, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/agreements", ""), `SELECT id, name FROM agreements WHERE active AND kind = 'uc'
		AND NOT (review_date >= ? AND (contract_end IS NULL OR contract_end >= ?)) ORDER BY id LIMIT 20`, today, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No supplier contracts (underpinning contracts) are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s active supplier contracts are in term with a review date not yet passed; %s.", pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Active supplier contracts", total, "/agreements"), countNum("Lapsed or overdue for review", total-good, "/agreements")}}.result(), nil
}

func supplierPerformance(ctx context.Context, in Input) (Result, error) {
	met, total, p, err := attainment(ctx, in, timers{kinds: []string{"uc", "ola"}})
	if err != nil {
		return Result{}, err
	}
	links, err := breachedTickets(ctx, in, timers{kinds: []string{"uc", "ola"}})
	if err != nil {
		return Result{}, err
	}
	return ratio{good: met, total: total, met: slaTarget, partly: slaPartly, period: p, links: links,
		noDataSummary: "No target of a supplier contract or OLA was decided in the last 90 days.",
		summary: fmt.Sprintf("%s of the %s targets of supplier contracts and OLAs decided in the last 90 days were met; the target is %d%%.",
			pct(met, total), num(total), int(slaTarget*100)),
		numbers: []Number{countNum("Targets decided", total, "/reports/sla"), shareNum("Met", met, total, "/reports/sla")}}.result(), nil
}
