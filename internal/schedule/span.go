package schedule

import (
	"context"
	"time"

	"steward/internal/store"
)

// longestWindow is the length of the longest planned window of a change
// that is not cancelled or rejected (an upper bound for the occupying
// ones), read from the changes_span index in one probe, with a minute
// to spare for rounding. Range queries start their scan of planned_start
// that long before the range, rather than at the first change ever.
func longestWindow(ctx context.Context, q store.Querier) (time.Duration, error) {
	sql := `SELECT coalesce(max(julianday(planned_end) - julianday(planned_start)), 0) * 86400 FROM changes
		WHERE planned_start IS NOT NULL AND state NOT IN ('cancelled', 'rejected')`
	if q.Dialect() == store.Postgres {
		sql = `SELECT coalesce(extract(epoch from max(planned_end - planned_start)), 0)::float8 FROM changes
		WHERE planned_start IS NOT NULL AND state NOT IN ('cancelled', 'rejected')`
	}
	var secs float64
	if err := q.QueryRow(ctx, sql).Scan(&secs); err != nil {
		return 0, err
	}
	return time.Duration(secs*float64(time.Second)) + time.Minute, nil
}
