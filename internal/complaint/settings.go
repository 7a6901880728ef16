package complaint

import (
	"context"
	"errors"
	"strconv"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

const targetDaysKey = "complaint.target_days"

// MaxTargetDays bounds the target a setting may give.
const MaxTargetDays = 365

// TargetDays is how many calendar days a new complaint has to be closed.
func TargetDays(ctx context.Context, q store.Querier) (int, error) {
	var raw string
	err := store.ScanErr(q.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", targetDaysKey).Scan(&raw))
	if errors.Is(err, store.ErrNotFound) {
		return DefaultTargetDays, nil
	} else if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > MaxTargetDays {
		return DefaultTargetDays, nil
	}
	return n, nil
}

// SetTargetDays keeps the target for new complaints, inside tx.
func SetTargetDays(ctx context.Context, tx *store.Tx, actor audit.Actor, days int) error {
	if days < 1 || days > MaxTargetDays {
		return domainerr.Field("complaint_target_days", "must be a whole number of days from 1 to %d", MaxTargetDays)
	}
	old, err := TargetDays(ctx, tx)
	if err != nil || old == days {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		targetDaysKey, strconv.Itoa(days), store.TS(time.Now())); err != nil {
		return err
	}
	return audit.Record(ctx, tx, actor, "update", "complaint_settings", 0, map[string]int{"old_target_days": old, "target_days": days})
}
