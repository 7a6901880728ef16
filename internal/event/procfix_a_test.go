package event

import (
	"context"
	"testing"
	"time"

	_ "steward/internal/audit"
	_ "steward/internal/auth"
	"steward/internal/store/storetest"
)

// A node waiting for the lease builds no memory; once it takes over it
// processes each event the previous holder left exactly once.
func TestAHandoverBetweenNodesProcessesEachEventOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.send(trigger("app", "http", Critical))
		// Node B looks for the lease while A holds it.
		b := f.service()
		pb, err := b.processor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pb.now = func() time.Time { return f.clock }
		if _, err := b.ProcessPending(ctx); err != ErrNotProcessor {
			t.Fatalf("a second node processed while the first holds the lease: %v", err)
		}
		// Node A, still in its loop, commits another batch.
		f.send(resolve("app", "http"), resolve("nobody", "x"), trigger("db", "ping", Critical), resolve("db", "ping"))
		// A's lease has lapsed by now.
		f.clock = f.clock.Add(31 * time.Second)
		if _, err := b.ProcessPending(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT events FROM unmapped_devices WHERE device = 'nobody'`); n != 1 {
			t.Errorf("unmapped device counted %d events; 1 was sent", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alert_log WHERE what = 'resolved'`); n != 2 {
			t.Errorf("%d 'resolved' lines for two resolve events", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE dedup_key IN (SELECT dedup_key FROM events WHERE check_name = 'ping')`); n != 1 {
			t.Errorf("%d alerts for one trigger of db/ping", n)
		}
		// A, back after its lease lapsed, commits nothing more and, once
		// B's lease lapses in turn, takes over with the database's state.
		f.s.proc.now = func() time.Time { return f.clock }
		in, _ := Normalize(f.integ, trigger("db", "ping", Critical), f.clock)
		if _, err := f.s.Ingest(ctx, []Event{in}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.ProcessPending(ctx); err != ErrNotProcessor {
			t.Fatalf("the node that lost the lease processed: %v", err)
		}
		if _, err := b.ProcessPending(ctx); err != nil {
			t.Fatal(err)
		}
		f.clock = f.clock.Add(31 * time.Second)
		f.send(resolve("db", "ping"))
		if n := f.count(`SELECT COUNT(*) FROM alert_log WHERE what = 'resolved'`); n != 3 {
			t.Errorf("%d 'resolved' lines for three resolve events", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE state <> 'resolved'`); n != 0 {
			t.Errorf("%d alerts active after every one resolved", n)
		}
	})
}

// A batch committed by a node whose lease lapsed (and was taken by
// another node) rolls back.
func TestABatchAfterTheLeaseLapsedRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.send(trigger("app", "http", Critical))
		p := f.s.proc
		f.clock = f.clock.Add(31 * time.Second)
		in, _ := Normalize(f.integ, resolve("app", "http"), f.clock)
		if _, err := f.s.Ingest(ctx, []Event{in}); err != nil {
			t.Fatal(err)
		}
		events, err := p.read(ctx, p.cursor, 1<<40, 0)
		if err != nil || len(events) != 1 {
			t.Fatalf("%d events, %v", len(events), err)
		}
		if err := p.runBatch(ctx, events); err != ErrNotProcessor {
			t.Fatalf("a batch after the lease lapsed: %v", err)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE state = 'resolved'`); n != 0 {
			t.Fatalf("a node without the lease resolved %d alerts", n)
		}
	})
}
