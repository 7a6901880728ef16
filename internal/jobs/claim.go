package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"steward/internal/store"
)

// dueWhere matches the jobs a claim may take: pending and due, or running
// on a lease that has run out, and not of a kind whose slots are full. The
// full kinds go in as one JSON array, so the SQL text, and with it the
// prepared statement, stays the same however many there are.
func dueWhere(d store.Dialect) string {
	notFull := "kind NOT IN (SELECT value FROM json_each(?))"
	if d == store.Postgres {
		notFull = "kind NOT IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))"
	}
	return `((state = 'pending' AND run_at <= ?) OR (state = 'running' AND locked_until < ?)) AND ` + notFull
}

// claim takes up to claimBatch due jobs, asking take for each candidate's
// kind whether a slot is free; a kind refused once is skipped for the rest
// of the claim.
func (w *Worker) claim(ctx context.Context, cutoff time.Time, full []string, take func(kind string) bool) ([]Job, error) {
	due := dueWhere(w.DB.Dialect())
	// Look before taking the write lock: most polls find nothing to do.
	var one int
	err := store.ScanErr(w.DB.QueryRow(ctx, "SELECT 1 FROM jobs WHERE "+due+" LIMIT 1",
		store.TS(cutoff), store.TS(cutoff), kindList(full)).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	lock := ""
	if w.DB.Dialect() == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []Job
	err = w.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := w.parkExpired(ctx, tx, cutoff); err != nil {
			return err
		}
		now := time.Now()
		claim, until := w.token(), now.Add(w.Lease)
		excluded := append([]string(nil), full...)
		for len(out) < claimBatch {
			page, err := candidates(ctx, tx, "SELECT id, kind, dedup_key, payload, attempts FROM jobs WHERE "+due+
				" ORDER BY run_at, id LIMIT ?"+lock, store.TS(cutoff), store.TS(cutoff), kindList(excluded), claimBatch)
			if err != nil {
				return err
			}
			for _, j := range page {
				if len(out) == claimBatch {
					break
				}
				if !take(j.Kind) {
					excluded = appendNew(excluded, j.Kind)
					continue
				}
				if _, err := tx.Exec(ctx, `UPDATE jobs SET state = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1
					WHERE id = ?`, claim, store.TS(until), j.ID); err != nil {
					return err
				}
				j.Attempts++
				j.claim, j.until = claim, until
				out = append(out, j)
			}
			// A short page held every candidate left. Each row of a full
			// one was taken or is of a kind now excluded: the next page
			// moves on.
			if len(page) < claimBatch {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func candidates(ctx context.Context, tx *store.Tx, q string, args ...any) ([]Job, error) {
	rs, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var page []Job
	for rs.Next() {
		var j Job
		var key sql.NullString
		var payload string
		if err := rs.Scan(&j.ID, &j.Kind, &key, &payload, &j.Attempts); err != nil {
			return nil, err
		}
		j.Payload = json.RawMessage(payload)
		j.dedupKey = key.String
		page = append(page, j)
	}
	return page, rs.Err()
}

// parkExpired fails the jobs whose last attempt outlived its lease: a job
// that hangs or takes a node down with it must not be tried for ever.
func (w *Worker) parkExpired(ctx context.Context, tx *store.Tx, cutoff time.Time) error {
	rs, err := tx.Query(ctx, `UPDATE jobs SET state = 'failed', finished_at = ?, locked_by = NULL, locked_until = NULL,
			last_error = 'the lease ran out before the last attempt finished'
		WHERE state = 'running' AND locked_until < ? AND attempts >= ?
		RETURNING id, kind, dedup_key`, store.TS(time.Now()), store.TS(cutoff), MaxAttempts)
	if err != nil {
		return err
	}
	var parked []Job
	for rs.Next() {
		var j Job
		var key sql.NullString
		if err := rs.Scan(&j.ID, &j.Kind, &key); err != nil {
			rs.Close()
			return err
		}
		j.dedupKey = key.String
		parked = append(parked, j)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	for _, j := range parked {
		w.Log.Error("jobs: giving up: the lease ran out on the last attempt", "id", j.ID, "kind", j.Kind)
		if err := w.enqueueNext(ctx, tx, j); err != nil {
			return err
		}
	}
	return nil
}

// kindList is kinds as a JSON array; never null, which PostgreSQL's
// jsonb_array_elements_text refuses.
func kindList(kinds []string) string {
	if kinds == nil {
		return "[]"
	}
	b, _ := json.Marshal(kinds)
	return string(b)
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// finish records a run's outcome, but only while the run's claim still
// holds: once its lease has run out and another runner has claimed the
// job, the outcome is that runner's to record.
func (w *Worker) finish(ctx context.Context, j Job, runErr error) {
	record := func(tx *store.Tx) error { return w.record(ctx, tx, j, runErr) }
	err := w.DB.InTx(ctx, record)
	if errors.Is(err, store.ErrConflict) {
		// A job of the same kind and key was enqueued between record's
		// look and its write; looking again finds it.
		err = w.DB.InTx(ctx, record)
	}
	if err != nil {
		w.Log.Error("jobs: record outcome", "id", j.ID, "kind", j.Kind, "err", err)
	}
}

// held limits an UPDATE to the row of a claim still held; its arguments
// are the job's id and claim token.
const held = " WHERE id = ? AND locked_by = ? AND state = 'running'"

func (w *Worker) record(ctx context.Context, tx *store.Tx, j Job, runErr error) error {
	now := time.Now()
	var re *Reschedule
	rescheduled := errors.As(runErr, &re)
	parked := runErr != nil && !rescheduled && j.Attempts >= MaxAttempts
	var res sql.Result
	var err error
	switch {
	case runErr == nil:
		res, err = tx.Exec(ctx, "UPDATE jobs SET state = 'done', finished_at = ?, locked_by = NULL, locked_until = NULL"+held,
			store.TS(now), j.ID, j.claim)
	case rescheduled:
		res, err = w.requeue(ctx, tx, j, "run_at = ?, attempts = attempts - 1", store.TS(re.At))
	case parked:
		res, err = tx.Exec(ctx, "UPDATE jobs SET state = 'failed', last_error = ?, finished_at = ?, locked_by = NULL, locked_until = NULL"+held,
			runErr.Error(), store.TS(now), j.ID, j.claim)
	default:
		res, err = w.requeue(ctx, tx, j, "run_at = ?, last_error = ?", store.TS(now.Add(backoff(j.Attempts))), runErr.Error())
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		w.Log.Warn("jobs: claim lost: the lease ran out before the job finished; this run's outcome is dropped",
			"id", j.ID, "kind", j.Kind, "err", runErr)
		return nil
	}
	switch {
	case parked:
		w.Log.Error("jobs: giving up", "id", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", runErr)
	case runErr != nil && !rescheduled:
		w.Log.Warn("jobs: will retry", "id", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", runErr)
	}
	if runErr == nil || parked {
		return w.enqueueNext(ctx, tx, j)
	}
	return nil
}

// requeue puts the job back to pending with set applied, unless a newer
// job of the same kind and key is pending: that one supersedes it.
func (w *Worker) requeue(ctx context.Context, tx *store.Tx, j Job, set string, args ...any) (sql.Result, error) {
	if j.dedupKey != "" {
		var one int
		err := store.ScanErr(tx.QueryRow(ctx, "SELECT 1 FROM jobs WHERE kind = ? AND dedup_key = ? AND state = 'pending'",
			j.Kind, j.dedupKey).Scan(&one))
		if err == nil {
			return tx.Exec(ctx, `UPDATE jobs SET state = 'done', last_error = 'superseded by a newer pending job',
				finished_at = ?, locked_by = NULL, locked_until = NULL`+held, store.TS(time.Now()), j.ID, j.claim)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return tx.Exec(ctx, "UPDATE jobs SET state = 'pending', "+set+", locked_by = NULL, locked_until = NULL"+held,
		append(args, j.ID, j.claim)...)
}
