// Package jobs is Steward's durable background queue. Jobs are rows: they
// are enqueued inside the transaction of the change that caused them,
// claimed with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, the single
// writer on SQLite), and retried with backoff. A crash loses nothing: a
// lease that runs out makes the job claimable again, on any node.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"steward/internal/store"
)

// Job is a claimed unit of work.
type Job struct {
	ID       int64
	Kind     string
	Payload  json.RawMessage
	Attempts int
}

// Handler runs one job. Returning a *Reschedule puts the job back for later
// without counting a failure.
type Handler func(ctx context.Context, j Job) error

// Reschedule asks for the job to run again at At.
type Reschedule struct{ At time.Time }

func (r *Reschedule) Error() string { return "rescheduled for " + r.At.Format(time.RFC3339) }

// MaxAttempts before a job is marked failed.
const MaxAttempts = 5

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

// Worker claims and runs due jobs.
type Worker struct {
	DB       *store.DB
	Handlers map[string]Handler
	Interval time.Duration // how often to look for due work
	Lease    time.Duration // how long a claim lasts before another node may take it
	Log      *slog.Logger
	name     string
}

// Run polls until ctx ends, then returns after the jobs in hand finish.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if _, err := w.RunDue(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("jobs: run", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) defaults() {
	if w.Interval <= 0 {
		w.Interval = time.Second
	}
	if w.Lease <= 0 {
		w.Lease = 5 * time.Minute
	}
	if w.name == "" {
		host, _ := os.Hostname()
		w.name = host + ":" + strconv.Itoa(os.Getpid())
	}
}

// RunDue claims due jobs and runs them one after another; it reports how many ran.
func (w *Worker) RunDue(ctx context.Context) (int, error) {
	w.defaults()
	batch, err := w.claim(ctx, 20)
	if err != nil {
		return 0, err
	}
	for _, j := range batch {
		// A job started runs to its end even when shutdown begins.
		w.finish(context.WithoutCancel(ctx), j, w.run(context.WithoutCancel(ctx), j))
	}
	return len(batch), nil
}

func (w *Worker) run(ctx context.Context, j Job) (err error) {
	h, ok := w.Handlers[j.Kind]
	if !ok {
		return fmt.Errorf("no handler for job kind %q", j.Kind)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h(ctx, j)
}

func (w *Worker) claim(ctx context.Context, n int) ([]Job, error) {
	now := time.Now()
	lock := ""
	if w.DB.Dialect() == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// Look before taking the write lock: most polls find nothing to do.
	var one int
	err := store.ScanErr(w.DB.QueryRow(ctx, `SELECT 1 FROM jobs
		WHERE (state = 'pending' AND run_at <= ?) OR (state = 'running' AND locked_until < ?) LIMIT 1`,
		store.TS(now), store.TS(now)).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []Job
	err = w.DB.InTx(ctx, func(tx *store.Tx) error {
		rs, err := tx.Query(ctx, `UPDATE jobs SET state = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM jobs
				WHERE (state = 'pending' AND run_at <= ?) OR (state = 'running' AND locked_until < ?)
				ORDER BY run_at LIMIT ?`+lock+`)
			RETURNING id, kind, payload, attempts`,
			w.name, store.TS(now.Add(w.Lease)), store.TS(now), store.TS(now), n)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var j Job
			var payload string
			if err := rs.Scan(&j.ID, &j.Kind, &payload, &j.Attempts); err != nil {
				return err
			}
			j.Payload = json.RawMessage(payload)
			out = append(out, j)
		}
		return rs.Err()
	})
	return out, err
}

func (w *Worker) finish(ctx context.Context, j Job, runErr error) {
	now := time.Now()
	var err error
	var re *Reschedule
	switch {
	case runErr == nil:
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET state = 'done', finished_at = ?, locked_by = NULL, locked_until = NULL WHERE id = ?", store.TS(now), j.ID)
	case errors.As(runErr, &re):
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET state = 'pending', run_at = ?, attempts = attempts - 1, locked_by = NULL, locked_until = NULL WHERE id = ?", store.TS(re.At), j.ID)
	case j.Attempts >= MaxAttempts:
		w.Log.Error("jobs: giving up", "id", j.ID, "kind", j.Kind, "err", runErr)
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET state = 'failed', last_error = ?, finished_at = ?, locked_by = NULL, locked_until = NULL WHERE id = ?", runErr.Error(), store.TS(now), j.ID)
	default:
		backoff := time.Duration(1<<j.Attempts) * 10 * time.Second
		w.Log.Warn("jobs: will retry", "id", j.ID, "kind", j.Kind, "in", backoff, "err", runErr)
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET state = 'pending', run_at = ?, last_error = ?, locked_by = NULL, locked_until = NULL WHERE id = ?", store.TS(now.Add(backoff)), runErr.Error(), j.ID)
	}
	if err != nil && errors.Is(store.Translate(err), store.ErrConflict) {
		// A newer pending job with the same dedup key was enqueued while
		// this one ran; it supersedes this one.
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET state = 'done', last_error = 'superseded by a newer pending job', finished_at = ?, locked_by = NULL, locked_until = NULL WHERE id = ?", store.TS(now), j.ID)
	}
	if err != nil {
		w.Log.Error("jobs: record outcome", "id", j.ID, "err", err)
	}
}
