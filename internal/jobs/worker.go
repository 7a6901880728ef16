package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"steward/internal/store"
)

// Worker claims and runs due jobs. Jobs of different kinds run side by
// side; jobs of one kind run at most Concurrency[kind] at a time on this
// node.
type Worker struct {
	DB          *store.DB
	Handlers    map[string]Handler
	Concurrency map[string]int // jobs of a kind that may run at once here; 1 for a kind not listed
	Periodic    []Periodic     // jobs enqueued again each time they finish
	Interval    time.Duration  // how often to look for due work
	Lease       time.Duration  // how long a claim lasts before another node may take it
	Log         *slog.Logger

	once      sync.Once
	name      string
	seq       atomic.Uint64
	schedules map[string]schedule // periodic kinds, once they validate
	configErr error

	ensureMu sync.Mutex
	ensured  bool // each periodic kind has its pending occurrence

	claimMu sync.Mutex // one claim at a time: slots counted before it still hold after
	mu      sync.Mutex
	running map[string]int // jobs in hand by kind
	inHand  sync.WaitGroup
}

// claimBatch bounds the jobs one claim takes.
const claimBatch = 20

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Interval <= 0 {
			w.Interval = time.Second
		}
		if w.Lease <= 0 {
			w.Lease = 5 * time.Minute
		}
		if w.Log == nil {
			w.Log = slog.Default()
		}
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		// The random part tells apart workers of one process.
		w.name = host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b)
		w.running = map[string]int{}
		w.schedules, w.configErr = w.compile()
	})
}

// Run polls until ctx ends, then returns after the jobs in hand finish.
// A configuration error (see Validate) is logged and leaves the periodic
// jobs unscheduled; the other jobs still run.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	if w.configErr != nil {
		w.Log.Error("jobs: periodic jobs not scheduled", "err", w.configErr)
	}
	freed := make(chan struct{}, 1)
	notify := func() {
		select {
		case freed <- struct{}{}:
		default:
		}
	}
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if err := w.ensurePeriodic(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("jobs: schedule periodic jobs", "err", err)
		}
		n, err := w.startDue(ctx, time.Now(), notify)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("jobs: run", "err", err)
		}
		if n == claimBatch && ctx.Err() == nil {
			continue // more may be waiting for the slots still free
		}
		select {
		case <-ctx.Done():
			w.inHand.Wait()
			return
		case <-t.C:
		case <-freed:
		}
	}
}

// RunDue runs every job due when it is called, as many at once as the
// kinds' limits allow, and returns when they have finished; it reports how
// many ran. Tests use it to run background work synchronously.
func (w *Worker) RunDue(ctx context.Context) (int, error) {
	w.init()
	if w.configErr != nil {
		return 0, w.configErr
	}
	if err := w.ensurePeriodic(ctx); err != nil {
		return 0, err
	}
	cutoff := time.Now()
	finished := make(chan struct{})
	notify := func() { finished <- struct{}{} }
	ran, inHand := 0, 0
	for {
		n, err := w.startDue(ctx, cutoff, notify)
		ran, inHand = ran+n, inHand+n
		if err != nil {
			for ; inHand > 0; inHand-- {
				<-finished
			}
			return ran, err
		}
		if n > 0 {
			continue
		}
		if inHand == 0 {
			return ran, nil
		}
		<-finished
		inHand--
	}
}

// startDue claims due jobs for the slots free now and starts each in its
// own goroutine, which calls done once the job is recorded and its slot
// free again.
func (w *Worker) startDue(ctx context.Context, cutoff time.Time, done func()) (int, error) {
	w.claimMu.Lock()
	defer w.claimMu.Unlock()
	var full []string
	w.mu.Lock()
	running := make(map[string]int, len(w.running))
	for kind, n := range w.running {
		running[kind] = n
		if n >= w.limit(kind) {
			full = append(full, kind)
		}
	}
	w.mu.Unlock()

	batch, err := w.claim(ctx, cutoff, full, func(kind string) bool {
		if running[kind] >= w.limit(kind) {
			return false
		}
		running[kind]++
		return true
	})
	for _, j := range batch {
		w.mu.Lock()
		w.running[j.Kind]++
		w.mu.Unlock()
		w.inHand.Add(1)
		go func() {
			defer w.inHand.Done()
			// A job started runs to its end even when shutdown begins.
			bg := context.WithoutCancel(ctx)
			w.finish(bg, j, w.run(bg, j))
			w.mu.Lock()
			if w.running[j.Kind]--; w.running[j.Kind] == 0 {
				delete(w.running, j.Kind)
			}
			w.mu.Unlock()
			done()
		}()
	}
	return len(batch), err
}

// limit is how many jobs of kind may run at once on this node.
func (w *Worker) limit(kind string) int {
	if n := w.Concurrency[kind]; n > 0 {
		return n
	}
	return 1
}

// token is a fresh locked_by value: unique to one claim, so a runner whose
// lease ran out cannot record the outcome of a later claim of its job,
// even one by this same worker.
func (w *Worker) token() string {
	return w.name + "/" + strconv.FormatUint(w.seq.Add(1), 10)
}

func (w *Worker) run(ctx context.Context, j Job) (err error) {
	h, ok := w.Handlers[j.Kind]
	if !ok {
		return fmt.Errorf("no handler for job kind %q", j.Kind)
	}
	ctx, cancel := context.WithDeadline(ctx, j.until)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h(ctx, j)
}
