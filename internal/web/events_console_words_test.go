package web_test

import (
	"strings"
	"testing"
	"time"

	"steward/internal/store"
)

// The unmapped devices page counts events in words: "1 event", "2 events".
func TestUnmappedDevicesCountEventsInWords(t *testing.T) {
	s := newSite(t)
	c := seedConsole(t, s)
	ts := store.TS(time.Now().Add(-time.Minute))
	if _, err := s.app.DB.Exec(t.Context(), `INSERT INTO unmapped_devices (integration_id, device, first_seen_at, last_seen_at, events, last_summary)
		VALUES (?, 'SN-9900018', ?, ?, 1, 'Door open')`, c.integration, ts, ts); err != nil {
		t.Fatal(err)
	}
	p := s.signedIn("agent").get("/alerts/unmapped")
	if !strings.Contains(p.body, ">1 event<") || !strings.Contains(p.body, ">2 events<") || strings.Contains(p.body, "1 events") {
		t.Fatalf("event counts: %s", p.body)
	}
	// The console keeps incident numbers and device names on one line.
	if p := s.signedIn("agent").get("/alerts"); !strings.Contains(p.body, `<td class="c-inc"><a class="mono" href="/incidents/INC-`) {
		t.Fatal("the incident cell is not marked to keep its number whole")
	}
}
