package event_test

import (
	"testing"
	"time"

	"steward/internal/event"
)

func TestAlertmanagerInputs(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	long := now.Add(-90 * 24 * time.Hour)
	cases := []struct {
		name   string
		alert  event.AlertmanagerAlert
		action event.Action
		sev    event.Severity
		ci     string
		at     time.Time
	}{
		{"instance with a port", event.AlertmanagerAlert{Status: "firing", Labels: map[string]string{"instance": "10.0.0.5:9100", "severity": "critical"}, StartsAt: now.Add(-time.Minute)},
			event.Trigger, event.Critical, "10.0.0.5", now.Add(-time.Minute)},
		{"instance as a URL", event.AlertmanagerAlert{Status: "firing", Labels: map[string]string{"instance": "https://shop.example.org/health", "severity": "error"}, StartsAt: now},
			event.Trigger, event.Major, "shop.example.org", now},
		{"host label, no severity", event.AlertmanagerAlert{Status: "firing", Labels: map[string]string{"host": "db-1"}, StartsAt: now},
			event.Trigger, event.Warning, "db-1", now},
		{"node label, unknown severity", event.AlertmanagerAlert{Status: "firing", Labels: map[string]string{"node": "k8s-3", "severity": "spicy"}, StartsAt: now},
			event.Trigger, event.Warning, "k8s-3", now},
		{"severity none", event.AlertmanagerAlert{Status: "firing", Labels: map[string]string{"severity": "none"}, StartsAt: now},
			event.Trigger, event.Info, "", now},
		{"resolved at its end", event.AlertmanagerAlert{Status: "resolved", Labels: map[string]string{"device": "gw-1"}, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(-time.Minute)},
			event.Resolve, event.OK, "gw-1", now.Add(-time.Minute)},
		{"firing for months", event.AlertmanagerAlert{Status: "firing", Labels: map[string]string{"hostname": "old"}, StartsAt: long},
			event.Trigger, event.Warning, "old", now.Add(-event.MaxPast + time.Hour)},
		{"starting in the future", event.AlertmanagerAlert{Status: "firing", Labels: map[string]string{"hostname": "skewed"}, StartsAt: now.Add(time.Hour)},
			event.Trigger, event.Warning, "skewed", now},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := event.AlertmanagerInputs(event.AlertmanagerMessage{Alerts: []event.AlertmanagerAlert{c.alert}}, now)[0]
			if in.Action != c.action || in.Severity != c.sev || in.CI != c.ci || !in.OccurredAt.Equal(c.at) {
				t.Fatalf("got %s %s %q %s", in.Action, in.Severity, in.CI, in.OccurredAt)
			}
			if _, err := event.Normalize(1, in, now); err != nil {
				t.Fatalf("Normalize refuses it: %v", err)
			}
		})
	}
	// One alert keeps one dedup key across firing and resolved, and the
	// same notification twice has the same message id.
	labels := map[string]string{"alertname": "Down", "instance": "a:1"}
	fire := event.AlertmanagerAlert{Status: "firing", Labels: labels, StartsAt: now}
	res := event.AlertmanagerAlert{Status: "resolved", Labels: labels, StartsAt: now, EndsAt: now}
	ins := event.AlertmanagerInputs(event.AlertmanagerMessage{Alerts: []event.AlertmanagerAlert{fire, fire, res}}, now)
	if ins[0].DedupKey == "" || ins[0].DedupKey != ins[2].DedupKey || ins[0].MessageID != ins[1].MessageID || ins[0].MessageID == ins[2].MessageID {
		t.Fatalf("keys: %q %q %q / ids %q %q %q", ins[0].DedupKey, ins[1].DedupKey, ins[2].DedupKey, ins[0].MessageID, ins[1].MessageID, ins[2].MessageID)
	}
}
