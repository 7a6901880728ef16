package event

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// consoleFleet is a small fleet: two sites, a gateway at each, a sensor
// behind each gateway, the sensors members of their site's fleet CI, and
// the Metering service depending on the first site's fleet.
type consoleFleet struct {
	db  *store.DB
	svc *Service
	ids map[string]int64
	it  int64 // an http integration
	it2 int64 // a pagerduty integration
}

func newConsoleFleet(t testing.TB, e storetest.Engine) *consoleFleet {
	t.Helper()
	f := &consoleFleet{db: e.DB, ids: map[string]int64{}}
	f.svc = NewService(e.DB, cmdb.NewService(e.DB, nil), nil, nil)
	f.ci(t, "Lyon S-0001", "Site", `{}`)
	f.ci(t, "Porto S-0002", "Site", `{}`)
	f.ci(t, "gateway GW-1", "IoT gateway", `{"device_id":"GW-1","site":`+consoleItoa(f.ids["Lyon S-0001"])+`}`)
	f.ci(t, "gateway GW-2", "IoT gateway", `{"device_id":"GW-2","site":`+consoleItoa(f.ids["Porto S-0002"])+`}`)
	f.ci(t, "sensor SN-1", "Sensor", `{"device_id":"SN-1"}`)
	f.ci(t, "sensor SN-2", "Sensor", `{"device_id":"SN-2"}`)
	f.ci(t, "Fleet site S-0001", "Fleet", `{}`)
	f.ci(t, "Metering", "Business service", `{}`)
	f.rel(t, "sensor SN-1", cmdb.DependsOn, "gateway GW-1")
	f.rel(t, "sensor SN-2", cmdb.DependsOn, "gateway GW-2")
	f.rel(t, "sensor SN-1", cmdb.MemberOf, "Fleet site S-0001")
	f.rel(t, "Metering", cmdb.DependsOn, "Fleet site S-0001")
	f.it = consoleIntegration(t, e.DB, "Fleet monitoring", "http")
	f.it2 = consoleIntegration(t, e.DB, "Pager", "pagerduty")
	return f
}

func consoleItoa(n int64) string { return strconv.FormatInt(n, 10) }

func (f *consoleFleet) ci(t testing.TB, name, typ, attrs string) {
	t.Helper()
	ctx := context.Background()
	now := store.TS(time.Now())
	var id int64
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO cis (type_id, name, status, attributes, created_at, updated_at)
			VALUES ((SELECT id FROM ci_types WHERE name = ?), ?, 'in_use', ?, ?, ?) RETURNING id`, typ, name, attrs, now, now).Scan(&id); err != nil {
			return err
		}
		return cmdb.RecordChange(ctx, tx, audit.System, cmdb.Change{CIID: id, Action: cmdb.ActionCreate})
	})
	if err != nil {
		t.Fatal(err)
	}
	f.ids[name] = id
}

func (f *consoleFleet) rel(t testing.TB, source string, rt cmdb.RelType, target string) {
	t.Helper()
	ctx := context.Background()
	s, tg := f.ids[source], f.ids[target]
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ci_relationships (source_id, target_id, type, created_at) VALUES (?, ?, ?, ?)`,
			s, tg, string(rt), store.TS(time.Now())); err != nil {
			return err
		}
		return cmdb.RecordChange(ctx, tx, audit.System, cmdb.Change{CIID: s, Action: cmdb.ActionRelate, RelatedID: &tg, RelType: rt})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// consoleIntegration inserts an integration the way CreateIntegration
