package event

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store"
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

// flap_changes up to its highest accepted value marks an alert flapping;
// above it the setting is refused.
func TestAFlapChangesAboveEightMarkFlapping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		st := DefaultSettings()
		st.FlapChanges = maxTransitions + 1
		if _, err := f.s.SaveSettings(context.Background(), audit.System, st); err == nil {
			t.Fatalf("flap_changes %d accepted though only %d changes are remembered", st.FlapChanges, maxTransitions)
		}
		st.FlapChanges, st.FlapWindow = maxTransitions, Duration(time.Hour)
		if _, err := f.s.SaveSettings(context.Background(), audit.System, st); err != nil {
			t.Fatalf("setting refused: %v", err)
		}
		for i := 0; i < maxTransitions/2-1; i++ {
			f.send(trigger("pump", "flow", Minor))
			f.advance(5 * time.Second)
			f.send(resolve("pump", "flow"))
			f.advance(5 * time.Second)
		}
		f.send(trigger("pump", "flow", Minor))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE flapping`); n != 0 {
			t.Fatalf("%d changes flapping with flap_changes %d", maxTransitions-1, maxTransitions)
		}
		f.advance(5 * time.Second)
		f.send(resolve("pump", "flow"))
		f.advance(5 * time.Second)
		f.send(trigger("pump", "flow", Minor))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE flapping AND state = 'open'`); n == 0 {
			t.Fatalf("%d state changes in %d seconds with flap_changes %d: not flapping", maxTransitions+1, maxTransitions*10, maxTransitions)
		}
	})
}

// An alert raised by one event was last seen no earlier than it was first seen.
func TestALastSeenNotBeforeFirstSeen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.clock = f.clock.Add(700 * time.Millisecond)
		f.send(trigger("app", "http", Critical))
		var first, last store.Time
		if err := e.DB.QueryRow(context.Background(), `SELECT first_seen_at, last_seen_at FROM alerts`).Scan(&first, &last); err != nil {
			t.Fatal(err)
		}
		if last.Before(first.Time) {
			t.Fatalf("last seen %s before first seen %s", last, first)
		}
	})
}

// An alert resolved or acknowledged by an event that says when it
// happened (Alertmanager's endsAt) takes that time, not the processing time.
func TestAResolvedAndAcknowledgedAtTheEventsTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		start := f.clock
		f.send(trigger("app", "http", Critical), trigger("db", "ping", Critical))
		f.advance(10 * time.Minute)
		acked, ended, early := start.Add(2*time.Minute), start.Add(3*time.Minute), start.Add(-time.Hour)
		f.send(Input{CI: "app", Check: "http", Action: Acknowledge, OccurredAt: &acked})
		f.send(Input{CI: "app", Check: "http", Action: Resolve, OccurredAt: &ended},
			Input{CI: "db", Check: "ping", Action: Resolve, OccurredAt: &early})
		var ack, res store.Time
		if err := e.DB.QueryRow(context.Background(), `SELECT acknowledged_at, resolved_at FROM alerts WHERE check_name = 'http'`).Scan(&ack, &res); err != nil {
			t.Fatal(err)
		}
		if !ack.Equal(acked) || !res.Equal(ended) {
			t.Fatalf("acknowledged %s, resolved %s; the events say %s and %s", ack, res, acked, ended)
		}
		var first, res2 store.Time
		if err := e.DB.QueryRow(context.Background(), `SELECT first_seen_at, resolved_at FROM alerts WHERE check_name = 'ping'`).Scan(&first, &res2); err != nil {
			t.Fatal(err)
		}
		if res2.Before(first.Time) {
			t.Fatalf("resolved %s before it was first seen %s", res2, first)
		}
	})
}

// A device's CI created in the CMDB after the device first reported
// binds the device's later alerts once the cached miss expired.
func TestACICreatedAfterFirstReportBindsLaterAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.send(trigger("S-9", "temp", Minor))
		ci := f.ci("Sensor", "sensor-9", map[string]any{"device_id": "S-9"})
		f.advance(missTTL)
		f.send(trigger("S-9", "humidity", Minor))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'humidity' AND ci_id = ?`, ci); n != 1 {
			t.Fatalf("a new alert from S-9 after its CI (device_id S-9) exists is not bound")
		}
	})
}

// Mapping a device, on this node or another, binds its alerts for good:
// an acknowledgement or resolve afterwards keeps the CI.
func TestAMappedDeviceKeepsItsCIThroughAcknowledgeAndResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		agent := &auth.Principal{UserID: 0, Role: auth.Admin, Name: "agent"}
		ci := f.ci("Sensor", "sensor-9", map[string]any{"device_id": "S-9"})
		f.send(trigger("old-9", "temp", Minor), trigger("old-8", "temp", Minor))
		if _, err := f.s.MapDevice(ctx, agent, f.integ, "old-9", ci); err != nil {
			t.Fatal(err)
		}
		if _, err := f.service().MapDevice(ctx, agent, f.integ, "old-8", ci); err != nil { // another node
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE ci_id = ?`, ci); n != 2 {
			t.Fatal("mapping rebinds the alerts")
		}
		f.send(Input{CI: "old-9", Check: "temp", Action: Acknowledge}, Input{CI: "old-8", Check: "temp", Action: Acknowledge})
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE ci_id = ?`, ci); n != 2 {
			t.Fatalf("after an acknowledge %d of 2 mapped alerts keep their CI", n)
		}
		f.advance(mapsEvery)
		f.send(resolve("old-9", "temp"), resolve("old-8", "temp"))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE ci_id = ? AND state = 'resolved'`, ci); n != 2 {
			t.Fatalf("after a resolve %d of 2 mapped alerts keep their CI", n)
		}
	})
}

