package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxMessage is the largest broker message body Steward reads; a larger
// one is refused (acknowledged to the broker and counted).
const MaxMessage = 256 << 10

// BrokerInput turns one broker message into an Input: the body as it is
// when m is nil, or the values m picks from it. topic is the MQTT topic or
// the NATS subject the message came on.
func BrokerInput(m *Mapping, topic string, body []byte) (Input, error) {
	if len(body) > MaxMessage {
		return Input{}, fmt.Errorf("message is %d bytes; at most %d", len(body), MaxMessage)
	}
	if m == nil {
		var in Input
		if err := json.Unmarshal(body, &in); err != nil {
			return Input{}, fmt.Errorf("body is not one event in JSON: %s", jsonProblem(err))
		}
		return in, nil
	}
	var doc any
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &doc); err != nil {
			return Input{}, fmt.Errorf("body is not JSON: %s", jsonProblem(err))
		}
	}
	in := Input{Payload: json.RawMessage(body)}
	if !json.Valid(body) {
		in.Payload = nil
	}
	for field, from := range m.Fields {
		v, ok := mappedValue(from, topic, doc)
		if !ok {
			continue
		}
		switch field {
		case "source":
			in.Source = v
		case "ci":
			in.CI = v
		case "check":
			in.Check = v
		case "resource":
			in.Resource = v
		case "metric":
			in.Metric = v
		case "severity":
			in.Severity = Severity(v)
			if to, ok := lookupFold(m.Severities, v); ok {
				in.Severity = to
			}
		case "action":
			in.Action = Action(v)
			if to, ok := lookupFold(m.Actions, v); ok {
				in.Action = to
			}
		case "dedup_key":
			in.DedupKey = v
		case "summary":
			in.Summary = v
		case "message_id":
			in.MessageID = v
		case "occurred_at":
			t, err := parseTime(v)
			if err != nil {
				return Input{}, fmt.Errorf("occurred_at: %v", err)
			}
			in.OccurredAt = &t
		}
	}
	return in, nil
}

// lookupFold finds v in a value map, exactly first, then ignoring case:
// devices disagree on "ALARM" and "alarm".
func lookupFold[T any](m map[string]T, v string) (T, bool) {
	if to, ok := m[v]; ok {
		return to, true
	}
	for k, to := range m {
		if strings.EqualFold(k, v) {
			return to, true
		}
	}
	var zero T
	return zero, false
}

// mappedValue reads one source: "=constant", "$topic", "$topic[N]" or a
// dotted path into the body. A path that is missing gives no value, so
// the field keeps its default.
func mappedValue(from, topic string, doc any) (string, bool) {
	switch {
	case strings.HasPrefix(from, "="):
		return from[1:], true
	case from == "$topic":
		return topic, true
	case strings.HasPrefix(from, "$topic[") && strings.HasSuffix(from, "]"):
		n, err := strconv.Atoi(from[len("$topic[") : len(from)-1])
		if err != nil || n == 0 {
			return "", false
		}
		levels := strings.FieldsFunc(topic, func(r rune) bool { return r == '/' || r == '.' })
		if n < 0 {
			n = len(levels) + n + 1
		}
		if n < 1 || n > len(levels) {
			return "", false
		}
		return levels[n-1], true
	}
	cur := doc
	for _, part := range strings.Split(from, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[part]
			if !ok {
				return "", false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return "", false
			}
			cur = c[i]
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	default:
		raw, _ := json.Marshal(v)
		return string(raw), true
	}
}

// parseTime reads RFC 3339 or Unix seconds (or milliseconds, when the
// number is too large to be seconds), the two forms devices send.
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor Unix seconds", v)
	}
	if f > 1e11 {
		return time.UnixMilli(int64(f)).UTC(), nil
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s must be a %s, not a %s", te.Field, te.Type, te.Value)
		}
		return fmt.Sprintf("expected a %s, not a %s", te.Type, te.Value)
	}
	return err.Error()
}
