package event

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/store/storetest"
)

// A device that reports a little more often than its interval is never
// taken for offline, although not every report rewrites its last seen
// time; one that falls silent goes offline once.
func TestAReportingDeviceStaysOnlineAndASilentOneGoesOffline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		ctx := context.Background()
		f.ci("Sensor", "sensor-1", map[string]any{"device_id": "S-1"})
		silent := f.ci("Sensor", "sensor-2", map[string]any{"device_id": "S-2"})
		st := DefaultSettings()
		st.OfflineAfter = map[string]int{"Sensor": 20}
		f.s.SaveSettings(ctx, audit.System, st)
		f.send(trigger("S-1", "hb", OK), trigger("S-2", "hb", OK))
		offline := 0
		for range 10 {
			f.advance(16 * time.Second)
			f.send(trigger("S-1", "hb", OK))
			f.advance(10 * time.Second)
			n, err := f.s.DetectOffline(ctx, f.clock)
			if err != nil {
				t.Fatal(err)
			}
			offline += n
		}
		f.process()
		if offline != 1 {
			t.Fatalf("%d devices went offline; want the silent one once", offline)
		}
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'offline' AND ci_id = ?`, silent); n != 1 {
			t.Fatal("the silent sensor is offline")
		}
		if n := f.count(`SELECT COUNT(*) FROM device_status WHERE state = 'online'`); n != 1 {
			t.Fatal("the reporting sensor stays online")
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE check_name = 'heartbeat' AND source = 'steward' AND state = 'open'`); n != 1 {
			t.Fatal("the silent sensor has one offline alert")
		}
	})
}
