package kpi

import (
	"context"
	"time"

	"steward/internal/store"
)

// The customer measures (clause 8.3.2): how requesters rate the tickets
// they had resolved, how many answer, and how many complaints are closed
// by their target date.
func init() {
	for _, m := range []Metric{
		{Key: "satisfaction.average", Of: "rating|ratings", Title: "Average satisfaction rating", Unit: "of 5", Process: "business_relationship",
			HigherIsBetter: true, Filters: surveyFields, Narrowed: averageRating},
		{Key: "satisfaction.response_rate", Of: "survey sent|surveys sent", Title: "Satisfaction surveys answered", Unit: "%", Process: "business_relationship",
			HigherIsBetter: true, Filters: surveyFields, Narrowed: share(`SELECT COUNT(*), COUNT(answered_at) FROM satisfaction_surveys
				WHERE sent_at >= ? AND sent_at < ?`, "/satisfaction", surveyBy)},
		{Key: "complaint.closed_on_time_pct", Of: "closed complaint|closed complaints", Title: "Complaints closed on time", Unit: "%", Process: "business_relationship",
			HigherIsBetter: true, Compute: complaintsOnTime},
	} {
		Register(m)
	}
}

// A survey keeps the customer, service and group of its ticket, so the
// ratings narrow as the tickets do.
var (
	surveyBy     = narrowing{"customer": "customer_id = ?", "service": "service_id = ?", "group": "group_id = ?"}
	surveyFields = surveyBy.fields()
)

// averageRating is the mean of the ratings given in the period.
func averageRating(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
	out := Value{Link: linkWith("/satisfaction", f)}
	var n, sum int64
	cond, args := surveyBy.where(f)
	err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(rating), 0) FROM satisfaction_surveys
		WHERE answered_at >= ? AND answered_at < ?`+cond, append([]any{store.TS(from), store.TS(to)}, args...)...).Scan(&n, &sum)
	if err != nil || n == 0 {
		return out, err
	}
	out.N, out.Value = int(n), float64(sum)/float64(n)
	return out, nil
}

// complaintsOnTime is the share of the complaints closed in the period
// that were closed on or before their target date (a date, compared with
// the day of closure in UTC).
func complaintsOnTime(ctx context.Context, q store.Querier, from, to time.Time) (Value, error) {
	out := Value{Link: "/complaints?state=closed"}
	rows, err := q.Query(ctx, `SELECT closed_at, target_on FROM complaints WHERE closed_at >= ? AND closed_at < ? LIMIT ?`,
		store.TS(from), store.TS(to), maxSample)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	var n, hits int
	for rows.Next() {
		var closed store.Time
		var target string
		if err := rows.Scan(&closed, &target); err != nil {
			return out, err
		}
		n++
		if closed.UTC().Format(time.DateOnly) <= target {
			hits++
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		return out, err
	}
	out.N, out.Value = n, 100*float64(hits)/float64(n)
	return out, nil
}
