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
	rows, err := s.DB.Query(ctx, `SELECT i.id, COUNT(a.id), MAX(a.resolved_at) FROM incidents i JOIN alerts a ON a.incident_id = i.id
		WHERE i.source = 'event' AND i.state IN ('new', 'in_progress', 'on_hold')
		GROUP BY i.id HAVING SUM(CASE WHEN a.state <> 'resolved' THEN 1 ELSE 0 END) = 0 LIMIT 1000`)
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
		var last store.Time
		if err := rows.Scan(&d.id, &d.count, &last); err != nil {
			rows.Close()
			return 0, err
		}
		if !now.Before(last.Time.Add(st.HoldDown.D())) {
			list = append(list, d)
		}
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
			var active int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM alerts WHERE incident_id = ? AND state <> 'resolved'`, d.id).Scan(&active); err != nil {
				return err
			}
			if active > 0 {
				return nil
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
