package event

import (
	"strings"
	"testing"
	"time"
)

func TestBrokerInputMapping(t *testing.T) {
	vendor := &Mapping{
		Fields: map[string]string{
			"ci": "$topic[2]", "check": "data.sensor.kind", "metric": "$topic[-1]",
			"severity": "state", "action": "state", "source": "=acme-gw", "summary": "text",
			"occurred_at": "ts", "message_id": "seq", "resource": "data.ports.1",
		},
		Severities: map[string]Severity{"ALARM": Critical, "WARN": Warning, "NORMAL": OK},
		Actions:    map[string]Action{"alarm": Trigger, "warn": Trigger, "normal": Resolve},
	}
	ts := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		m       *Mapping
		topic   string
		body    string
		want    Input
		wantErr string
	}{
		{name: "no mapping takes the body as an event", topic: "fleet/x",
			body: `{"ci":"dev-1","check":"temp","severity":"major","action":"trigger","message_id":"m1"}`,
			want: Input{CI: "dev-1", Check: "temp", Severity: Major, Action: Trigger, MessageID: "m1"}},
		{name: "no mapping refuses text", topic: "fleet/x", body: `hello`, wantErr: "not one event in JSON"},
		{name: "no mapping names a wrongly typed field", topic: "fleet/x", body: `{"ci": 5}`, wantErr: "ci must be a string"},
		{name: "vendor payload", m: vendor, topic: "acme/gw-17/temperature",
			body: `{"state":"ALARM","text":"too hot","ts":"2026-03-01T10:00:00Z","seq":42,"data":{"sensor":{"kind":"thermo"},"ports":["p0","p1"]}}`,
			want: Input{CI: "gw-17", Check: "thermo", Metric: "temperature", Severity: Critical, Action: Trigger,
				Source: "acme-gw", Summary: "too hot", OccurredAt: &ts, MessageID: "42", Resource: "p1"}},
		{name: "value maps ignore case, unix seconds", m: vendor, topic: "acme/gw-17/temperature",
			body: `{"state":"normal","ts":1772359200}`,
			want: Input{CI: "gw-17", Metric: "temperature", Severity: OK, Action: Resolve, Source: "acme-gw", OccurredAt: &ts}},
		{name: "unmapped values pass through for Normalize to judge", m: vendor, topic: "acme/gw-17/temperature",
			body: `{"state":"BROKEN"}`,
			want: Input{CI: "gw-17", Metric: "temperature", Severity: "BROKEN", Action: "BROKEN", Source: "acme-gw"}},
		{name: "NATS subjects split on dots", m: &Mapping{Fields: map[string]string{"ci": "$topic[-2]", "check": "$topic"}},
			topic: "fleet.dev-9.cpu", body: `{}`, want: Input{CI: "dev-9", Check: "fleet.dev-9.cpu"}},
		{name: "level out of range gives nothing", m: &Mapping{Fields: map[string]string{"ci": "$topic[7]", "check": "=x"}},
			topic: "a/b", body: `{}`, want: Input{Check: "x"}},
		{name: "bad time is refused", m: vendor, topic: "a/b/c", body: `{"ts":"yesterday"}`, wantErr: "occurred_at"},
		{name: "mapping refuses text", m: vendor, topic: "a/b/c", body: `{nope`, wantErr: "body is not JSON"},
		{name: "oversize body", topic: "a", body: `"` + strings.Repeat("x", MaxMessage) + `"`, wantErr: "at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := BrokerInput(c.m, c.topic, []byte(c.body))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Payload = nil
			if (got.OccurredAt == nil) != (c.want.OccurredAt == nil) || got.OccurredAt != nil && !got.OccurredAt.Equal(*c.want.OccurredAt) {
				t.Fatalf("occurred_at %v, want %v", got.OccurredAt, c.want.OccurredAt)
			}
			got.OccurredAt, c.want.OccurredAt = nil, nil
			if got.CI != c.want.CI || got.Check != c.want.Check || got.Metric != c.want.Metric || got.Severity != c.want.Severity ||
				got.Action != c.want.Action || got.Source != c.want.Source || got.Summary != c.want.Summary ||
				got.MessageID != c.want.MessageID || got.Resource != c.want.Resource || got.DedupKey != c.want.DedupKey {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
