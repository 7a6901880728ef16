package event

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/internal/jobs"
	"steward/internal/store"
)

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// autoResolve resolves incidents opened from events whose alerts are all
// resolved and stayed resolved for the hold-down period.
func (s *Service) autoResolve(ctx context.Context, _ jobs.Job) error {
	_, err := s.AutoResolve(ctx, time.Now())
	return err
}

// AutoResolve is the automatic resolution as of now; it returns how many
// incidents it resolved. A new alert joining an incident in the hold-down
// keeps it open.
func (s *Service) AutoResolve(ctx context.Context, now time.Time) (int, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return 0, err
	}
	// Due incidents only, those whose last alert resolved longest ago
	// first, so that a backlog cannot keep any from its turn.
	cutoff := now.Add(-st.HoldDown.D())
	rows, err := s.DB.Query(ctx, `SELECT i.id, COUNT(a.id) FROM incidents i JOIN alerts a ON a.incident_id = i.id
		WHERE i.source = 'event' AND i.state IN ('new', 'in_progress', 'on_hold')
		GROUP BY i.id HAVING SUM(CASE WHEN a.state <> 'resolved' THEN 1 ELSE 0 END) = 0 AND MAX(a.resolved_at) <= ?
		ORDER BY MAX(a.resolved_at), i.id LIMIT 1000`, store.TS(cutoff))
	if err != nil {
		return 0, err
	}
	type due struct {
		id    int64
		count int
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.count); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	done := 0
	for _, d := range list {
		notes := fmt.Sprintf("All %d alerts resolved and stayed resolved for %s.", d.count, humanDuration(st.HoldDown.D()))
		if d.count == 1 {
			notes = fmt.Sprintf("Its alert resolved and stayed resolved for %s.", humanDuration(st.HoldDown.D()))
		}
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			quiet, err := quietSince(ctx, tx, d.id, cutoff)
			if err != nil || !quiet {
				return err
			}
			ok, err := s.Incidents.ResolveInTx(ctx, tx, d.id, "fixed", notes)
			if ok {
				done++
			}
			return err
		})
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// quietSince locks an incident against alerts joining it and reports
// whether all its alerts are resolved, the last one at or before cutoff.
// The processor takes the same lock before an alert joins, so that an
// alert never joins an incident being resolved.
func quietSince(ctx context.Context, tx *store.Tx, id int64, cutoff time.Time) (bool, error) {
	if err := lockIncident(ctx, tx, id); err != nil {
		return false, err
	}
	var active int
	var last store.Time
	if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN state <> 'resolved' THEN 1 ELSE 0 END), 0), MAX(resolved_at)
		FROM alerts WHERE incident_id = ?`, id).Scan(&active, &last); err != nil {
		return false, err
	}
	return active == 0 && !last.IsZero() && !last.Time.After(cutoff), nil
}

// lockIncident locks an incident's row until the transaction ends. On
// SQLite the transaction holds the database's write lock already.
func lockIncident(ctx context.Context, tx *store.Tx, id int64) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	var got int64
	return store.ScanErr(tx.QueryRow(ctx, `SELECT id FROM incidents WHERE id = ? FOR UPDATE`, id).Scan(&got))
}

func humanDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d >= time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d%time.Minute == 0 && d >= time.Minute:
		return plural(int(d/time.Minute), "minute")
	}
	return plural(int(d/time.Second), "second")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// purgeEvents deletes events older than the retention period, in bounded
// chunks, never ones the processor has not read yet.
func (s *Service) purgeEvents(ctx context.Context, _ jobs.Job) error {
	_, err := s.PurgeEvents(ctx, time.Now())
	return err
}

// PurgeEvents deletes events past retention as of now and returns how many.
func (s *Service) PurgeEvents(ctx context.Context, now time.Time) (int, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := store.TS(now.AddDate(0, 0, -st.RetentionDays))
	total := 0
	for {
		res, err := s.DB.Exec(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events
			WHERE id <= (SELECT last_event_id FROM event_cursor WHERE id = 1) AND received_at < ? ORDER BY id LIMIT 5000)`, cutoff)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if n < 5000 || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}
