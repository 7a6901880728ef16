package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"steward/internal/jobs"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Several workers (as on several nodes) share one table: every job runs
// exactly once.
func TestWorkersShareTheQueueWithoutDoubleRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		const n = 200
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < n; i++ {
				if err := jobs.Enqueue(ctx, tx, "count", "", time.Now().Add(-time.Second), map[string]int{"i": i}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		runs := map[int]int{}
		handler := func(ctx context.Context, j jobs.Job) error {
			var p struct{ I int }
			json.Unmarshal(j.Payload, &p)
			mu.Lock()
			runs[p.I]++
			mu.Unlock()
			return nil
		}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker := &jobs.Worker{DB: e.DB, Handlers: map[string]jobs.Handler{"count": handler}, Log: quiet()}
				for {
					done, err := worker.RunDue(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if done == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		if len(runs) != n {
			t.Fatalf("%d of %d jobs ran", len(runs), n)
		}
		for i, c := range runs {
			if c != 1 {
				t.Fatalf("job %d ran %d times", i, c)
			}
		}
	})
}

func TestRetryRescheduleAndDedup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		enqueue := func(kind, key string, at time.Time) {
			t.Helper()
			if err := e.DB.InTx(ctx, func(tx *store.Tx) error { return jobs.Enqueue(ctx, tx, kind, key, at, nil) }); err != nil {
				t.Fatal(err)
			}
		}
		past := time.Now().Add(-time.Minute)
		enqueue("flaky", "", past)
		enqueue("later", "", past)
		enqueue("dedup", "one", time.Now().Add(time.Hour))
		enqueue("dedup", "one", past) // replaces the pending one: runs now, once
		calls := map[string]int{}
		w := &jobs.Worker{DB: e.DB, Log: quiet(), Handlers: map[string]jobs.Handler{
			"flaky": func(ctx context.Context, j jobs.Job) error { calls["flaky"]++; return errors.New("supplier down") },
			"later": func(ctx context.Context, j jobs.Job) error {
				calls["later"]++
				return &jobs.Reschedule{At: time.Now().Add(time.Hour)}
			},
			"dedup": func(ctx context.Context, j jobs.Job) error { calls["dedup"]++; return nil },
		}}
		if _, err := w.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := w.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if calls["flaky"] != 1 || calls["later"] != 1 || calls["dedup"] != 1 {
			t.Fatalf("calls %v: a failed job must back off, a rescheduled one wait, a deduplicated one run once", calls)
		}
		var state, lastErr string
		var attempts int
		e.DB.QueryRow(ctx, "SELECT state, attempts, last_error FROM jobs WHERE kind = 'flaky'").Scan(&state, &attempts, &lastErr)
		if state != "pending" || attempts != 1 || lastErr != "supplier down" {
			t.Fatalf("flaky job: %s %d %q", state, attempts, lastErr)
		}
		var pending int
		e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE kind = 'dedup'").Scan(&pending)
		if pending != 1 {
			t.Fatalf("%d dedup jobs, want 1", pending)
		}
	})
}