// leaves it.
func consoleIntegration(t testing.TB, db *store.DB, name, kind string) int64 {
	t.Helper()
	var id int64
	now := store.TS(time.Now())
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO integrations (name, kind, key_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, name, kind, HashKey(name), now, now).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// consoleAlert is an alerts row as the processor writes it.
type consoleAlert struct {
	Integration int64
	Key         string
	State       AlertState
	Severity    Severity
	Device      string
	Summary     string
	CI          int64
	Incident    int64
	Flapping    bool
	Maint       bool
	Held        string
	Seen        time.Time
}

// consoleInsertAlert writes an alert row directly, as the processor would.
func consoleInsertAlert(t testing.TB, db *store.DB, a consoleAlert) int64 {
	t.Helper()
	if a.State == "" {
		a.State = StateOpen
	}
	if a.Severity == "" {
		a.Severity = Critical
	}
	if a.Seen.IsZero() {
		a.Seen = time.Now()
	}
	var ci, inc any
	if a.CI != 0 {
		ci = a.CI
	}
	if a.Incident != 0 {
		inc = a.Incident
	}
	seen := store.TS(a.Seen)
	var id int64
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO alerts (integration_id, dedup_key, state, severity, summary, device,
		count, first_seen_at, last_seen_at, ci_id, incident_id, flapping, in_maintenance, held, first_event_id, last_event_id, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?) RETURNING id`,
			a.Integration, a.Key, a.State, a.Severity, a.Summary, a.Device, seen, seen, ci, inc, a.Flapping, a.Maint, a.Held, seen).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func agent(t testing.TB, db *store.DB) *auth.Principal {
	t.Helper()
	u, err := auth.CreateUser(context.Background(), db, audit.System, auth.NewUser{Email: "agent@event.test", Name: "Alex Agent", Role: auth.Agent, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: auth.Agent}
}

func TestListAlertsPagesAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newConsoleFleet(t, e)
		p := agent(t, e.DB)
		base := time.Now().Add(-time.Hour)
		for i := range 7 {
			st := StateOpen
			if i%3 == 1 {
				st = StateAcknowledged
			}
			if i == 6 {
				st = StateResolved
			}
			consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "k" + consoleItoa(int64(i)), State: st, Severity: Severities[i%3],
				CI: f.ids["sensor SN-1"], Summary: "temperature high", Seen: base.Add(time.Duration(i) * time.Minute)})
		}
		// All states, three at a time, newest first, no alert twice.
		var got []int64
		var last time.Time
		cur := ""
		for range 5 {
			pg, err := f.svc.ListAlerts(ctx, p, AlertFilter{Limit: 3, After: cur})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range pg.Items {
				if !last.IsZero() && a.LastSeenAt.After(last) {
					t.Fatalf("alert %d seen %v after %v: not newest first", a.ID, a.LastSeenAt, last)
				}
				last = a.LastSeenAt
				got = append(got, a.ID)
			}
			if cur = pg.Next; cur == "" {
				break
			}
		}
		if len(got) != 7 {
			t.Fatalf("paged through %d alerts, want 7: %v", len(got), got)
		}
		active, err := f.svc.ListAlerts(ctx, p, AlertFilter{State: Active})
		if err != nil || len(active.Items) != 6 {
			t.Fatalf("active: %d alerts, %v; want 6", len(active.Items), err)
		}
		crit, err := f.svc.ListAlerts(ctx, p, AlertFilter{State: Active, Severity: []Severity{Critical}})
		if err != nil || len(crit.Items) != 2 {
			t.Fatalf("active critical: %d alerts, %v; want 2", len(crit.Items), err)
		}
		_, err = f.svc.ListAlerts(ctx, p, AlertFilter{State: "burning", Severity: []Severity{"huge"}, After: "zz"})
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !inv.Has("state") || !inv.Has("severity") || !inv.Has("cursor") {
			t.Fatalf("bad filter: %v, want state, severity and cursor named", err)
		}
		if _, err := f.svc.ListAlerts(ctx, &auth.Principal{Role: auth.Requester}, AlertFilter{}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("requester listed alerts: %v", err)
		}
	})
}

func TestConsoleCountsGroupBySiteAndService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newConsoleFleet(t, e)
		p := agent(t, e.DB)
		consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "a", CI: f.ids["sensor SN-1"], Severity: Critical})
		consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "b", CI: f.ids["sensor SN-1"], Severity: Major, Flapping: true})
		consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it2, Key: "c", CI: f.ids["sensor SN-2"], Severity: Warning, State: StateAcknowledged, Maint: true})
		consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "d", Device: "mystery-1", Severity: Critical})
		consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "e", CI: f.ids["sensor SN-2"], State: StateResolved})

		c, err := f.svc.ConsoleCounts(ctx, p, AlertFilter{}, GroupSite)
		if err != nil {
			t.Fatal(err)
		}
		if c.Open != 3 || c.Acknowledged != 1 || c.Critical != 2 || c.Major != 1 || c.Flapping != 1 || c.InMaintenance != 1 {
			t.Fatalf("counts %+v", c)
		}
		sites := map[string]int64{}
		for _, g := range c.Groups {
			sites[g.Name] = g.Total
		}
		if sites["Lyon S-0001"] != 2 || sites["Porto S-0002"] != 1 || c.Ungrouped != 1 {
			t.Fatalf("by site %v, ungrouped %d; want Lyon 2, Porto 1, ungrouped 1", sites, c.Ungrouped)
		}
		// Alerts of a site: the sensor behind the Lyon gateway.
		pg, err := f.svc.ListAlerts(ctx, p, AlertFilter{State: Active, Site: f.ids["Lyon S-0001"]})
		if err != nil || len(pg.Items) != 2 {
			t.Fatalf("Lyon's alerts: %d, %v; want 2", len(pg.Items), err)
		}
		c, err = f.svc.ConsoleCounts(ctx, p, AlertFilter{Severity: []Severity{Critical}}, GroupService)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Groups) != 1 || c.Groups[0].Name != "Metering" || c.Groups[0].Total != 1 || c.Ungrouped != 1 {
			t.Fatalf("critical by service %+v, ungrouped %d; want Metering 1, ungrouped 1", c.Groups, c.Ungrouped)
		}
		if len(c.ByIntegration) != 1 || c.ByIntegration[0].Name != "Fleet monitoring" || c.ByIntegration[0].Total != 2 {
			t.Fatalf("critical by integration %+v", c.ByIntegration)
		}
	})
}

func TestMapDeviceRebindsItsOpenAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newConsoleFleet(t, e)
		p := agent(t, e.DB)
		now := store.TS(time.Now())
		for _, dev := range []string{"mystery-1", "mystery-2"} {
			if _, err := e.DB.Exec(ctx, `INSERT INTO unmapped_devices (integration_id, device, first_seen_at, last_seen_at, events, last_summary)
				VALUES (?, ?, ?, ?, 3, 'disk full')`, f.it, dev, now, now); err != nil {
				t.Fatal(err)
			}
		}
		open := consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "m1", Device: "mystery-1"})
		done := consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "m1-old", Device: "mystery-1", State: StateResolved})
		maps := f.svc.DeviceMaps.Load()

		if _, err := f.svc.MapDevice(ctx, &auth.Principal{Role: auth.Auditor}, f.it, "mystery-1", f.ids["sensor SN-1"]); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("auditor mapped a device: %v", err)
		}
		if _, err := f.svc.MapDevice(ctx, p, f.it, "mystery-1", 999999); err == nil {
			t.Fatal("mapped to a CI that does not exist")
		}
		m, err := f.svc.MapDevice(ctx, p, f.it, "mystery-1", f.ids["sensor SN-1"])
		if err != nil || m.Rebound != 1 {
			t.Fatalf("map: %+v, %v; want 1 alert rebound", m, err)
		}
		if f.svc.DeviceMaps.Load() != maps+1 {
			t.Fatal("mapping did not tell the processor to drop its cache")
		}
		a, _ := f.svc.GetAlert(ctx, p, open)
		r, _ := f.svc.GetAlert(ctx, p, done)
		if a.CIID == nil || *a.CIID != f.ids["sensor SN-1"] || r.CIID != nil {
			t.Fatalf("open alert bound to %v, resolved to %v; want only the open one bound", a.CIID, r.CIID)
		}
		if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM device_aliases WHERE value = 'mystery-1'`); n != 1 {
			t.Fatalf("%d aliases", n)
		}
		if err := f.svc.IgnoreDevice(ctx, p, f.it, "mystery-2"); err != nil {
			t.Fatal(err)
		}
		pg, err := f.svc.UnmappedDevices(ctx, p, DeviceFilter{})
		if err != nil || len(pg.Items) != 0 {
			t.Fatalf("unmapped after map and ignore: %+v, %v", pg.Items, err)
		}
		pg, _ = f.svc.UnmappedDevices(ctx, p, DeviceFilter{Ignored: true})
		if len(pg.Items) != 1 || pg.Items[0].Device != "mystery-2" || pg.Items[0].IntegrationName != "Fleet monitoring" {
			t.Fatalf("ignored: %+v", pg.Items)
		}
	})
}

func TestActOnAlertIngestsAnEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newConsoleFleet(t, e)
		p := agent(t, e.DB)
		id := consoleInsertAlert(t, e.DB, consoleAlert{Integration: f.it, Key: "disk-1", Device: "srv-1"})
		if _, err := f.svc.ActOnAlert(ctx, &auth.Principal{Role: auth.Requester}, id, Acknowledge); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("requester acknowledged: %v", err)
		}
		if _, err := f.svc.ActOnAlert(ctx, p, id, Acknowledge); err != nil {
			t.Fatal(err)
		}
		var key, action, source, summary string
		if err := e.DB.QueryRow(ctx, `SELECT dedup_key, action, source, summary FROM events WHERE integration_id = ?`, f.it).Scan(&key, &action, &source, &summary); err != nil {
			t.Fatal(err)
		}
		if key != "disk-1" || action != "acknowledge" || source != "steward" || summary != "Acknowledged by Alex Agent" {
			t.Fatalf("event %q %q %q %q", key, action, source, summary)
		}
		if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM alerts WHERE state = 'open'`); n != 1 {
			t.Fatal("the alert was changed directly, not by the processor")
		}
	})
}
