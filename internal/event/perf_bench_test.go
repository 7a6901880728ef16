package event

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// benchFleet is a fleet of 100,000 sensors on SQLite with one integration.
func benchFleet(b *testing.B, devices int) (*fleet, int64) {
	e := storetest.SQLite(b)
	f := &fleet{e: e, clock: time.Now().UTC()}
	f.s = f.service()
	ctx := context.Background()
	var integ int64
	if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO integrations (name, kind, key_hash, created_at, updated_at) VALUES ('bench', 'http', 'x', ?, ?) RETURNING id`,
			store.TS(f.clock), store.TS(f.clock)).Scan(&integ)
	}); err != nil {
		b.Fatal(err)
	}
	addSensors(b, e.DB, devices)
	return f, integ
}

// fleetEvents is n events of the fleet's mix: 90% heartbeats, 10% faults
// (warnings, a third of them resolving). With ids, each event carries a
// message id, so ingest checks it for transport duplicates.
func fleetEvents(b *testing.B, rng *rand.Rand, integ int64, devices, n int, ids bool) []Event {
	now := time.Now().UTC()
	out := make([]Event, 0, n)
	for j := 0; j < n; j++ {
		d := "D-" + strconv.Itoa(rng.IntN(devices))
		in := Input{CI: d, Check: "heartbeat", Severity: OK}
		if r := rng.IntN(100); r < 10 {
			in = Input{CI: d, Check: fmt.Sprintf("fault-%d", r%3), Severity: Warning, Summary: "fault"}
			if r < 3 {
				in.Action = Resolve
				in.Severity = ""
			}
		}
		if ids {
			in.MessageID = strconv.FormatUint(rng.Uint64(), 36)
		}
		ev, err := Normalize(integ, in, now)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// cpuTime is the CPU time the process has used, user and system: the
// machines benchmarks run on are shared, so wall-clock rates vary with
// their load while events per CPU second do much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ingestAll(b *testing.B, s *Service, events []Event) {
	for len(events) > 0 {
		n := min(len(events), MaxBatch)
		if _, err := s.Ingest(context.Background(), events[:n]); err != nil {
			b.Error(err)
			return
		}
		events = events[n:]
	}
}

// BenchmarkProcessSustained measures the processor once the fleet is
// bound (a first, untimed round binds every device): each round is
// 100,000 events of the fleet's mix.
func BenchmarkProcessSustained(b *testing.B) {
	const devices, perRound = 100_000, 100_000
	f, integ := benchFleet(b, devices)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ingestAll(b, f.s, fleetEvents(b, rng, integ, devices, perRound, false))
	if _, err := f.s.ProcessPending(ctx); err != nil {
		b.Fatal(err)
	}
	processed := 0
	var spent, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ingestAll(b, f.s, fleetEvents(b, rng, integ, devices, perRound, false))
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		n, err := f.s.ProcessPending(ctx)
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		cpu += cpuTime() - cpu0
		processed += n
	}
	b.ReportMetric(float64(processed)/spent.Seconds(), "events/s")
	b.ReportMetric(float64(processed)/cpu.Seconds(), "events/cpu-s")
}

// BenchmarkIngest measures storing 1,000-event batches, each event with a
// message id, from 8 senders at once; the processor does not run.
func BenchmarkIngest(b *testing.B) {
	const devices, perRound, senders = 100_000, 100_000, 8
	f, integ := benchFleet(b, devices)
	rng := rand.New(rand.NewPCG(3, 4))
	var spent, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		events := fleetEvents(b, rng, integ, devices, perRound, true)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		sendAll(b, f.s, events, senders)
		spent += time.Since(start)
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(b.N*perRound)/spent.Seconds(), "events/s")
	b.ReportMetric(float64(b.N*perRound)/cpu.Seconds(), "events/cpu-s")
}

// sendAll ingests events in 1,000-event batches from senders goroutines.
func sendAll(b *testing.B, s *Service, events []Event, senders int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				from := int(next.Add(MaxBatch)) - MaxBatch
				if from >= len(events) {
					return
				}
				if _, err := s.Ingest(context.Background(), events[from:min(from+MaxBatch, len(events))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkIngestAndProcess is the sustained rate end to end: 8 senders
// ingest 1,000-event batches while the processor runs, timed until the
// processor has caught up with the last event. The fleet is bound by a
// first, untimed round. "http" events carry no message id (plain HTTP
// JSON); "msgid" events each carry a random one, the worst case for the
// transport duplicate index.
func BenchmarkIngestAndProcess(b *testing.B) {
	for _, ids := range []bool{false, true} {
		name := "http"
		if ids {
			name = "msgid"
		}
		b.Run(name, func(b *testing.B) { ingestAndProcess(b, ids) })
	}
}

func ingestAndProcess(b *testing.B, ids bool) {
	const devices, perRound, senders = 100_000, 200_000, 8
	f, integ := benchFleet(b, devices)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	ingestAll(b, f.s, fleetEvents(b, rng, integ, devices, devices, ids))
	if _, err := f.s.ProcessPending(ctx); err != nil {
		b.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		f.s.RunProcessor(runCtx)
		close(stopped)
	}()
	defer func() {
		stop()
		<-stopped
	}()
	var spent, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		events := fleetEvents(b, rng, integ, devices, perRound, ids)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		sendAll(b, f.s, events, senders)
		hw, err := f.s.HighWater(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for {
			var cursor int64
			if err := f.e.DB.QueryRow(ctx, `SELECT last_event_id FROM event_cursor WHERE id = 1`).Scan(&cursor); err != nil {
				b.Fatal(err)
			}
			if cursor >= hw {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		spent += time.Since(start)
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(b.N*perRound)/spent.Seconds(), "events/s")
	b.ReportMetric(float64(b.N*perRound)/cpu.Seconds(), "events/cpu-s")
}
