package event

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/incident"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// fleet is a database with event management, a CMDB and an integration.
type fleet struct {
	t     *testing.T
	e     storetest.Engine
	s     *Service
	integ int64
	clock time.Time
}

func newFleet(t *testing.T, e storetest.Engine) *fleet {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fleet{t: t, e: e, clock: time.Now().UTC().Truncate(time.Second)}
	f.s = f.service()
	u, err := auth.CreateUser(context.Background(), e.DB, audit.System, auth.NewUser{Email: "admin@x.test", Name: "Admin", Role: auth.Admin, Password: "long-enough-password"})
	if err != nil {
		t.Fatal(err)
	}
	admin := &auth.Principal{UserID: u.ID, Role: auth.Admin, Name: "admin"}
	in, err := f.s.CreateIntegration(context.Background(), admin, NewIntegration{Name: "fleet", Kind: "http"})
	if err != nil {
		t.Fatal(err)
	}
	f.integ = in.ID
	_ = log
	return f
}

// service is a Service on the fleet's database, as a new node or a
// restart would build it.
func (f *fleet) service() *Service {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := NewService(f.e.DB, cmdb.NewService(f.e.DB, log), incident.NewService(f.e.DB, 0), log)
	return s
}

func (f *fleet) ci(typ, name string, attrs map[string]any) int64 {
	f.t.Helper()
	c, err := f.s.CMDB.CreateCI(context.Background(), audit.System, cmdb.NewCI{Type: cmdb.TypeRef(typ), Name: name, Attributes: attrs}, nil)
	if err != nil {
		f.t.Fatalf("create CI %s: %v", name, err)
	}
	return c.ID
}

func (f *fleet) relate(source, target int64, t cmdb.RelType) {
	f.t.Helper()
	if _, err := f.s.CMDB.Relate(context.Background(), audit.System, cmdb.NewRelationship{SourceID: source, TargetID: target, Type: t}, nil); err != nil {
		f.t.Fatal(err)
	}
}

// send ingests inputs at the fleet's clock and processes them.
func (f *fleet) send(ins ...Input) {
	f.t.Helper()
	var events []Event
	for _, in := range ins {
		e, err := Normalize(f.integ, in, f.clock)
		if err != nil {
			f.t.Fatal(err)
		}
		events = append(events, e)
	}
	if _, err := f.s.Ingest(context.Background(), events); err != nil {
		f.t.Fatal(err)
	}
	f.process()
}

func (f *fleet) process() {
	f.t.Helper()
	if p, err := f.s.processor(context.Background()); err == nil {
		p.now = func() time.Time { return f.clock }
	}
	if _, err := f.s.ProcessPending(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fleet) advance(d time.Duration) {
	f.clock = f.clock.Add(d)
	if f.s.proc != nil {
		f.s.proc.houseAt = time.Time{}
	}
}

func (f *fleet) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.e.DB.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (f *fleet) incidents() int {
	return f.count(`SELECT COUNT(*) FROM incidents WHERE source = 'event'`)
}

func (f *fleet) openIncidents() int {
	return f.count(`SELECT COUNT(*) FROM incidents WHERE source = 'event' AND state IN ('new', 'in_progress', 'on_hold')`)
}

func trigger(device, check string, sev Severity) Input {
	return Input{CI: device, Check: check, Severity: sev, Action: Trigger, Summary: check + " failing on " + device}
}

func resolve(device, check string) Input {
	return Input{CI: device, Check: check, Action: Resolve}
}

func TestRepeatTriggersUpdateOneAlert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.ci("Server", "web-1", map[string]any{"hostname": "web-1.example"})
		f.send(trigger("web-1.example", "disk", Warning), trigger("web-1.example", "disk", Warning))
		f.send(trigger("web-1.example", "disk", Critical))
		var count int
		var sev, state string
		if err := e.DB.QueryRow(context.Background(), `SELECT count, severity, state FROM alerts`).Scan(&count, &sev, &state); err != nil {
			t.Fatal(err)
		}
		if count != 3 || sev != "critical" || state != "open" {
			t.Fatalf("alert count %d severity %s state %s; want 3 critical open", count, sev, state)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts`); n != 1 {
			t.Fatalf("%d alerts; want 1", n)
		}
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents once critical; want 1", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alert_log WHERE what = 'severity'`); n != 1 {
			t.Fatalf("%d severity changes logged; want 1", n)
		}
	})
}

func TestUnknownAcknowledgeOrResolveChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.send(Input{CI: "x", Check: "c", Action: Acknowledge}, resolve("x", "c"), trigger("x", "hb", OK))
		if n := f.count(`SELECT COUNT(*) FROM alerts`); n != 0 {
			t.Fatalf("%d alerts; want none", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM events`); n != 3 {
			t.Fatalf("%d events recorded; want 3", n)
		}
	})
}

func TestTriggerAfterResolveOpensANewAlertAndIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.send(trigger("db-1", "ping", Critical))
		f.send(resolve("db-1", "ping"))
		f.advance(6 * time.Minute)
		if n, err := f.s.AutoResolve(context.Background(), f.clock); err != nil || n != 1 {
			t.Fatalf("auto-resolved %d, %v; want 1", n, err)
		}
		f.advance(11 * time.Minute)
		f.send(trigger("db-1", "ping", Critical))
		if n := f.count(`SELECT COUNT(*) FROM alerts`); n != 2 {
			t.Fatalf("%d alerts; want 2", n)
		}
		if n := f.incidents(); n != 2 {
			t.Fatalf("%d incidents; want 2", n)
		}
	})
}

func TestReopenWindowReopensTheResolvedAlert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		st := DefaultSettings()
		st.ReopenWindow = Duration(10 * time.Minute)
		if _, err := f.s.SaveSettings(context.Background(), audit.System, st); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("db-1", "ping", Minor))
		f.send(resolve("db-1", "ping"))
		f.advance(time.Minute)
		f.send(trigger("db-1", "ping", Minor))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE state = 'open' AND count = 2`); n != 1 {
			t.Fatalf("want the one alert reopened with count 2")
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts`); n != 1 {
			t.Fatalf("%d alerts; want 1", n)
		}
	})
}

func TestAlertsBindToCIsByIdentifierAliasIPAndName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		byID := f.ci("Sensor", "sensor-a", map[string]any{"device_id": "S-0001"})
		byHost := f.ci("Server", "web-2", map[string]any{"hostname": "web-2.example", "serial_number": "SN-77", "ip_address": "10.0.0.7"})
		alias := f.ci("Sensor", "sensor-b", map[string]any{"device_id": "S-0002"})
		if _, err := e.DB.Exec(context.Background(), `INSERT INTO device_aliases (value, ci_id, created_at) VALUES ('old-name', ?, ?)`, alias, store.TS(f.clock)); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("S-0001", "a", Info), trigger("web-2.example", "b", Info), trigger("SN-77", "c", Info),
			trigger("10.0.0.7", "d", Info), trigger("old-name", "e", Info), trigger("WEB-2", "f", Info), trigger("nobody", "g", Info))
		want := map[string]int64{"a": byID, "b": byHost, "c": byHost, "d": byHost, "e": alias, "f": byHost, "g": 0}
		for check, ci := range want {
			var got *int64
			if err := e.DB.QueryRow(context.Background(), `SELECT ci_id FROM alerts WHERE check_name = ?`, check).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if (got == nil && ci != 0) || (got != nil && *got != ci) {
				t.Errorf("check %s bound to %v; want %d", check, got, ci)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM unmapped_devices WHERE device = 'nobody' AND events = 1`); n != 1 {
			t.Fatalf("unknown device not listed")
		}
	})
}

func TestSeverityRulesDecideWhichAlertsOpenIncidents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.ci("Sensor", "sensor-a", map[string]any{"device_id": "S-1"})
		f.send(trigger("S-1", "temp", Minor), trigger("web", "cpu", Warning))
		if n := f.incidents(); n != 0 {
			t.Fatalf("%d incidents for minor alerts; want none", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE held = 'severity'`); n != 2 {
			t.Fatalf("%d alerts held for severity; want 2", n)
		}
		st := DefaultSettings()
		st.Rules = []Rule{{Name: "sensors", Severities: []Severity{Minor}, CITypes: []string{"sensor"}}}
		if _, err := f.s.SaveSettings(context.Background(), audit.System, st); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Minute)
		f.send(trigger("S-1", "humidity", Minor), trigger("web", "mem", Minor))
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents; want 1 (the sensor's)", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'mem' AND held = 'unmapped'`); n != 1 {
			t.Fatal("an alert without a CI under a CI-type rule should be held as unmapped")
		}
	})
}

