package fleetsim

import (
	"strconv"
	"time"
)

// The encoders write JSON by hand: at a hundred thousand events a second
// the generator must not be what limits the measurement.

// AppendEvent appends e as the JSON object POST /api/v1/events, MQTT and
// NATS take.
func AppendEvent(b []byte, source string, e *Event) []byte {
	b = append(b, `{"source":`...)
	b = strconv.AppendQuote(b, source)
	b = append(b, `,"ci":`...)
	b = strconv.AppendQuote(b, e.Device)
	b = append(b, `,"check":`...)
	b = strconv.AppendQuote(b, e.Check)
	b = append(b, `,"severity":"`...)
	b = append(b, e.Severity...)
	b = append(b, `","action":"`...)
	b = append(b, e.Action...)
	b = append(b, `","dedup_key":`...)
	b = strconv.AppendQuote(b, e.DedupKey)
	b = append(b, `,"summary":`...)
	b = strconv.AppendQuote(b, e.Summary)
	b = append(b, `,"occurred_at":"`...)
	b = e.At.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","labels":{"gateway":`...)
	b = strconv.AppendQuote(b, e.Gateway)
	b = append(b, `,"site":`...)
	b = strconv.AppendQuote(b, e.Site)
	b = append(b, '}')
	if e.Value != 0 {
		b = append(b, `,"payload":{"value":`...)
		b = strconv.AppendFloat(b, e.Value, 'f', -1, 64)
		b = append(b, '}')
	}
	b = append(b, `,"message_id":`...)
	b = strconv.AppendQuote(b, e.MessageID)
	return append(b, '}')
}

// AppendBatch appends events as a JSON array.
func AppendBatch(b []byte, source string, es []Event) []byte {
	b = append(b, '[')
	for i := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendEvent(b, source, &es[i])
	}
	return append(b, ']')
}

// AppendAlerts appends events as the JSON array Alertmanager's POST
// /api/v2/alerts takes: alertname is the check, instance the device, the
// severity and the gateway and site are labels too; a resolve ends the
// alert now, with the labels its trigger had.
func AppendAlerts(b []byte, source string, es []Event) []byte {
	b = append(b, '[')
	for i := range es {
		e := &es[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"labels":{"alertname":`...)
		b = strconv.AppendQuote(b, e.Check)
		b = append(b, `,"instance":`...)
		b = strconv.AppendQuote(b, e.Device)
		b = append(b, `,"severity":"`...)
		if e.Raised != "" {
			b = append(b, e.Raised...) // a resolve carries its alert's labels
		} else {
			b = append(b, e.Severity...)
		}
		b = append(b, `","gateway":`...)
		b = strconv.AppendQuote(b, e.Gateway)
		b = append(b, `,"site":`...)
		b = strconv.AppendQuote(b, e.Site)
		b = append(b, `,"job":`...)
		b = strconv.AppendQuote(b, source)
		b = append(b, `},"annotations":{"summary":`...)
		b = strconv.AppendQuote(b, e.Summary)
		b = append(b, `},"startsAt":"`...)
		at := e.At.UTC()
		b = at.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
		if e.Action == "resolve" {
			b = append(b, `,"endsAt":"`...)
			b = at.AppendFormat(b, time.RFC3339Nano)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}
