// Package jobs is Steward's durable background queue. Jobs are rows: they
// are enqueued inside the transaction of the change that caused them,
// claimed with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, the single
// writer on SQLite), and retried with backoff until they succeed or are
// parked as failed for an administrator. A crash loses nothing: a lease
// that runs out makes the job claimable again, on any node, and only the
// holder of the latest claim records the outcome. Periodic jobs are rows
// too, so several nodes run each occurrence once.
package jobs

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"time"

	"steward/internal/store"
)

// Job is a claimed unit of work.
type Job struct {
	ID       int64
	Kind     string
	Payload  json.RawMessage
	Attempts int

	claim    string    // the locked_by token this run holds
	until    time.Time // when the claim's lease ends
	dedupKey string
}

// Handler runs one job. Returning a *Reschedule puts the job back for later
// without counting a failure. ctx ends when the job's lease does: past that
// point another node may run the job, and this run's outcome is dropped.
type Handler func(ctx context.Context, j Job) error

// Reschedule asks for the job to run again at At.
type Reschedule struct{ At time.Time }

func (r *Reschedule) Error() string { return "rescheduled for " + r.At.Format(time.RFC3339) }

// MaxAttempts before a job is parked as failed.
const MaxAttempts = 5

// maxBackoff caps the wait between two attempts.
const maxBackoff = time.Hour

// backoff is the wait after a job's attempts-th failure: it doubles from
// 20 s up to maxBackoff, less a random quarter so that jobs which failed
// together (a supplier down) do not all come back in the same second.
func backoff(attempts int) time.Duration {
	d := maxBackoff
	if attempts < 16 {
		d = min(time.Duration(1<<attempts)*10*time.Second, maxBackoff)
	}
	return d - rand.N(d/4)
}

// EnqueueEarliest is Enqueue for a job that must run no later than runAt:
// a pending job of the same kind and key keeps the earlier of the two times.
func EnqueueEarliest(ctx context.Context, tx *store.Tx, kind, dedupKey string, runAt time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO jobs (kind, dedup_key, payload, run_at, state, created_at)
		VALUES (?, ?, '{}', ?, 'pending', ?)
		ON CONFLICT (kind, dedup_key) WHERE dedup_key IS NOT NULL AND state = 'pending'
		DO UPDATE SET run_at = CASE WHEN excluded.run_at < jobs.run_at THEN excluded.run_at ELSE jobs.run_at END`,
		kind, dedupKey, store.TS(runAt), store.TS(time.Now()))
	return err
}

// Enqueue adds a job inside tx. With a dedupKey, a pending job of the same
// kind and key is replaced (its run time and payload updated) instead of
// duplicated.
func Enqueue(ctx context.Context, tx *store.Tx, kind, dedupKey string, runAt time.Time, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	var key any
	if dedupKey != "" {
		key = dedupKey
	}
	_, err = tx.Exec(ctx, `INSERT INTO jobs (kind, dedup_key, payload, run_at, state, created_at)
		VALUES (?, ?, ?, ?, 'pending', ?)
		ON CONFLICT (kind, dedup_key) WHERE dedup_key IS NOT NULL AND state = 'pending'
		DO UPDATE SET run_at = excluded.run_at, payload = excluded.payload`,
		kind, key, string(raw), store.TS(runAt), store.TS(time.Now()))
	return err
}
