package kpi

import (
	"context"
	"time"

	"steward/internal/store"
)

// The measures Steward computes from its own records. Each counts the
// records decided (resolved, closed, deployed, ...) in [from, to) so that a
// period's figure does not change once the period is over, except where
// the records themselves are corrected later.
//
// The definitions follow those already on the product's pages: the SLA
// report counts a timer in the period its outcome was decided, the problem
// overview links incidents to known errors through caused_by links, the
// change overview takes a change's outcome from its review.
func init() {
	for _, m := range []Metric{
		{Key: "incident.within_sla", Of: "incident|incidents", Title: "Incidents resolved within SLA", Unit: "%", Process: "incident", HigherIsBetter: true,
			Filters: incidentFields, Narrowed: incidentsWithinSLA("", "/reports/sla?kind=incident")},
		{Key: "incident.p1_within_sla", Of: "P1 incident|P1 incidents", ListedBy: "resolved", Title: "P1 incidents resolved within SLA", Unit: "%", Process: "incident", HigherIsBetter: true,
			Filters: incidentFields, Narrowed: incidentsWithinSLA("1", "/?view=all&priority=P1")},
		{Key: "incident.mttr_hours", Of: "resolved incident|resolved incidents", ListedBy: "resolved", Title: "Mean time to resolve an incident", Unit: "hours", Process: "incident",
			Filters: incidentFields, Narrowed: meanHours(`SELECT created_at, resolved_at FROM incidents WHERE resolved_at >= ? AND resolved_at < ?`, "/?view=all", incidentBy)},
		{Key: "incident.reopened_pct", Of: "resolved incident|resolved incidents", ListedBy: "resolved", Title: "Resolved incidents reopened", Unit: "%", Process: "incident",
			Filters: incidentFields, Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END), 0)
				FROM incidents WHERE resolved_at >= ? AND resolved_at < ?`, "/?view=all", incidentBy)},
		{Key: "incident.major_count", Of: "incident raised|incidents raised", Counts: "major incident|major incidents", ListedBy: "created", Title: "Major incidents raised", Unit: "count", Process: "incident",
			Filters: incidentFields, Narrowed: countOf(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN major THEN 1 ELSE 0 END), 0)
				FROM incidents WHERE created_at >= ? AND created_at < ?`, "/?view=all&major=yes", incidentBy)},
		{Key: "request.within_target", Of: "request|requests", Title: "Requests fulfilled within target", Unit: "%", Process: "request", HigherIsBetter: true,
			Filters: requestFields, Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM sla_timers b WHERE b.ticket_kind = 'request'
				AND b.ticket_id = r.id AND b.metric = 'resolution' AND b.state = 'breached') THEN 1 ELSE 0 END), 0)
				FROM requests r WHERE r.fulfilled_at >= ? AND r.fulfilled_at < ? AND EXISTS (SELECT 1 FROM sla_timers t
				WHERE t.ticket_kind = 'request' AND t.ticket_id = r.id AND t.metric = 'resolution' AND t.state IN ('met', 'breached'))`,
				"/reports/sla?kind=request", requestBy)},
		{Key: "request.mean_fulfilment_hours", Of: "fulfilled request|fulfilled requests", ListedBy: "fulfilled", Title: "Mean time to fulfil a request", Unit: "hours", Process: "request",
			Filters: requestFields, Narrowed: meanHours(`SELECT created_at, fulfilled_at FROM requests WHERE fulfilled_at >= ? AND fulfilled_at < ?`, "/requests?view=all", requestBy)},
		{Key: "problem.known_errors", Of: "problem|problems", Counts: "known error|known errors", Title: "Known errors recorded", Unit: "count", Process: "problem", HigherIsBetter: true,
			Compute: knownErrors},
		{Key: "problem.repeat_incident_pct", Of: "incident|incidents", Title: "Incidents repeating a known error", Unit: "%", Process: "problem",
			Filters: incidentFields, Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM record_links l JOIN problems p ON p.id = l.to_id
				WHERE l.from_kind = 'incident' AND l.from_id = i.id AND l.type = 'caused_by' AND l.to_kind = 'problem'
				AND p.known_error_at IS NOT NULL AND p.known_error_at < i.created_at) THEN 1 ELSE 0 END), 0)
				FROM incidents i WHERE i.created_at >= ? AND i.created_at < ?`, "/problems/overview", incidentBy)},
		{Key: "change.success_rate", Of: "closed change|closed changes", ListedBy: "closed", Title: "Changes successful", Unit: "%", Process: "change", HigherIsBetter: true,
			Filters: changeFields, Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome IN ('successful', 'successful_with_issues') THEN 1 ELSE 0 END), 0)
				FROM changes WHERE state = 'closed' AND outcome <> '' AND closed_at >= ? AND closed_at < ?`, "/changes?state=closed", changeBy)},
		{Key: "change.emergency_pct", Of: "change|changes", ListedBy: "created", Title: "Emergency changes", Unit: "%", Process: "change",
			Filters: changeFields, Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN type = 'emergency' THEN 1 ELSE 0 END), 0)
				FROM changes WHERE created_at >= ? AND created_at < ? AND state <> 'draft'`, "/changes?state=submitted&type=emergency", changeBy)},
		{Key: "change.failed_reviewed_pct", Of: "failed change|failed changes", ListedBy: "closed", Title: "Failed changes reviewed", Unit: "%", Process: "change", HigherIsBetter: true,
			Filters: changeFields, Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN review <> '' THEN 1 ELSE 0 END), 0)
				FROM changes WHERE state = 'closed' AND outcome IN ('failed', 'backed_out') AND closed_at >= ? AND closed_at < ?`,
				"/changes?state=closed&outcome=unsuccessful", changeBy)},
		{Key: "release.change_failure_rate", Of: "deployment|deployments", Title: "Deployments failed or rolled back", Unit: "%", Process: "release",
			Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN verification = 'failed' OR rolled_back_at IS NOT NULL THEN 1 ELSE 0 END), 0)
				FROM release_deployments WHERE deployed_at >= ? AND deployed_at < ?`, "/releases", nil)},
		{Key: "cmdb.verified_pct", Of: "CI|CIs", Title: "CIs verified in the last 12 months", Unit: "%", Process: "configuration", HigherIsBetter: true,
			Compute: cisVerified},
		{Key: "sla.targets_met_pct", Of: "SLA target|SLA targets", Title: "SLA targets met", Unit: "%", Process: "service_level", HigherIsBetter: true,
			Filters: timerFields, Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'met' THEN 1 ELSE 0 END), 0)
				FROM sla_timers WHERE state IN ('met', 'breached') AND decided_at >= ? AND decided_at < ?`, "/reports/sla", timerBy)},
		{Key: "nc.mean_days_to_close", Of: "closed nonconformity|closed nonconformities", ListedBy: "closed", Title: "Mean days to close a nonconformity", Unit: "days", Process: "improvement",
			Compute: ncDaysToClose},
		{Key: "nc.overdue_actions", Of: "action|actions", Counts: "overdue action|overdue actions", Title: "Corrective actions overdue", Unit: "count", Process: "improvement",
			Compute: overdueActions},
	} {
		Register(m)
	}
}

// share computes a percentage from a query answering (records, hits) for
// the period's from and to, narrowed by the conditions by gives a filter's
// fields.
func share(query, link string, by narrowing) measure {
	return func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
		n, hits, err := pair(ctx, q, query, from, to, by, f)
		if err != nil || n == 0 {
			return Value{Link: linkWith(link, f)}, err
		}
		return Value{Value: 100 * float64(hits) / float64(n), N: n, Link: linkWith(link, f)}, nil
	}
}

// countOf is a count of hits among the records the query finds; with no
// records at all there is no data rather than a count of zero.
func countOf(query, link string, by narrowing) measure {
	return func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
		n, hits, err := pair(ctx, q, query, from, to, by, f)
		if err != nil || n == 0 {
			return Value{Link: linkWith(link, f)}, err
		}
		return Value{Value: float64(hits), N: n, Link: linkWith(link, f)}, nil
	}
}

func pair(ctx context.Context, q store.Querier, query string, from, to time.Time, by narrowing, f Filter) (int, int, error) {
	var n, hits int64
	cond, args := by.where(f)
	err := q.QueryRow(ctx, query+cond, append([]any{store.TS(from), store.TS(to)}, args...)...).Scan(&n, &hits)
	return int(n), int(hits), err
}

// knownErrors counts the problems that became known errors in the period;
// with no problems recorded before its end there is no data.
func knownErrors(ctx context.Context, q store.Querier, from, to time.Time) (Value, error) {
	out := Value{Link: "/known-errors"}
	var n, hits int64
	err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN known_error_at >= ? THEN 1 ELSE 0 END), 0)
		FROM problems WHERE created_at < ? AND (known_error_at IS NULL OR known_error_at < ?)`,
		store.TS(from), store.TS(to), store.TS(to)).Scan(&n, &hits)
	if err != nil || n == 0 {
		return out, err
	}
	out.N, out.Value = int(n), float64(hits)
	return out, nil
}

