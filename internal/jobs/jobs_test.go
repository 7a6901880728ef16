package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/audit"
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
		// The kinds run side by side.
		var mu sync.Mutex
		calls := map[string]int{}
		count := func(kind string) {
			mu.Lock()
			calls[kind]++
			mu.Unlock()
		}
		w := &jobs.Worker{DB: e.DB, Log: quiet(), Handlers: map[string]jobs.Handler{
			"flaky": func(ctx context.Context, j jobs.Job) error { count("flaky"); return errors.New("supplier down") },
			"later": func(ctx context.Context, j jobs.Job) error {
				count("later")
				return &jobs.Reschedule{At: time.Now().Add(time.Hour)}
			},
			"dedup": func(ctx context.Context, j jobs.Job) error { count("dedup"); return nil },
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
		if err := e.DB.QueryRow(ctx, "SELECT state, attempts, last_error FROM jobs WHERE kind = 'flaky'").Scan(&state, &attempts, &lastErr); err != nil {
			t.Fatal(err)
		}
		if state != "pending" || attempts != 1 || lastErr != "supplier down" {
			t.Fatalf("flaky job: %s %d %q", state, attempts, lastErr)
		}
		if pending := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM jobs WHERE kind = 'dedup'"); pending != 1 {
			t.Fatalf("%d dedup jobs, want 1", pending)
		}
	})
}

func enqueue(t *testing.T, db *store.DB, kind string, at time.Time, payload any) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return jobs.Enqueue(context.Background(), tx, kind, "", at, payload)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// makeDue moves the pending jobs of kind into the past, as if their time had come.
func makeDue(t *testing.T, db *store.DB, kind string) {
	t.Helper()
	_, err := db.Exec(context.Background(), "UPDATE jobs SET run_at = ? WHERE kind = ? AND state = 'pending'",
		store.TS(time.Now().Add(-time.Minute)), kind)
	if err != nil {
		t.Fatal(err)
	}
}

func jobState(t *testing.T, db *store.DB, kind string) (state, lastErr string) {
	t.Helper()
	err := db.QueryRow(context.Background(), "SELECT state, last_error FROM jobs WHERE kind = ?", kind).Scan(&state, &lastErr)
	if err != nil {
		t.Fatal(err)
	}
	return state, lastErr
}

// A runner whose lease ran out while another took the job over must leave
// the outcome to the new claim, whichever of the two ends first.
func TestLostLeaseLeavesTheOutcomeToTheNewClaim(t *testing.T) {
	cases := []struct {
		name           string
		firstResult    error // what the first run returns, after its lease ended
		secondResult   error
		firstEndsFirst bool // the first run ends while the second still runs
		wantState      string
		wantErr        string
	}{
		{name: "first run succeeds after the retry failed", secondResult: errors.New("supplier down"),
			wantState: "pending", wantErr: "supplier down"},
		{name: "first run fails while the retry runs", firstResult: errors.New("timed out"), firstEndsFirst: true,
			wantState: "done"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) {
				ctx := context.Background()
				enqueue(t, e.DB, "export", time.Now().Add(-time.Second), nil)
				var runs atomic.Int32
				leaseEnded := make(chan error, 1)
				releaseFirst, secondStarted, releaseSecond := make(chan struct{}), make(chan struct{}), make(chan struct{})
				first := &jobs.Worker{DB: e.DB, Lease: time.Millisecond, Log: quiet(), Handlers: map[string]jobs.Handler{
					"export": func(ctx context.Context, j jobs.Job) error {
						runs.Add(1)
						<-ctx.Done()
						leaseEnded <- ctx.Err()
						<-releaseFirst
						return tc.firstResult
					}}}
				second := &jobs.Worker{DB: e.DB, Log: quiet(), Handlers: map[string]jobs.Handler{
					"export": func(ctx context.Context, j jobs.Job) error {
						runs.Add(1)
						close(secondStarted)
						<-releaseSecond
						return tc.secondResult
					}}}
				firstDone, secondDone := make(chan error, 1), make(chan error, 1)
				go func() { _, err := first.RunDue(ctx); firstDone <- err }()
				if err := <-leaseEnded; !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("the handler's context ended with %v, want the lease's deadline", err)
				}
				go func() {
					for { // until the database's clock, too, has passed the lease
						n, err := second.RunDue(ctx)
						if err != nil || n > 0 {
							secondDone <- err
							return
						}
					}
				}()
				<-secondStarted
				wait := func(done chan error) {
					t.Helper()
					if err := <-done; err != nil {
						t.Fatal(err)
					}
				}
				if tc.firstEndsFirst {
					close(releaseFirst)
					wait(firstDone)
					if state, _ := jobState(t, e.DB, "export"); state != "running" {
						t.Fatalf("while the retry runs the job is %s, want running", state)
					}
					close(releaseSecond)
					wait(secondDone)
				} else {
					close(releaseSecond)
					wait(secondDone)
					close(releaseFirst)
					wait(firstDone)
				}
				if n := runs.Load(); n != 2 {
					t.Fatalf("handler ran %d times, want 2", n)
				}
				if state, lastErr := jobState(t, e.DB, "export"); state != tc.wantState || lastErr != tc.wantErr {
					t.Fatalf("job %s %q, want %s %q", state, lastErr, tc.wantState, tc.wantErr)
				}
			})
		})
	}
}

