package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
)

// consoleSeed writes what the event processor would have: an
// integration, alerts on two demo sensors at two sites (one alert bound
// to an incident opened from events, one flapping, one held in
// maintenance), an alert of a device nobody mapped and that device in
// the unmapped list.
type consoleSeed struct {
	integration   int64
	sensorA       int64 // behind a gateway at siteA
	siteA, siteB  string
	incident      int64
	critical, dev int64 // alert ids
}

func seedConsole(t *testing.T, s *site) consoleSeed {
	t.Helper()
	ctx := context.Background()
	db := s.app.DB
	var c consoleSeed
	var sensorB int64
	// Two sensors whose gateways are at different sites.
	err := db.QueryRow(ctx, `SELECT MIN(r.source_id), MIN(site.name) FROM ci_relationships r
		JOIN cis g ON g.id = r.target_id JOIN ci_types gt ON gt.id = g.type_id AND gt.name = 'IoT gateway'
		JOIN cis site ON site.id = CAST(json_extract(g.attributes, '$.site') AS INTEGER)
		WHERE r.type = 'depends_on' GROUP BY site.id ORDER BY site.id LIMIT 1`).Scan(&c.sensorA, &c.siteA)
	if err != nil {
		t.Fatal(err)
	}
	err = db.QueryRow(ctx, `SELECT MIN(r.source_id), MIN(site.name) FROM ci_relationships r
		JOIN cis g ON g.id = r.target_id JOIN ci_types gt ON gt.id = g.type_id AND gt.name = 'IoT gateway'
		JOIN cis site ON site.id = CAST(json_extract(g.attributes, '$.site') AS INTEGER)
		WHERE r.type = 'depends_on' GROUP BY site.id ORDER BY site.id DESC LIMIT 1`).Scan(&sensorB, &c.siteB)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT id FROM integrations WHERE name = 'Fleet monitoring'`).Scan(&c.integration); err != nil {
		t.Fatal(err)
	}
	inc := s.incidents(t, 0, false)
	c.incident = inc.ID
	now := time.Now()
	insert := func(key, sev, summary, device string, ci, incident any, flapping, maint bool, held string, ago time.Duration) int64 {
		var id int64
		seen := store.TS(now.Add(-ago))
		first := store.TS(now.Add(-ago - 40*time.Minute))
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO alerts (integration_id, dedup_key, state, severity, summary, device, count, first_seen_at, last_seen_at,
				ci_id, incident_id, flapping, in_maintenance, held, first_event_id, last_event_id, updated_at)
				VALUES (?, ?, 'open', ?, ?, ?, 3, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?) RETURNING id`,
				c.integration, key, sev, summary, device, first, seen, ci, incident, flapping, maint, held, seen).Scan(&id)
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	c.critical = insert("k-temp", "critical", "Temperature 86 °C, above 80 °C", "SN-A", c.sensorA, c.incident, false, false, "", 3*time.Minute)
	insert("k-batt", "warning", "Battery at 14 %", "SN-A", c.sensorA, nil, false, false, "severity", 5*time.Minute)
	insert("k-link", "major", "Uplink changed state 6 times", "SN-B", sensorB, nil, true, false, "flapping", 7*time.Minute)
	insert("k-maint", "major", "No reading for 15 minutes", "SN-B", sensorB, nil, false, true, "maintenance", 9*time.Minute)
	c.dev = insert("k-mystery", "major", "Temperature 70 °C, above 65 °C", "SN-9900017", nil, nil, false, false, "unmapped", 11*time.Minute)
	ts := store.TS(now.Add(-11 * time.Minute))
	if _, err := db.Exec(ctx, `INSERT INTO alert_log (alert_id, at, what, detail) VALUES (?, ?, 'opened', 'Temperature 84 °C'), (?, ?, 'incident_opened', ?)`,
		c.critical, ts, c.critical, store.TS(now.Add(-3*time.Minute)), inc.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE incidents SET source = 'event' WHERE id = ?`, c.incident); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO unmapped_devices (integration_id, device, first_seen_at, last_seen_at, events, last_summary)
		VALUES (?, 'SN-9900017', ?, ?, 2, 'Temperature 70 °C, above 65 °C')`, c.integration, ts, ts); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAlertConsolePages(t *testing.T) {
	s := newSite(t)
	c := seedConsole(t, s)
	agent := s.signedIn("agent")

	p := agent.get("/alerts")
	for _, want := range []string{"Alert console", "Temperature 86 °C", "Held: flapping", "Held: in maintenance", "No incident: below rule severity",
		"Fleet monitoring", "/incidents/INC-", "Unmapped devices", "not mapped"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	p = agent.get("/alerts?group=site")
	if p.status != 200 || !strings.Contains(p.body, c.siteA) || !strings.Contains(p.body, c.siteB) || !strings.Contains(p.body, "No site known") {
		t.Fatalf("grouped by site: %d, want %s and %s and the unmapped device's row", p.status, c.siteA, c.siteB)
	}
	p = agent.get("/alerts?severity=critical")
	if strings.Contains(p.body, "Battery at 14") || !strings.Contains(p.body, "Temperature 86") {
		t.Fatal("the severity filter did not narrow the list")
	}
	if p := agent.get("/alerts?severity=huge&integration=x"); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "severity") {
		t.Fatalf("bad filters: %d", p.status)
	}
	p = agent.get("/alerts/" + strconv.FormatInt(c.critical, 10))
	if !strings.Contains(p.body, "Timeline") || !strings.Contains(p.body, "Incident opened") || !strings.Contains(p.body, "Acknowledge") {
		t.Fatalf("alert page: %d", p.status)
	}
	p = agent.post("/alerts/"+strconv.FormatInt(c.critical, 10)+"/acknowledge", nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d %s", p.status, p.body)
	}
	if p := agent.get(p.location); !strings.Contains(p.body, "within seconds") {
		t.Fatal("no notice that the acknowledgement applies within seconds")
	}
	// The incident page lists its alerts and says where it came from.
	var number string
	s.app.DB.QueryRow(context.Background(), `SELECT 'INC-' || substr('000000' || id, -6) FROM incidents WHERE id = ?`, c.incident).Scan(&number)
	p = agent.get("/incidents/" + number)
	if !strings.Contains(p.body, "Alerts (1)") || !strings.Contains(p.body, "Opened from events") || !strings.Contains(p.body, "incident_id="+strconv.FormatInt(c.incident, 10)) {
		t.Fatal("the incident page does not show its alerts panel")
	}

	// Mapping: a wrong CI keeps what was typed and says why.
	p = agent.get("/alerts/unmapped")
	if !strings.Contains(p.body, "SN-9900017") {
		t.Fatal("the unmapped device is not listed")
	}
	form := url.Values{"integration_id": {strconv.FormatInt(c.integration, 10)}, "device": {"SN-9900017"}, "ci": {"no such thing at all"}}
	p = agent.post("/alerts/unmapped/map", form)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `value="no such thing at all"`) {
		t.Fatalf("a wrong CI: %d, want 422 keeping the typed value", p.status)
	}
	form.Set("ci", strconv.FormatInt(c.sensorA, 10))
	if p = agent.post("/alerts/unmapped/map", form); p.status != http.StatusSeeOther {
		t.Fatalf("map: %d %s", p.status, p.body)
	}
	if p = agent.get("/alerts/unmapped"); strings.Contains(p.body, "SN-9900017") {
		t.Fatal("the mapped device is still listed")
	}
	var ci *int64
	s.app.DB.QueryRow(context.Background(), `SELECT ci_id FROM alerts WHERE id = ?`, c.dev).Scan(&ci)
	if ci == nil || *ci != c.sensorA {
		t.Fatalf("the device's open alert is bound to %v, want %d", ci, c.sensorA)
	}

	// Who may not: requesters see nothing; auditors read and change nothing.
	for _, role := range []string{"requester", "auditor"} {
		b := s.signedIn(role)
		for _, path := range []string{"/alerts", "/alerts/unmapped", "/alerts/" + strconv.FormatInt(c.critical, 10)} {
			want := http.StatusForbidden
			if role == "auditor" {
				want = http.StatusOK
			}
			if p := b.get(path); p.status != want {
				t.Errorf("%s %s: %d, want %d", role, path, p.status, want)
			}
		}
		if p := b.post("/alerts/"+strconv.FormatInt(c.critical, 10)+"/resolve", nil); p.status != http.StatusForbidden {
			t.Errorf("%s resolved an alert: %d", role, p.status)
		}
	}
}
