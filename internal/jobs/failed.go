package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// Failed is a job parked after its last attempt failed, waiting for an
// administrator to retry or discard it.
type Failed struct {
	ID        int64
	Kind      string
	Payload   json.RawMessage
	Attempts  int
	LastError string
	CreatedAt time.Time
	FailedAt  time.Time
}

// ListFailed lists parked jobs in the order they were enqueued, limit at a
// time (100 when limit is not positive, at most 500), starting after the
// job afterID (0 for the first page).
func ListFailed(ctx context.Context, db *store.DB, limit int, afterID int64) ([]Failed, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	rs, err := db.Query(ctx, `SELECT id, kind, payload, attempts, last_error, created_at, finished_at FROM jobs
		WHERE state = 'failed' AND id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := []Failed{}
	for rs.Next() {
		var f Failed
		var payload string
		var created, failed store.Time
		if err := rs.Scan(&f.ID, &f.Kind, &payload, &f.Attempts, &f.LastError, &created, &failed); err != nil {
			return nil, err
		}
		f.Payload, f.CreatedAt, f.FailedAt = json.RawMessage(payload), created.Time, failed.Time
		out = append(out, f)
	}
	return out, rs.Err()
}

// Retry gives a parked job a fresh set of attempts, the first due now, and
// records who did in the audit trail. It returns store.ErrNotFound when no
// failed job has that id.
//
// When a job of the same kind and key is pending already (the next
// occurrence of a periodic job, or a newer job enqueued since), that one
// stands for the parked job, as Enqueue's newer-wins rule has it: it is
// brought forward to now and the parked row is removed.
func Retry(ctx context.Context, db *store.DB, actor audit.Actor, id int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		now := store.TS(time.Now())
		var kind string
		var key sql.NullString
		err := store.ScanErr(tx.QueryRow(ctx, "SELECT kind, dedup_key FROM jobs WHERE id = ? AND state = 'failed'", id).Scan(&kind, &key))
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "retry", "job", id, map[string]string{"kind": kind}); err != nil {
			return err
		}
		if key.Valid {
			var pending int64
			err := store.ScanErr(tx.QueryRow(ctx, "SELECT id FROM jobs WHERE kind = ? AND dedup_key = ? AND state = 'pending'",
				kind, key.String).Scan(&pending))
			if err == nil {
				if _, err := tx.Exec(ctx, "UPDATE jobs SET run_at = ? WHERE id = ? AND run_at > ?", now, pending, now); err != nil {
					return err
				}
				_, err = tx.Exec(ctx, "DELETE FROM jobs WHERE id = ?", id)
				return err
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, finished_at = NULL,
			locked_by = NULL, locked_until = NULL WHERE id = ?`, now, id)
		return err
	})
}

// Discard deletes a parked job and records who did, with what the job
// was, in the audit trail. It returns store.ErrNotFound when no failed job
// has that id.
func Discard(ctx context.Context, db *store.DB, actor audit.Actor, id int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var kind, payload, lastError string
		err := store.ScanErr(tx.QueryRow(ctx, "SELECT kind, payload, last_error FROM jobs WHERE id = ? AND state = 'failed'", id).
			Scan(&kind, &payload, &lastError))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM jobs WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "discard", "job", id,
			map[string]any{"kind": kind, "payload": json.RawMessage(payload), "last_error": lastError})
	})
}
