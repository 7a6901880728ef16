package demo

import (
	"context"
	"fmt"
	"time"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/event"
	"steward/internal/store"
)

// loadEvents gives event management its integrations and a morning's
// events from the fleet: sensors running hot, a gateway that stopped
// answering and the sensors behind it, a flapping link, and devices
// nobody has recorded in the CMDB yet. They go into the inbox as any
// sender's would; the processor turns them into alerts and incidents.
func loadEvents(ctx context.Context, db *store.DB) error {
	user, err := auth.UserByEmail(ctx, db, "admin@steward.demo")
	if err != nil {
		return fmt.Errorf("demo events: %w", err)
	}
	admin := &auth.Principal{UserID: user.ID, Email: user.Email, Name: user.Name, Role: user.Role}
	svc := event.NewService(db, cmdb.NewService(db, nil), nil, nil)
	ints := map[string]int64{}
	for _, in := range []event.NewIntegration{{Name: "Fleet monitoring", Kind: event.KindHTTP},
		{Name: "Prometheus Alertmanager", Kind: event.KindAlertmanager}, {Name: "PagerDuty relay", Kind: event.KindPagerDuty}} {
		it, err := svc.CreateIntegration(ctx, admin, in)
		if err != nil {
			return fmt.Errorf("demo integration %s: %w", in.Name, err)
		}
		ints[in.Name] = it.ID
	}
	sensors, err := deviceIDs(ctx, db, "Sensor", 8)
	if err != nil {
		return err
	}
	gateways, err := deviceIDs(ctx, db, "IoT gateway", 2)
	if err != nil {
		return err
	}
	if len(sensors) < 8 || len(gateways) < 2 {
		return fmt.Errorf("demo events: the fleet has %d sensors and %d gateways", len(sensors), len(gateways))
	}
	now := time.Now().UTC()
	var events []event.Event
	add := func(integration string, ago time.Duration, in event.Input) error {
		at := now.Add(-ago)
		in.OccurredAt = &at
		e, err := event.Normalize(ints[integration], in, now)
		if err != nil {
			return fmt.Errorf("demo event %q: %w", in.Summary, err)
		}
		events = append(events, e)
		return nil
	}
	fleet := "Fleet monitoring"
	steps := []struct {
		integration string
		ago         time.Duration
		in          event.Input
	}{
		{fleet, 42 * time.Minute, event.Input{CI: sensors[0], Check: "temperature", Severity: event.Major, Summary: "Temperature 71 °C, above 65 °C"}},
		{fleet, 30 * time.Minute, event.Input{CI: sensors[0], Check: "temperature", Severity: event.Critical, Summary: "Temperature 84 °C, above 80 °C"}},
		{fleet, 12 * time.Minute, event.Input{CI: sensors[0], Check: "temperature", Severity: event.Critical, Summary: "Temperature 86 °C, above 80 °C"}},
		{fleet, 35 * time.Minute, event.Input{CI: sensors[1], Check: "battery", Severity: event.Warning, Summary: "Battery at 14 %"}},
		{fleet, 25 * time.Minute, event.Input{CI: sensors[2], Check: "humidity", Severity: event.Minor, Summary: "Humidity 78 %, above 75 %"}},
		{fleet, 20 * time.Minute, event.Input{CI: gateways[0], Check: "heartbeat", Severity: event.Critical, Summary: "Gateway missed 3 heartbeats"}},
		{fleet, 19 * time.Minute, event.Input{CI: sensors[3], Check: "heartbeat", Severity: event.Major, Summary: "No reading for 15 minutes"}},
		{fleet, 19 * time.Minute, event.Input{CI: sensors[4], Check: "heartbeat", Severity: event.Major, Summary: "No reading for 15 minutes"}},
		{fleet, 18 * time.Minute, event.Input{CI: sensors[5], Check: "heartbeat", Severity: event.Major, Summary: "No reading for 15 minutes"}},
		{fleet, 15 * time.Minute, event.Input{CI: "SN-9900017", Check: "temperature", Severity: event.Major, Summary: "Temperature 69 °C, above 65 °C"}},
		{fleet, 9 * time.Minute, event.Input{CI: "SN-9900017", Check: "temperature", Severity: event.Major, Summary: "Temperature 70 °C, above 65 °C"}},
		{fleet, 7 * time.Minute, event.Input{CI: "10.77.3.41", Check: "heartbeat", Severity: event.Warning, Summary: "Unknown device reporting from 10.77.3.41"}},
		{"Prometheus Alertmanager", 28 * time.Minute, event.Input{Source: "prometheus", CI: gateways[1], Check: "LinkFlapping", Severity: event.Warning, Summary: "Uplink changed state 6 times in 10 minutes"}},
		{"Prometheus Alertmanager", 22 * time.Minute, event.Input{Source: "prometheus", CI: gateways[1], Check: "LinkFlapping", Action: event.Resolve, Summary: "Uplink stable"}},
		{"Prometheus Alertmanager", 14 * time.Minute, event.Input{Source: "prometheus", CI: gateways[1], Check: "LinkFlapping", Severity: event.Warning, Summary: "Uplink changed state 4 times in 10 minutes"}},
		{"PagerDuty relay", 40 * time.Minute, event.Input{Source: "cold-chain-monitor", CI: sensors[6], DedupKey: "cold-chain-" + sensors[6], Severity: event.Critical, Summary: "Cold store door open for 12 minutes"}},
		{"PagerDuty relay", 33 * time.Minute, event.Input{Source: "cold-chain-monitor", CI: sensors[6], DedupKey: "cold-chain-" + sensors[6], Action: event.Resolve, Summary: "Door closed"}},
		{"PagerDuty relay", 5 * time.Minute, event.Input{Source: "meter-reader", CI: sensors[7], Check: "reading", Severity: event.Info, Summary: "Meter reading delayed by 4 minutes"}},
	}
	for _, s := range steps {
		if err := add(s.integration, s.ago, s.in); err != nil {
			return err
		}
	}
	_, err = svc.Ingest(ctx, events)
	return err
}

// deviceIDs lists the device ids of the first n CIs of a type.
func deviceIDs(ctx context.Context, db *store.DB, typ string, n int) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT i.value FROM ci_identifiers i JOIN ci_types t ON t.id = i.type_id
		WHERE t.name = ? AND i.attribute = 'device_id' ORDER BY i.value LIMIT ?`, typ, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