// A node that died on a job's last attempt leaves it running on a lease
// that ran out; the next claim parks it instead of trying for ever.
func TestLeaseRunningOutOnTheLastAttemptParksTheJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		enqueue(t, e.DB, "export", time.Now().Add(-time.Hour), nil)
		_, err := e.DB.Exec(ctx, "UPDATE jobs SET state = 'running', attempts = ?, locked_by = 'gone', locked_until = ?",
			jobs.MaxAttempts, store.TS(time.Now().Add(-time.Minute)))
		if err != nil {
			t.Fatal(err)
		}
		runs := 0
		w := &jobs.Worker{DB: e.DB, Log: quiet(), Handlers: map[string]jobs.Handler{
			"export": func(ctx context.Context, j jobs.Job) error { runs++; return nil }}}
		if _, err := w.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		failed, err := jobs.ListFailed(ctx, e.DB, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if runs != 0 || len(failed) != 1 || !strings.Contains(failed[0].LastError, "lease") {
			t.Fatalf("ran %d times, parked %+v: want the job parked, not run", runs, failed)
		}
	})
}

// Each kind fills its own slots and no more, and kinds run side by side.
func TestConcurrencyPerKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		limits := map[string]int{"export": 3, "digest": 1} // digest keeps the default
		due := time.Now().Add(-time.Second)
		total := 0
		for _, kind := range []string{"export", "digest"} {
			for i := 0; i < 3*limits[kind]+1; i++ {
				enqueue(t, e.DB, kind, due, nil)
				total++
			}
		}
		// Each handler waits until every slot of every kind is busy at once;
		// a worker that runs fewer at a time fails the test once the guard
		// lets its handlers go.
		guard, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var mu sync.Mutex
		running, most := map[string]int{}, map[string]int{}
		allBusy := make(chan struct{})
		var allBusyOnce sync.Once
		handler := func(ctx context.Context, j jobs.Job) error {
			mu.Lock()
			running[j.Kind]++
			most[j.Kind] = max(most[j.Kind], running[j.Kind])
			if running["export"] == limits["export"] && running["digest"] == limits["digest"] {
				allBusyOnce.Do(func() { close(allBusy) })
			}
			mu.Unlock()
			select {
			case <-allBusy:
			case <-guard.Done():
			}
			mu.Lock()
			running[j.Kind]--
			mu.Unlock()
			return nil
		}
		w := &jobs.Worker{DB: e.DB, Log: quiet(), Concurrency: map[string]int{"export": 3},
			Handlers: map[string]jobs.Handler{"export": handler, "digest": handler}}
		n, err := w.RunDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != total {
			t.Fatalf("RunDue ran %d of %d due jobs", n, total)
		}
		select {
		case <-allBusy:
		default:
			t.Fatal("the kinds never filled their slots side by side")
		}
		for kind, limit := range limits {
			if most[kind] != limit {
				t.Errorf("%s: at most %d ran at once, want %d", kind, most[kind], limit)
			}
		}
	})
}