// An alert held because its device matched no CI, while the rules want
// one of a CI type, opens its incident once an agent maps the device; an
// alert that had an incident links the mapped CI to it.
func TestAMappedDeviceAlertHeldUnmappedOpensItsIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		agent := &auth.Principal{UserID: 0, Role: auth.Admin, Name: "agent"}
		st := DefaultSettings()
		st.Rules = []Rule{{Name: "sensors", Severities: []Severity{Minor}, CITypes: []string{"Sensor"}}}
		if _, err := f.s.SaveSettings(ctx, audit.System, st); err != nil {
			t.Fatal(err)
		}
		ci := f.ci("Sensor", "sensor-9", map[string]any{"device_id": "S-9"})
		db := f.ci("Server", "db-1", map[string]any{"hostname": "db-1"})
		f.send(trigger("old-9", "temp", Minor), trigger("old-db", "ping", Critical))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE held = 'unmapped'`); n != 1 {
			t.Fatalf("%d alerts held as unmapped", n)
		}
		if f.incidents() != 1 {
			t.Fatalf("%d incidents; the critical alert opens one", f.incidents())
		}
		for dev, c := range map[string]int64{"old-9": ci, "old-db": db} {
			if _, err := f.s.MapDevice(ctx, agent, f.integ, dev, c); err != nil {
				t.Fatal(err)
			}
		}
		f.send(trigger("other", "x", Info))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'temp' AND incident_id IS NOT NULL`); n != 1 {
			t.Fatalf("the mapped sensor's alert opened no incident (held %d)", f.count(`SELECT COUNT(*) FROM alerts WHERE held = 'unmapped'`))
		}
		if n := f.count(`SELECT COUNT(*) FROM record_cis r JOIN alerts a ON a.incident_id = r.record_id
			WHERE r.kind = 'incident' AND a.check_name = 'ping' AND r.ci_id = ?`, db); n != 1 {
			t.Fatalf("the mapped server is not linked to its alert's incident")
		}
	})
}

// Offline detection judges silence as of the processor's progress: a
// device whose report waits in the inbox is not declared offline, and one
// declared offline just before its waiting report is processed is online
// again with no offline alert or incident left open.
func TestAOfflineDetectionCountsReportsWaitingInTheInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.ci("Sensor", "sensor-1", map[string]any{"device_id": "S-1"})
		st := DefaultSettings()
		st.OfflineAfter = map[string]int{"Sensor": 300}
		if _, err := f.s.SaveSettings(ctx, audit.System, st); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("S-1", "hb", OK))
		// The processor stops; the device keeps reporting into the inbox.
		f.advance(4 * time.Minute)
		ev, _ := Normalize(f.integ, trigger("S-1", "hb", OK), f.clock)
		if _, err := f.s.Ingest(ctx, []Event{ev}); err != nil {
			t.Fatal(err)
		}
		f.advance(3 * time.Minute)
		if n, err := f.s.DetectOffline(ctx, f.clock); n != 0 || err != nil {
			t.Fatalf("a device that reported 3 minutes ago (report waiting) marked offline: %d, %v", n, err)
		}
		f.process()
		// Silent for 6 minutes, then a report that waits while the check runs.
		f.advance(6 * time.Minute)
		ev, _ = Normalize(f.integ, trigger("S-1", "hb", OK), f.clock)
		if _, err := f.s.Ingest(ctx, []Event{ev}); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Second)
		if _, err := f.s.DetectOffline(ctx, f.clock); err != nil {
			t.Fatal(err)
		}
		f.process()
		open := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'heartbeat' AND state <> 'resolved'`)
		online := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'online'`)
		if open != 0 || f.openIncidents() != 0 || online != 1 {
			t.Fatalf("device reported 1s ago: %d offline alerts open, %d incidents, %d devices online", open, f.openIncidents(), online)
		}
	})
}

// A device is never left offline without its alert: when storing the
// alert's event fails, the device stays online, and the next check marks
// it offline with its alert.
func TestAOfflineDeviceAlwaysHasItsAlert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.ci("Sensor", "sensor-1", map[string]any{"device_id": "S-1"})
		st := DefaultSettings()
		st.OfflineAfter = map[string]int{"Sensor": 300}
		if _, err := f.s.SaveSettings(ctx, audit.System, st); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("S-1", "hb", OK))
		f.advance(10 * time.Minute)
		insertOffline = func(context.Context, *store.Tx, []Event) (int, error) { return 0, context.Canceled }
		defer func() { insertOffline = insertEvents }()
		if _, err := f.s.DetectOffline(ctx, f.clock); err == nil {
			t.Fatal("the check succeeded though its alert was not stored")
		}
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'offline'`); n != 0 {
			t.Fatalf("device offline without its alert")
		}
		insertOffline = insertEvents
		if n, err := f.s.DetectOffline(ctx, f.clock); n != 1 || err != nil {
			t.Fatalf("the next check: %d offline, %v", n, err)
		}
		f.process()
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'heartbeat' AND state = 'open'`); n != 1 {
			t.Fatalf("%d offline alerts for the offline device", n)
		}
	})
}
