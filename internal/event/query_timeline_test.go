package event

import (
	"context"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// An alert's timeline says who acknowledged it, as it says who resolved it.
func TestAlertTimelineNamesWhoActed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newConsoleFleet(t, e)
		p := agent(t, e.DB)
		now := time.Now().UTC()
		trigger := Event{IntegrationID: f.it, ReceivedAt: now, OccurredAt: now, DedupKey: "disk-7", Action: Trigger, Severity: Warning,
			Device: "srv-7", Check: "disk", Summary: "Disk 91% full"}
		if _, err := f.svc.Ingest(ctx, []Event{trigger}); err != nil {
			t.Fatal(err)
		}
		process := func() {
			t.Helper()
			if _, err := f.svc.ProcessPending(ctx); err != nil {
				t.Fatal(err)
			}
		}
		process()
		var id int64
		if err := e.DB.QueryRow(ctx, `SELECT id FROM alerts WHERE dedup_key = 'disk-7'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ActOnAlert(ctx, p, id, Acknowledge); err != nil {
			t.Fatal(err)
		}
		process()
		if _, err := f.svc.ActOnAlert(ctx, p, id, Resolve); err != nil {
			t.Fatal(err)
		}
		process()
		d, err := f.svc.GetAlert(ctx, p, id)
		if err != nil {
			t.Fatal(err)
		}
		said := map[string]string{}
		for _, s := range d.Timeline {
			said[s.What] = s.Detail
		}
		if said["acknowledged"] != "Acknowledged by Alex Agent" || said["resolved"] != "Resolved by Alex Agent" || said["opened"] != "Disk 91% full" {
			t.Fatalf("timeline %+v", d.Timeline)
		}
	})
}