// maxSample bounds the rows a mean reads.
const maxSample = 200000

// meanHours is the mean of (end - start) over the rows the query finds.
func meanHours(query, link string, by narrowing) measure {
	return func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
		out := Value{Link: linkWith(link, f)}
		cond, args := by.where(f)
		args = append(append([]any{store.TS(from), store.TS(to)}, args...), maxSample)
		rows, err := q.Query(ctx, query+cond+" LIMIT ?", args...)
		if err != nil {
			return out, err
		}
		defer rows.Close()
		var sum float64
		for rows.Next() {
			var a, b store.Time
			if err := rows.Scan(&a, &b); err != nil {
				return out, err
			}
			if b.Time.Before(a.Time) {
				continue
			}
			sum += b.Time.Sub(a.Time).Hours()
			out.N++
		}
		if out.N > 0 {
			out.Value = sum / float64(out.N)
		}
		return out, rows.Err()
	}
}

// incidentsWithinSLA is the share of incidents resolved in the period,
// among those with a resolution clock decided, whose clock never breached.
func incidentsWithinSLA(priority, link string) measure {
	query := `SELECT COUNT(*), COALESCE(SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM sla_timers b WHERE b.ticket_kind = 'incident'
		AND b.ticket_id = i.id AND b.metric = 'resolution' AND b.state = 'breached') THEN 1 ELSE 0 END), 0)
		FROM incidents i WHERE i.resolved_at >= ? AND i.resolved_at < ? AND EXISTS (SELECT 1 FROM sla_timers t
		WHERE t.ticket_kind = 'incident' AND t.ticket_id = i.id AND t.metric = 'resolution' AND t.state IN ('met', 'breached'))`
	if priority != "" {
		query += " AND i.priority = " + priority
	}
	return share(query, link, incidentBy)
}