// Two nodes share one schedule: each occurrence runs once, and each run
// enqueues the next.
func TestPeriodicJobRunsOnceAcrossNodesAndReschedules(t *testing.T) {
	cases := []struct {
		name        string
		periodic    jobs.Periodic
		runsAtStart int32 // Every runs at once; Cron waits for its time
	}{
		{"every", jobs.Periodic{Kind: "digest", Every: time.Hour}, 1},
		{"cron", jobs.Periodic{Kind: "digest", Cron: "*/5 * * * *"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) {
				ctx := context.Background()
				var runs atomic.Int32
				node := func() *jobs.Worker {
					return &jobs.Worker{DB: e.DB, Log: quiet(), Periodic: []jobs.Periodic{tc.periodic},
						Handlers: map[string]jobs.Handler{"digest": func(ctx context.Context, j jobs.Job) error { runs.Add(1); return nil }}}
				}
				nodes := []*jobs.Worker{node(), node()}
				runBoth := func() {
					t.Helper()
					var wg sync.WaitGroup
					for _, w := range nodes {
						wg.Go(func() {
							if _, err := w.RunDue(ctx); err != nil {
								t.Error(err)
							}
						})
					}
					wg.Wait()
				}
				check := func(want int32) {
					t.Helper()
					if n := runs.Load(); n != want {
						t.Fatalf("%d runs, want %d", n, want)
					}
					var pending int
					var next store.Time
					if err := e.DB.QueryRow(ctx, "SELECT COUNT(*), MIN(run_at) FROM jobs WHERE kind = 'digest' AND state = 'pending'").Scan(&pending, &next); err != nil {
						t.Fatal(err)
					}
					done := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM jobs WHERE kind = 'digest' AND state = 'done'")
					if pending != 1 || !next.After(time.Now()) || done != int(want) {
						t.Fatalf("%d pending (next at %s), %d done; want the next occurrence pending and %d done", pending, next.Time, done, want)
					}
					if tc.periodic.Cron != "" && (next.In(time.Local).Minute()%5 != 0 || next.Second() != 0) {
						t.Fatalf("next occurrence at %s, not on the cron schedule", next.Time)
					}
				}
				runBoth()
				check(tc.runsAtStart)
				for i := int32(1); i <= 3; i++ {
					makeDue(t, e.DB, "digest")
					runBoth()
					check(tc.runsAtStart + i)
				}
			})
		})
	}
}

// A job that fails MaxAttempts times is parked for an administrator, who
// lists it, retries it or discards it.
func TestParkedJobsCanBeListedRetriedAndDiscarded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			enqueue(t, e.DB, "export", time.Now(), map[string]int{"i": i})
		}
		var failing atomic.Bool
		failing.Store(true)
		w := &jobs.Worker{DB: e.DB, Log: quiet(), Concurrency: map[string]int{"export": 3}, Handlers: map[string]jobs.Handler{
			"export": func(ctx context.Context, j jobs.Job) error {
				if failing.Load() {
					return errors.New("supplier down")
				}
				return nil
			}}}
		runDue := func() int {
			t.Helper()
			makeDue(t, e.DB, "export") // the backoff has passed
			n, err := w.RunDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for attempt := 1; attempt <= jobs.MaxAttempts; attempt++ {
			if n := runDue(); n != 3 {
				t.Fatalf("attempt %d: %d jobs ran, want 3", attempt, n)
			}
		}
		if n := runDue(); n != 0 {
			t.Fatalf("%d parked jobs ran again", n)
		}
		page1, err := jobs.ListFailed(ctx, e.DB, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page1) != 2 {
			t.Fatalf("first page: %d jobs, want 2", len(page1))
		}
		page2, err := jobs.ListFailed(ctx, e.DB, 2, page1[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(page2) != 1 || page2[0].ID <= page1[1].ID {
			t.Fatalf("second page %+v after %d", page2, page1[1].ID)
		}
		for _, f := range append(page1, page2...) {
			if f.Kind != "export" || f.Attempts != jobs.MaxAttempts || f.LastError != "supplier down" || f.FailedAt.IsZero() {
				t.Fatalf("parked job %+v", f)
			}
		}

		failing.Store(false)
		retried, discarded, kept := page1[0].ID, page1[1].ID, page2[0].ID
		if err := jobs.Retry(ctx, e.DB, audit.System, retried); err != nil {
			t.Fatal(err)
		}
		if err := jobs.Discard(ctx, e.DB, audit.System, discarded); err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("after retry: %d ran (%v), want the retried job, at once", n, err)
		}
		var state string
		var attempts int
		if err := e.DB.QueryRow(ctx, "SELECT state, attempts FROM jobs WHERE id = ?", retried).Scan(&state, &attempts); err != nil {
			t.Fatal(err)
		}
		if state != "done" || attempts != 1 {
			t.Fatalf("retried job %s after %d attempts, want done after 1", state, attempts)
		}
		left, _ := jobs.ListFailed(ctx, e.DB, 10, 0)
		if len(left) != 1 || left[0].ID != kept {
			t.Fatalf("still parked: %+v, want only job %d", left, kept)
		}
		for _, err := range []error{jobs.Retry(ctx, e.DB, audit.System, retried), jobs.Discard(ctx, e.DB, audit.System, discarded), jobs.Retry(ctx, e.DB, audit.System, 1<<40)} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("retry or discard of a job not parked: %v, want not found", err)
			}
		}
	})
}

