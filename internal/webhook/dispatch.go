package webhook

import (
	"context"
	"encoding/json"
	"slices"

	"steward/internal/activity"
	"steward/internal/store"
)

// dispatchBatch is how many feed entries one dispatcher transaction reads.
const dispatchBatch = 500

// subscriber is what the dispatcher needs of a subscription.
type subscriber struct {
	id     int64
	events []string
	from   int64
}

func (sb subscriber) wants(e activity.Entry) bool {
	return e.ID > sb.from && (slices.Contains(sb.events, AllEvents) || slices.Contains(sb.events, e.Kind))
}

// Dispatch moves the feed's new entries into the outbox, one delivery
// per entry and active subscription that wants its kind, and returns how
// many deliveries it wrote. The cursor moves in the transaction that
// writes them, under a lock nodes share, so each entry is queued once.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	total := 0
	if behind, err := s.behind(ctx); err != nil || !behind {
		return 0, err
	}
	for {
		n, more, err := s.dispatchOnce(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

func (s *Service) dispatchOnce(ctx context.Context) (queued int, more bool, err error) {
	now := store.TS(s.now())
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		q := `SELECT last_activity_id FROM webhook_cursor WHERE id = 1`
		if tx.Dialect() == store.Postgres {
			q += ` FOR UPDATE`
		}
		var cursor int64
		if err := tx.QueryRow(ctx, q).Scan(&cursor); err != nil {
			return err
		}
		entries, err := activity.List(ctx, tx, activity.Filter{After: cursor, Limit: dispatchBatch})
		if err != nil || len(entries) == 0 {
			return err
		}
		subs, err := subscribers(ctx, tx)
		if err != nil {
			return err
		}
		for _, e := range entries {
			var body []byte
			for _, sb := range subs {
				if !sb.wants(e) {
					continue
				}
				if body == nil {
					if body, err = json.Marshal(e); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, activity_id, kind, entity, entity_id, ref,
					payload, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					sb.id, e.ID, e.Kind, e.Entity, e.EntityID, e.Ref, string(body), now, now); err != nil {
					return err
				}
				queued++
			}
		}
		more = len(entries) == dispatchBatch
		_, err = tx.Exec(ctx, `UPDATE webhook_cursor SET last_activity_id = ?, updated_at = ? WHERE id = 1`, entries[len(entries)-1].ID, now)
		return err
	})
	return queued, more, err
}

// subscribers are the subscriptions collecting deliveries: active ones,
// paused or not (a paused receiver's deliveries wait for it).
func subscribers(ctx context.Context, q store.Querier) ([]subscriber, error) {
	rows, err := q.Query(ctx, `SELECT id, events, from_activity_id FROM webhooks WHERE active ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []subscriber
	for rows.Next() {
		var sb subscriber
		var events string
		if err := rows.Scan(&sb.id, &events, &sb.from); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(events), &sb.events); err != nil {
			return nil, err
		}
		out = append(out, sb)
	}
	return out, rows.Err()
}

// behind reports whether the feed has entries past the cursor, read
// without taking the write lock, so an idle node's polls cost two reads.
func (s *Service) behind(ctx context.Context) (bool, error) {
	var cursor, last int64
	err := s.DB.QueryRow(ctx, `SELECT c.last_activity_id, COALESCE((SELECT MAX(id) FROM activity), 0)
		FROM webhook_cursor c WHERE c.id = 1`).Scan(&cursor, &last)
	return last > cursor, err
}
