package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
)

// Severity is how bad an event says things are, worst first.
type Severity string

const (
	Critical Severity = "critical"
	Major    Severity = "major"
	Minor    Severity = "minor"
	Warning  Severity = "warning"
	Info     Severity = "info"
	OK       Severity = "ok"
)

// Severities lists the severities, worst first.
var Severities = []Severity{Critical, Major, Minor, Warning, Info, OK}

// Rank orders severities: 0 for critical up to 5 for ok, -1 when unknown.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// Action is what an event asks of its alert.
type Action string

const (
	Trigger     Action = "trigger"
	Acknowledge Action = "acknowledge"
	Resolve     Action = "resolve"
)

func (a Action) valid() bool { return a == Trigger || a == Acknowledge || a == Resolve }

// Limits on what one event may carry. A batch over MaxBatch is refused
// whole; an event over the others is refused with the field at fault.
const (
	MaxBatch   = 1000
	MaxText    = 1024     // source, ci, check, resource, metric, dedup_key, message id
	MaxSummary = 4096     // summary
	MaxLabels  = 16 << 10 // labels, as JSON
	MaxPayload = 64 << 10 // payload, as JSON
	MaxFuture  = 5 * time.Minute
	MaxPast    = 30 * 24 * time.Hour
)

// Input is one event as senders write it: the JSON that POST
// /api/v1/events takes (one object or an array of them), and what a broker
// message carries when its integration has no payload mapping.
type Input struct {
	Source     string            `json:"source"`
	CI         string            `json:"ci"` // a device identifier: device id, hostname, serial, IP or CI name
	Check      string            `json:"check"`
	Resource   string            `json:"resource"`
	Metric     string            `json:"metric"`
	Severity   Severity          `json:"severity"`
	Action     Action            `json:"action"`
	DedupKey   string            `json:"dedup_key"`
	Summary    string            `json:"summary"`
	OccurredAt *time.Time        `json:"occurred_at"`
	Labels     map[string]string `json:"labels"`
	Payload    json.RawMessage   `json:"payload"`
	// MessageID is the transport's id (an MQTT or NATS message id, an
	// Alertmanager fingerprint with its start, a client's own id): a
	// second event with the same id from the same integration is dropped.
	MessageID string `json:"message_id"`
}

// Event is an event checked and ready to store.
type Event struct {
	ID            int64
	IntegrationID int64
	ReceivedAt    time.Time
	OccurredAt    time.Time
	MessageID     string
	DedupKey      string
	Action        Action
	Severity      Severity
	Source        string
	Device        string
	Check         string
	Resource      string
	Metric        string
	Summary       string
	Labels        map[string]string
	Payload       json.RawMessage
}

// Normalize checks one input from integration integrationID received at
// now and returns the event to store, or a *domainerr.Invalid naming each
// field at fault. Defaults: action trigger; severity critical for a
// trigger (a sender that says nothing is treated as an outage), ok for a
// resolve; occurred_at now; the dedup key, when not given, a hash of
// integration, device, check, resource and metric.
func Normalize(integrationID int64, in Input, now time.Time) (Event, error) {
	v := domainerr.NewInvalid()
	e := Event{
		IntegrationID: integrationID, ReceivedAt: now, OccurredAt: now,
		MessageID: strings.TrimSpace(in.MessageID), DedupKey: strings.TrimSpace(in.DedupKey),
		Action: Action(strings.ToLower(strings.TrimSpace(string(in.Action)))), Severity: Severity(strings.ToLower(strings.TrimSpace(string(in.Severity)))),
		Source: strings.TrimSpace(in.Source), Device: strings.TrimSpace(in.CI), Check: strings.TrimSpace(in.Check),
		Resource: strings.TrimSpace(in.Resource), Metric: strings.TrimSpace(in.Metric), Summary: strings.TrimSpace(in.Summary),
		Labels: in.Labels, Payload: in.Payload,
	}
	if e.Action == "" {
		e.Action = Trigger
	}
	if !e.Action.valid() {
		v.Add("action", "must be trigger, acknowledge or resolve")
	}
	if e.Severity == "" {
		e.Severity = Critical
		if e.Action == Resolve {
			e.Severity = OK
		}
	}
	if e.Severity.Rank() < 0 {
		v.Add("severity", "must be critical, major, minor, warning, info or ok")
	}
	for _, f := range []struct{ name, val string }{{"source", e.Source}, {"ci", e.Device}, {"check", e.Check},
		{"resource", e.Resource}, {"metric", e.Metric}, {"dedup_key", e.DedupKey}, {"message_id", e.MessageID}} {
		if len(f.val) > MaxText {
			v.Add(f.name, "is longer than %d bytes", MaxText)
		}
	}
	if len(e.Summary) > MaxSummary {
		v.Add("summary", "is longer than %d bytes", MaxSummary)
	}
	if e.DedupKey == "" && e.Device == "" && e.Check == "" && e.Resource == "" && e.Metric == "" && e.Source == "" {
		v.Add("dedup_key", "is needed when the event names no source, ci, check, resource or metric")
	}
	if in.OccurredAt != nil {
		switch t := in.OccurredAt.UTC(); {
		case t.After(now.Add(MaxFuture)):
			v.Add("occurred_at", "is more than %s in the future", MaxFuture)
		case t.Before(now.Add(-MaxPast)):
			v.Add("occurred_at", "is more than 30 days in the past")
		default:
			e.OccurredAt = t
		}
	}
	if n := labelsSize(e.Labels); n > MaxLabels {
		v.Add("labels", "are %d bytes; at most %d", n, MaxLabels)
	}
	if len(e.Payload) > MaxPayload {
		v.Add("payload", "is %d bytes; at most %d", len(e.Payload), MaxPayload)
	} else if len(e.Payload) > 0 && !json.Valid(e.Payload) {
		v.Add("payload", "is not valid JSON")
	}
	if e.Summary == "" {
		e.Summary = defaultSummary(e)
	}
	if e.DedupKey == "" {
		e.DedupKey = DedupKey(integrationID, e.Device, e.Check, e.Resource, e.Metric, e.Source)
	}
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// DedupKey is the key of an event that gives none: a hash of where it
// comes from and what it measures. The same device, check, resource and
// metric from the same integration always give the same key.
func DedupKey(integrationID int64, device, check, resource, metric, source string) string {
	h := sha256.New()
	for _, s := range []string{strconv.FormatInt(integrationID, 10), device, check, resource, metric, source} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func defaultSummary(e Event) string {
	var parts []string
	for _, s := range []string{e.Check, e.Resource, e.Metric} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	what := strings.Join(parts, " ")
	if what == "" {
		what = e.Source
	}
	if e.Device != "" {
		return what + " on " + e.Device
	}
	return what
}

func labelsSize(m map[string]string) int {
	n := 2
	for k, v := range m {
		n += len(k) + len(v) + 6
	}
	return n
}
