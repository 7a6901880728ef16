package event

import (
	"context"
	"fmt"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
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

// demo is a site's network as the demo builds it: a core router, a
// switch behind it, two gateways behind the switch and sensors S-g-n
// behind each gateway.
func demo(f *fleet, sensors int) (core, sw int64, gws [2]int64) {
	core = f.ci("Network device", "core-1", map[string]any{"role": "router"})
	sw = f.ci("Network device", "switch-1", map[string]any{"role": "switch"})
	f.relate(sw, core, cmdb.DependsOn)
	for g := range gws {
		gws[g] = f.ci("IoT gateway", fmt.Sprintf("GW-00000%d", g+1), map[string]any{"device_id": fmt.Sprintf("GW-%d", g+1)})
		f.relate(gws[g], sw, cmdb.DependsOn)
		for n := 0; n < sensors; n++ {
			s := f.ci("Sensor", fmt.Sprintf("sensor-%d-%d", g+1, n), map[string]any{"device_id": fmt.Sprintf("S-%d-%d", g+1, n)})
			f.relate(s, gws[g], cmdb.DependsOn)
		}
	}
	return
}

func (f *fleet) titles() []string {
	rows, err := f.e.DB.Query(context.Background(), `SELECT title FROM incidents ORDER BY id`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// A storm behind one gateway does not absorb alerts behind another one,
// nor on the other gateway itself, although all sit behind one switch
// and one core router.
func TestAStormBehindAGatewayKeepsOtherGatewaysApart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		demo(f, 5)
		var storm []Input
		for n := 0; n < 5; n++ {
			storm = append(storm, trigger(fmt.Sprintf("S-1-%d", n), "reporting", Major))
		}
		f.send(storm[:2]...)
		f.advance(time.Minute)
		f.send(storm[2:]...)
		f.advance(time.Minute)
		f.send(trigger("GW-2", "cpu", Critical))
		f.advance(time.Minute)
		f.send(trigger("S-2-0", "temperature", Major))
		if n := f.incidents(); n != 2 {
			t.Fatalf("%d incidents (%q); want the storm behind GW-000001, and the gateway GW-000002 with its sensor", n, f.titles())
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE i.title = '5 devices behind IoT gateway GW-000001 alerting'`); n != 5 {
			t.Fatalf("titles %q; want the storm's 5 alerts under one counting its devices", f.titles())
		}
	})
}

// A gateway's alert and those of the 300 sensors behind it make one
// incident, titled with the gateway and the count of devices behind it.
func TestAGatewayDownAndItsSensorsMakeOneIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		demo(f, 300)
		f.send(trigger("GW-1", "uplink", Critical))
		var storm []Input
		for n := 0; n < 300; n++ {
			storm = append(storm, trigger(fmt.Sprintf("S-1-%d", n), "reporting", Major))
		}
		f.send(storm[:100]...)
		f.advance(time.Minute)
		f.send(storm[100:]...)
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents; want 1", n)
		}
		var title, desc string
		e.DB.QueryRow(context.Background(), `SELECT title, description FROM incidents`).Scan(&title, &desc)
		if want := "IoT gateway GW-000001 down, 300 devices behind it alerting"; title != want || !contains(desc, want) {
			t.Fatalf("title %q, description %q", title, desc)
		}
	})
}

// A title changed by hand stays as it is when more alerts join.
func TestAStormKeepsATitleChangedByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		demo(f, 3)
		f.send(trigger("S-1-0", "reporting", Major), trigger("S-1-1", "reporting", Major))
		if _, err := e.DB.Exec(context.Background(), `UPDATE incidents SET title = 'Power cut in hall 3'`); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("S-1-2", "reporting", Major))
		if got := f.titles(); len(got) != 1 || got[0] != "Power cut in hall 3" {
			t.Fatalf("titles %q", got)
		}
	})
}

// The devices behind a gateway that is down attach to its incident for as
// long as it is down, past the group window.
func TestAlertsBehindADownGatewayJoinItsIncidentPastTheGroupWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		gw := f.ci("IoT gateway", "gw-1", map[string]any{"device_id": "GW-1"})
		for _, s := range []string{"S-1", "S-2"} {
			c := f.ci("Sensor", "sensor-"+s, map[string]any{"device_id": s})
			f.relate(c, gw, cmdb.DependsOn)
		}
		f.send(trigger("GW-1", "uplink", Critical))
		for i := 0; i < 4; i++ { // the gateway keeps reporting it is down
			f.advance(4 * time.Minute)
			f.send(trigger("GW-1", "uplink", Critical))
		}
		f.send(trigger("S-1", "heartbeat", Major), trigger("S-2", "heartbeat", Major))
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents while the gateway is down; want 1 (children attach to the parent's incident)", n)
		}
	})
}

// A storm's incident still gathers the devices behind its gateway after
// a restart.
func TestAStormContinuesAcrossARestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		gw := f.ci("IoT gateway", "gw-1", map[string]any{"device_id": "GW-1"})
		for _, s := range []string{"S-1", "S-2", "S-3", "S-4"} {
			f.relate(f.ci("Sensor", "sensor-"+s, map[string]any{"device_id": s}), gw, cmdb.DependsOn)
		}
		f.send(trigger("S-1", "reporting", Major), trigger("S-2", "reporting", Major))
		f.s.releaseLease()
		f.s = f.service() // restart
		f.advance(time.Minute)
		f.send(trigger("S-3", "reporting", Major))
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents for one storm across a restart; want 1", n)
		}
		f.s.releaseLease()
		f.s = f.service() // and once the gateway is down
		f.advance(time.Minute)
		f.send(trigger("GW-1", "uplink", Critical))
		f.s.releaseLease()
		f.s = f.service()
		f.advance(time.Hour)
		f.send(trigger("S-4", "reporting", Major))
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents for one storm across restarts; want 1", n)
		}
		if got := f.titles(); got[0] != "IoT gateway gw-1 down, 4 devices behind it alerting" {
			t.Fatalf("title %q", got[0])
		}
	})
}

// An alert reopened after its incident was resolved opens a new incident.
func TestAReopenedAlertOpensANewIncidentOnceItsOwnIsResolved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		st := DefaultSettings()
		st.ReopenWindow = Duration(time.Hour)
		if _, err := f.s.SaveSettings(ctx, audit.System, st); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("db-1", "ping", Critical))
		f.send(resolve("db-1", "ping"))
		f.advance(6 * time.Minute)
		if n, err := f.s.AutoResolve(ctx, f.clock); n != 1 || err != nil {
			t.Fatalf("auto-resolved %d, %v", n, err)
		}
		f.advance(time.Minute)
		f.send(trigger("db-1", "ping", Critical))
		f.advance(time.Minute)
		f.send(trigger("db-1", "ping", Critical))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE state = 'open'`); n != 1 {
			t.Fatalf("%d open alerts", n)
		}
		if n := f.openIncidents(); n != 1 {
			t.Fatalf("a firing critical alert with %d open incidents; want 1", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alert_log WHERE what = 'incident_left'`); n != 1 {
			t.Fatal("the timeline should say which incident the alert left")
		}
	})
}

// An incident resolved by hand while its alert keeps firing is followed by
// a new one at the alert's next trigger.
func TestAnAlertFiringAfterItsIncidentWasResolvedByHandOpensANewOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.send(trigger("app", "http", Major))
		var id int64
		e.DB.QueryRow(ctx, `SELECT id FROM incidents`).Scan(&id)
		if _, err := e.DB.Exec(ctx, `UPDATE incidents SET state = 'resolved' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Hour)
		f.send(trigger("app", "http", Critical))
		if n := f.openIncidents(); n != 1 {
			t.Fatalf("critical alert firing an hour after its incident was resolved by hand: %d open incidents", n)
		}
	})
}

// A critical alert that fires and resolves opens an incident whether the
// trigger and the resolve are processed together or apart; the incident
// resolves itself after the hold-down.
func TestAShortCriticalAlertOpensAnIncidentWhateverTheBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.send(trigger("db", "ping", Critical), resolve("db", "ping"))
		f.send(trigger("db2", "ping", Critical))
		f.send(resolve("db2", "ping"))
		for _, d := range []string{"db", "db2"} {
			if n := f.count(`SELECT COUNT(*) FROM alerts WHERE device = ? AND incident_id IS NOT NULL`, d); n != 1 {
				t.Fatalf("alert of %s in %d incidents; want 1", d, n)
			}
		}
		f.advance(6 * time.Minute)
		if n, err := f.s.AutoResolve(context.Background(), f.clock); n != 2 || err != nil {
			t.Fatalf("auto-resolved %d, %v; want 2", n, err)
		}
	})
}