// A parked periodic job does not stop its schedule, and retrying it runs
// the pending occurrence now instead of a second one.
func TestParkedPeriodicJobKeepsItsSchedule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		var failing atomic.Bool
		failing.Store(true)
		runs := 0
		w := &jobs.Worker{DB: e.DB, Log: quiet(), Periodic: []jobs.Periodic{{Kind: "digest", Cron: "@daily"}},
			Handlers: map[string]jobs.Handler{"digest": func(ctx context.Context, j jobs.Job) error {
				runs++
				if failing.Load() {
					return errors.New("mail server down")
				}
				return nil
			}}}
		if n, err := w.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("at start: %d ran (%v); the first occurrence is due at midnight", n, err)
		}
		for range jobs.MaxAttempts {
			makeDue(t, e.DB, "digest")
			if _, err := w.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		failed, _ := jobs.ListFailed(ctx, e.DB, 10, 0)
		pending := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM jobs WHERE kind = 'digest' AND state = 'pending' AND run_at > ?", store.TS(time.Now()))
		if runs != jobs.MaxAttempts || len(failed) != 1 || pending != 1 {
			t.Fatalf("%d runs, %d parked, %d occurrences to come; want %d, 1, 1", runs, len(failed), pending, jobs.MaxAttempts)
		}
		failing.Store(false)
		if err := jobs.Retry(ctx, e.DB, audit.System, failed[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("after retry: %d ran (%v), want 1", n, err)
		}
		done := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM jobs WHERE kind = 'digest' AND state = 'done'")
		pending = storetest.Count(t, e.DB, "SELECT COUNT(*) FROM jobs WHERE kind = 'digest' AND state = 'pending' AND run_at > ?", store.TS(time.Now()))
		if failed, _ = jobs.ListFailed(ctx, e.DB, 10, 0); len(failed) != 0 || done != 1 || pending != 1 {
			t.Fatalf("%d parked, %d done, %d to come; want 0, 1, 1", len(failed), done, pending)
		}
	})
}

func TestValidateNamesTheBadSchedule(t *testing.T) {
	handlers := map[string]jobs.Handler{"digest": func(context.Context, jobs.Job) error { return nil }}
	cases := []struct {
		name     string
		periodic jobs.Periodic
		concur   map[string]int
		want     string // in the error; "" for none
	}{
		{"cron", jobs.Periodic{Kind: "digest", Cron: "0 7 * * mon-fri"}, nil, ""},
		{"descriptor", jobs.Periodic{Kind: "digest", Cron: "@hourly"}, nil, ""},
		{"every", jobs.Periodic{Kind: "digest", Every: time.Minute}, nil, ""},
		{"bad cron", jobs.Periodic{Kind: "digest", Cron: "61 * * * *"}, nil, `invalid cron expression "61 * * * *"`},
		{"both", jobs.Periodic{Kind: "digest", Every: time.Hour, Cron: "@daily"}, nil, "exactly one of Every and Cron"},
		{"neither", jobs.Periodic{Kind: "digest"}, nil, "exactly one of Every and Cron"},
		{"no handler", jobs.Periodic{Kind: "report", Every: time.Hour}, nil, `"report" has no handler`},
		{"zero concurrency", jobs.Periodic{Kind: "digest", Every: time.Hour}, map[string]int{"digest": 0}, "at least 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &jobs.Worker{Handlers: handlers, Periodic: []jobs.Periodic{tc.periodic}, Concurrency: tc.concur, Log: quiet()}
			err := w.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
		})
	}
}