// cisVerified is the share of CIs not retired at the period's end that a
// verification found present (ok or differing) in the twelve months
// before it.
func cisVerified(ctx context.Context, q store.Querier, from, to time.Time) (Value, error) {
	out := Value{Link: "/baselines"}
	var n, hits int64
	err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM ci_verification_items vi
		JOIN ci_verifications v ON v.id = vi.verification_id WHERE vi.ci_id = c.id AND vi.result IN ('ok', 'differs')
		AND v.created_at >= ? AND v.created_at < ?) THEN 1 ELSE 0 END), 0)
		FROM cis c WHERE c.status <> 'retired' AND c.created_at < ?`,
		store.TS(to.AddDate(-1, 0, 0)), store.TS(to), store.TS(to)).Scan(&n, &hits)
	if err != nil || n == 0 {
		return out, err
	}
	out.N, out.Value = int(n), 100*float64(hits)/float64(n)
	return out, nil
}

// ncDaysToClose is the mean of days from raising to closing, over the
// nonconformities closed in the period.
func ncDaysToClose(ctx context.Context, q store.Querier, from, to time.Time) (Value, error) {
	out := Value{Link: "/nonconformities?state=closed"}
	rows, err := q.Query(ctx, `SELECT raised_on, closed_at FROM nonconformities WHERE state = 'closed'
		AND closed_at >= ? AND closed_at < ? LIMIT ?`, store.TS(from), store.TS(to), maxSample)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	var sum float64
	for rows.Next() {
		var raised string
		var closed store.Time
		if err := rows.Scan(&raised, &closed); err != nil {
			return out, err
		}
		r, err := time.Parse("2006-01-02", raised)
		if err != nil || closed.Time.Before(r) {
			continue
		}
		sum += closed.Time.Sub(r).Hours() / 24
		out.N++
	}
	if out.N > 0 {
		out.Value = sum / float64(out.N)
	}
	return out, rows.Err()
}

// overdueActions counts the corrective and other management-system
// actions that were still open at the period's end after their due date.
// An action done since counts in the periods it was overdue in.
func overdueActions(ctx context.Context, q store.Querier, from, to time.Time) (Value, error) {
	out := Value{Link: "/nonconformities"}
	var n, hits int64
	day := to.UTC().Format("2006-01-02")
	err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_on < ? AND status <> 'cancelled'
		AND (done_at IS NULL OR done_at >= ?) THEN 1 ELSE 0 END), 0) FROM sms_actions WHERE created_at < ?`,
		day, store.TS(to), store.TS(to)).Scan(&n, &hits)
	if err != nil || n == 0 {
		return out, err
	}
	out.N, out.Value = int(n), float64(hits)
	return out, nil
}