// Work on a gateway holds the alerts of the devices behind it too; those
// still firing when the window ends open one incident.
func TestMaintenanceOnAGatewayHoldsTheDevicesBehindIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		_, _, gws := demo(f, 2)
		ctx := context.Background()
		var chg int64
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, planned_start, planned_end, created_at, updated_at)
			VALUES ('Firmware on GW-000001', 'normal', 'scheduled', ?, ?, ?, ?) RETURNING id`,
				store.TS(f.clock.Add(-time.Minute)), store.TS(f.clock.Add(30*time.Minute)), store.TS(f.clock), store.TS(f.clock)).Scan(&chg)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, `INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('change', ?, ?, ?)`, chg, gws[0], store.TS(f.clock)); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("GW-1", "uplink", Critical), trigger("S-1-0", "reporting", Major), trigger("S-1-1", "reporting", Major))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE in_maintenance AND held = 'maintenance'`); n != 3 {
			t.Fatalf("%d alerts held in maintenance; want 3", n)
		}
		if n := f.incidents(); n != 0 {
			t.Fatalf("%d incidents in maintenance; want none", n)
		}
		// A sensor's alert names the change on its gateway that holds it.
		var sensorAlert int64
		if err := e.DB.QueryRow(ctx, `SELECT id FROM alerts WHERE device = 'S-1-0'`).Scan(&sensorAlert); err != nil {
			t.Fatal(err)
		}
		d, err := f.s.GetAlert(ctx, &auth.Principal{UserID: 1, Role: auth.Admin}, sensorAlert)
		if err != nil || len(d.Maintenance) != 1 || d.Maintenance[0].ID != chg || d.Maintenance[0].CIID != gws[0] || d.Maintenance[0].Title != "Firmware on GW-000001" {
			t.Fatalf("the sensor's alert names %+v (%v), want the gateway's change %d", d.Maintenance, err, chg)
		}
		f.advance(16 * time.Second)
		f.process() // housekeeping while the window lasts releases nothing
		if n := f.count(`SELECT COUNT(*) FROM alert_log WHERE what = 'maintenance_ended'`); n != 0 {
			t.Fatal("released while the gateway is still in maintenance")
		}
		f.advance(31 * time.Minute)
		f.process()
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents after the window; want 1", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE incident_id IS NOT NULL`); n != 3 {
			t.Fatalf("%d alerts in the incident; want 3", n)
		}
	})
}