func TestFlappingHoldsTheIncidentUntilQuiet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		st := DefaultSettings()
		st.IncidentSeverities = []Severity{Critical}
		st.HoldDown = 0
		f.s.SaveSettings(context.Background(), audit.System, st)
		// Minor alerts flap without incidents; then it turns critical while flapping.
		for i := 0; i < 3; i++ {
			f.send(trigger("pump", "flow", Minor))
			f.advance(10 * time.Second)
			f.send(resolve("pump", "flow"))
			f.advance(10 * time.Second)
		}
		f.send(trigger("pump", "flow", Critical))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE state = 'open' AND flapping AND held = 'flapping'`); n != 1 {
			t.Fatalf("want the open alert flapping and held")
		}
		if n := f.incidents(); n != 0 {
			t.Fatalf("%d incidents while flapping; want none", n)
		}
		f.advance(11 * time.Minute)
		f.process()
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents once quiet; want 1", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE state = 'open' AND NOT flapping AND incident_id IS NOT NULL`); n != 1 {
			t.Fatal("the quiet alert should have its incident")
		}
	})
}

func TestMaintenanceHoldsAlertsAndReleasesThemAfterTheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ci := f.ci("Server", "db-9", map[string]any{"hostname": "db-9"})
		ctx := context.Background()
		var chg int64
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, planned_start, planned_end, created_at, updated_at)
			VALUES ('Patch db-9', 'normal', 'scheduled', ?, ?, ?, ?) RETURNING id`,
				store.TS(f.clock.Add(-time.Minute)), store.TS(f.clock.Add(30*time.Minute)), store.TS(f.clock), store.TS(f.clock)).Scan(&chg)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, `INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('change', ?, ?, ?)`, chg, ci, store.TS(f.clock)); err != nil {
			t.Fatal(err)
		}
		f.send(trigger("db-9", "ping", Critical), trigger("db-9", "disk", Critical))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE in_maintenance AND held = 'maintenance'`); n != 2 {
			t.Fatalf("%d alerts held in maintenance; want 2", n)
		}
		if n := f.incidents(); n != 0 {
			t.Fatalf("%d incidents in maintenance; want none", n)
		}
		f.send(resolve("db-9", "disk"))
		f.advance(31 * time.Minute)
		f.process()
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents after the window; want 1 for the alert still firing", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'disk' AND incident_id IS NULL`); n != 1 {
			t.Fatal("the alert resolved in the window should open nothing")
		}
	})
}

func TestAStormBehindOneGatewayOpensOneIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		site := f.ci("Site", "plant-1", map[string]any{"code": "P1"})
		gws := []int64{f.ci("IoT gateway", "gw-1", map[string]any{"device_id": "GW-1"}), f.ci("IoT gateway", "gw-2", map[string]any{"device_id": "GW-2"})}
		for _, gw := range gws {
			f.relate(gw, site, cmdb.DependsOn)
		}
		var ins []Input
		for i := 0; i < 300; i++ {
			s := f.ci("Sensor", fmt.Sprintf("sensor-%d", i), map[string]any{"device_id": fmt.Sprintf("S-%d", i)})
			f.relate(s, gws[0], cmdb.DependsOn)
			ins = append(ins, trigger(fmt.Sprintf("S-%d", i), "reporting", Major))
		}
		f.send(ins[:100]...)
		f.send(append(ins[100:], trigger("GW-1", "uplink", Critical))...)
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents for one storm; want 1", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE incident_id IS NOT NULL`); n != 301 {
			t.Fatalf("%d alerts in the incident; want 301", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM incident_journal WHERE kind = 'work_note'`); n != 1 {
			t.Fatalf("%d journal notes for joins; want one per batch", n)
		}
		var impact, title string
		var id int64
		e.DB.QueryRow(context.Background(), `SELECT id, impact, title FROM incidents`).Scan(&id, &impact, &title)
		if impact != "high" {
			t.Fatalf("impact %s for 300 devices; want high", impact)
		}
		if title != "IoT gateway gw-1 down, 300 devices behind it alerting" {
			t.Fatalf("title %q", title)
		}
		inc, err := f.s.Incidents.Get(context.Background(), &auth.Principal{Role: auth.Admin}, id)
		if err != nil || inc.Source != "event" || len(inc.AlertIDs) != 301 {
			t.Fatalf("incident source %q with %d alert ids, %v", inc.Source, len(inc.AlertIDs), err)
		}
	})
}

func TestAutoResolveAfterHoldDownAndCancelledByARetrigger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.ci("Server", "app-1", map[string]any{"hostname": "app-1"})
		f.send(trigger("app-1", "http", Critical), trigger("app-1", "tls", Major), trigger("app-1", "dns", Major))
		f.send(resolve("app-1", "http"), resolve("app-1", "tls"), resolve("app-1", "dns"))
		f.advance(2 * time.Minute)
		f.send(trigger("app-1", "http", Critical)) // back within the hold-down
		f.advance(4 * time.Minute)
		if n, _ := f.s.AutoResolve(ctx, f.clock); n != 0 {
			t.Fatal("a re-trigger within the hold-down must keep the incident open")
		}
		f.send(resolve("app-1", "http"))
		f.advance(4 * time.Minute)
		if n, _ := f.s.AutoResolve(ctx, f.clock); n != 0 {
			t.Fatal("resolved before the hold-down passed")
		}
		f.advance(2 * time.Minute)
		if n, err := f.s.AutoResolve(ctx, f.clock); n != 1 || err != nil {
			t.Fatalf("auto-resolved %d, %v; want 1", n, err)
		}
		var notes string
		e.DB.QueryRow(ctx, `SELECT resolution_notes FROM incidents`).Scan(&notes)
		if notes != "All 4 alerts resolved and stayed resolved for 5 minutes." {
			t.Fatalf("notes %q", notes)
		}
	})
}

func TestOfflineDevicesRaiseAnAlertAndUnknownWithoutInterval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.ci("Sensor", "sensor-1", map[string]any{"device_id": "S-1"})
		f.ci("Server", "srv-1", map[string]any{"hostname": "srv-1"})
		st := DefaultSettings()
		st.OfflineAfter = map[string]int{"Sensor": 300}
		f.s.SaveSettings(ctx, audit.System, st)
		f.send(trigger("S-1", "hb", OK), trigger("srv-1", "hb", OK))
		f.advance(2 * time.Hour)
		if n, err := f.s.DetectOffline(ctx, f.clock); n != 1 || err != nil {
			t.Fatalf("%d offline, %v; want 1", n, err)
		}
		f.process()
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'offline'`); n != 1 {
			t.Fatal("the sensor should be offline")
		}
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'unknown'`); n != 1 {
			t.Fatal("the server, with no interval, should be unknown")
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'heartbeat' AND source = 'steward' AND state = 'open'`); n != 1 {
			t.Fatal("an offline device raises an alert")
		}
		f.send(trigger("S-1", "hb", OK))
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'heartbeat' AND state = 'resolved'`); n != 1 {
			t.Fatal("the offline alert resolves when the device reports again")
		}
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'online'`); n != 1 {
			t.Fatal("the sensor is online again")
		}
	})
}

func TestARestartContinuesFromTheCursor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.send(trigger("x", "a", Critical))
		f.s.releaseLease() // a clean stop
		f.s = f.service()
		f.send(trigger("x", "a", Critical))
		f.s = f.service() // a crash: the lease lapses first
		f.advance(time.Minute)
		if _, err := f.s.ProcessPending(context.Background()); !errors.Is(err, ErrNotProcessor) {
			t.Fatalf("a second processor while the lease holds: %v", err)
		}
		f.advance(time.Minute)
		f.send(trigger("x", "a", Critical))
		var count int
		e.DB.QueryRow(context.Background(), `SELECT count FROM alerts`).Scan(&count)
		if count != 3 || f.incidents() != 1 || f.count(`SELECT COUNT(*) FROM alerts`) != 1 {
			t.Fatalf("after a restart: count %d, %d incidents; want 2 and 1", count, f.incidents())
		}
	})
}

func TestSettingsAreValidated(t *testing.T) {
	st := DefaultSettings()
	st.FlapChanges = 1
	st.IncidentSeverities = []Severity{"ok"}
	st.Rules = []Rule{{Name: "empty"}}
	st.OfflineAfter = map[string]int{"Sensor": 1}
	err := st.Validate()
	for _, field := range []string{"flap_changes", "incident_severities", "rules", "offline_after"} {
		if err == nil || !contains(err.Error(), field) {
			t.Errorf("want an error on %s, got %v", field, err)
		}
	}
	good := DefaultSettings()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
