package event

import (
	"context"
	"fmt"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// An incident whose hold-down has passed is resolved even when more than a
// batch of incidents with recently resolved alerts come before it.
func TestAutoResolveReachesDueIncidentsBehindManyNotYetDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		var busy, calm []Input
		for i := 0; i < 1000; i++ {
			busy = append(busy, trigger(fmt.Sprintf("dev-%d", i), "ping", Critical))
			calm = append(calm, resolve(fmt.Sprintf("dev-%d", i), "ping"))
		}
		f.send(busy...)
		f.send(trigger("late", "ping", Critical))
		f.send(resolve("late", "ping"))
		f.advance(6 * time.Minute)
		f.send(calm...)
		if n, err := f.s.AutoResolve(ctx, f.clock); n != 1 || err != nil {
			t.Fatalf("auto-resolved %d, %v; want the one incident quiet for 6 minutes", n, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM incidents i JOIN alerts a ON a.incident_id = i.id WHERE a.device = 'late' AND i.state = 'resolved'`); n != 1 {
			t.Fatal("the due incident is not the one resolved")
		}
	})
}

// On PostgreSQL an alert joining an incident while the automatic
// resolution resolves it waits for it, and then opens a new incident
// instead of joining a resolved one.
func TestAlertDoesNotJoinAnIncidentBeingAutoResolved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		if e.DB.Dialect() != store.Postgres {
			t.Skip("SQLite serialises writers")
		}
		f := newFleet(t, e)
		ctx := context.Background()
		f.ci("Server", "app-1", map[string]any{"hostname": "app-1"})
		f.send(trigger("app-1", "http", Critical))
		f.send(resolve("app-1", "http"))
		f.advance(6 * time.Minute)
		var inc int64
		e.DB.QueryRow(ctx, `SELECT id FROM incidents`).Scan(&inc)
		if _, err := f.s.processor(ctx); err != nil {
			t.Fatal(err)
		}
		f.s.proc.now = func() time.Time { return f.clock }
		ev, err := Normalize(f.integ, trigger("app-1", "disk", Critical), f.clock)
		if err != nil {
			t.Fatal(err)
		}
		// The automatic resolution's transaction, step by step, with the
		// processor's batch in between.
		done := make(chan error, 1)
		err = e.DB.InTx(ctx, func(tx *store.Tx) error {
			quiet, err := quietSince(ctx, tx, inc, f.clock.Add(-5*time.Minute))
			if err != nil || !quiet {
				t.Fatalf("quiet %v, %v", quiet, err)
			}
			if _, err := f.s.Ingest(ctx, []Event{ev}); err != nil {
				return err
			}
			go func() {
				_, err := f.s.ProcessPending(ctx)
				done <- err
			}()
			// Until the processor waits for the incident's lock (or is done).
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				var waiting int
				e.DB.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&waiting)
				if waiting > 0 || len(done) > 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			_, err = f.s.Incidents.ResolveInTx(ctx, tx, inc, "fixed", "auto")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.state = 'open' AND i.state = 'resolved'`); n != 0 {
			t.Fatalf("%d firing alerts attached to an auto-resolved incident", n)
		}
		if n := f.openIncidents(); n != 1 {
			t.Fatalf("%d open incidents for the firing disk alert; want 1", n)
		}
	})
}
