package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"steward/internal/store"
)

// Periodic is a job kind the worker runs on a schedule. Exactly one of
// Every and Cron is set.
//
// Each occurrence is an ordinary row under the dedup key "periodic": a kind
// has at most one pending occurrence however many nodes enqueue it, and the
// claim gives it to one of them. When an occurrence finishes, or is parked
// as failed, the node that ran it enqueues the next.
type Periodic struct {
	Kind string
	// Every runs the job again this long after each run; the first run
	// is due as soon as a worker starts.
	Every time.Duration
	// Cron is a five-field cron expression or a descriptor such as
	// "@daily", read in the server's time zone unless it begins with
	// CRON_TZ=<zone>.
	Cron string
}

// periodicKey is the dedup key of every periodic occurrence.
const periodicKey = "periodic"

// schedule gives the next occurrence after a moment; cron.Schedule is one.
type schedule interface{ Next(time.Time) time.Time }

type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// Validate reports what is wrong with the worker's configuration: a
// periodic job without a handler or with an invalid schedule, a limit of
// less than one. Run logs the same and leaves periodic jobs unscheduled;
// RunDue returns it.
func (w *Worker) Validate() error {
	w.init()
	errs := []error{w.configErr}
	for _, kind := range slices.Sorted(maps.Keys(w.Concurrency)) {
		if n := w.Concurrency[kind]; n < 1 {
			errs = append(errs, fmt.Errorf("jobs: concurrency for %q is %d; it must be at least 1", kind, n))
		}
	}
	return errors.Join(errs...)
}

func (w *Worker) compile() (map[string]schedule, error) {
	out := map[string]schedule{}
	var errs []error
	for _, p := range w.Periodic {
		s, err := p.schedule()
		switch {
		case err != nil:
			errs = append(errs, err)
		case out[p.Kind] != nil:
			errs = append(errs, fmt.Errorf("jobs: periodic job %q is listed twice", p.Kind))
		case w.Handlers[p.Kind] == nil:
			errs = append(errs, fmt.Errorf("jobs: periodic job %q has no handler", p.Kind))
		default:
			out[p.Kind] = s
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (p Periodic) schedule() (schedule, error) {
	switch {
	case p.Kind == "":
		return nil, errors.New("jobs: a periodic job has no kind")
	case (p.Every != 0) == (p.Cron != ""):
		return nil, fmt.Errorf("jobs: periodic job %q: set exactly one of Every and Cron", p.Kind)
	case p.Every < 0:
		return nil, fmt.Errorf("jobs: periodic job %q: Every is negative (%s)", p.Kind, p.Every)
	case p.Every > 0:
		return every(p.Every), nil
	}
	s, err := cron.ParseStandard(p.Cron)
	if err != nil {
		return nil, fmt.Errorf("jobs: periodic job %q: invalid cron expression %q: %v", p.Kind, p.Cron, err)
	}
	return s, nil
}

// ensurePeriodic gives each periodic kind a pending occurrence unless one is
// pending or running already, as when another node started first.
func (w *Worker) ensurePeriodic(ctx context.Context) error {
	w.ensureMu.Lock()
	defer w.ensureMu.Unlock()
	if w.ensured || len(w.schedules) == 0 {
		return nil
	}
	err := w.DB.InTx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			// Two nodes starting together could both find no occurrence,
			// and the second insert land once the first occurrence is
			// claimed (a running row no longer conflicts): it would run
			// twice. The lock lets each look see the other's insert. Once
			// one exists a kind always has an occurrence pending or running,
			// since claims and finishes move it in one transaction. SQLite's
			// single writer serialises the looks by itself.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7702002)"); err != nil {
				return err
			}
		}
		now := time.Now()
		for _, p := range w.Periodic {
			var one int
			err := store.ScanErr(tx.QueryRow(ctx, `SELECT 1 FROM jobs
				WHERE kind = ? AND dedup_key = ? AND state IN ('pending', 'running') LIMIT 1`, p.Kind, periodicKey).Scan(&one))
			if err == nil {
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			first := now
			if p.Every == 0 {
				first = w.schedules[p.Kind].Next(now)
			}
			if err := enqueueOccurrence(ctx, tx, p.Kind, first); err != nil {
				return err
			}
		}
		return nil
	})
	w.ensured = err == nil
	return err
}

// enqueueNext enqueues the occurrence after j when j is periodic here.
func (w *Worker) enqueueNext(ctx context.Context, tx *store.Tx, j Job) error {
	s, ok := w.schedules[j.Kind]
	if !ok || j.dedupKey != periodicKey {
		return nil
	}
	return enqueueOccurrence(ctx, tx, j.Kind, s.Next(time.Now()))
}

// enqueueOccurrence adds an occurrence unless one is pending already.
func enqueueOccurrence(ctx context.Context, tx *store.Tx, kind string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO jobs (kind, dedup_key, payload, run_at, state, created_at)
		VALUES (?, ?, '{}', ?, 'pending', ?)
		ON CONFLICT (kind, dedup_key) WHERE dedup_key IS NOT NULL AND state = 'pending' DO NOTHING`,
		kind, periodicKey, store.TS(at), store.TS(time.Now()))
	return err
}
