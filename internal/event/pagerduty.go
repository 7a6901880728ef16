package event

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"steward/internal/domainerr"
)

// PagerDutyEvent is an event as PagerDuty's Events API v2 takes it, so
// that a sender already pointed at PagerDuty can point at Steward.
type PagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"`
	DedupKey    string            `json:"dedup_key"`
	Payload     *PagerDutyPayload `json:"payload"`
	Client      string            `json:"client"`
	ClientURL   string            `json:"client_url"`
	Links       json.RawMessage   `json:"links"`
	Images      json.RawMessage   `json:"images"`
}

// PagerDutyPayload is the payload of a PagerDuty trigger.
type PagerDutyPayload struct {
	Summary       string          `json:"summary"`
	Source        string          `json:"source"`
	Severity      string          `json:"severity"`
	Timestamp     string          `json:"timestamp"`
	Component     string          `json:"component"`
	Group         string          `json:"group"`
	Class         string          `json:"class"`
	CustomDetails json.RawMessage `json:"custom_details"`
}

// pagerDutySeverities translates PagerDuty's four severities.
var pagerDutySeverities = map[string]Severity{"critical": Critical, "error": Major, "warning": Warning, "info": Info}

// pagerDutyFields names, for each field of an Input, the PagerDuty field
// it came from, so that errors speak the sender's terms.
var pagerDutyFields = map[string]string{
	"severity": "payload.severity", "occurred_at": "payload.timestamp", "ci": "payload.source",
	"source": "payload.source", "check": "payload.class", "resource": "payload.component",
	"summary": "payload.summary", "dedup_key": "dedup_key", "labels": "payload.group",
	"payload": "payload.custom_details", "action": "event_action",
}

// PagerDutyInput turns a PagerDuty event into an Input, or returns the
// errors PagerDuty would give, one sentence each. Severity error becomes
// major; source is both the source and the device; component is the
// resource, class the check, group a label; custom_details is the
// payload. A trigger without a dedup_key gets a new random one, which the
// caller returns to the sender. Links and images are accepted and not
// kept.
func PagerDutyInput(pd PagerDutyEvent) (Input, []string) {
	var errs []string
	in := Input{DedupKey: strings.TrimSpace(pd.DedupKey)}
	switch pd.EventAction {
	case "trigger", "acknowledge", "resolve":
		in.Action = Action(pd.EventAction)
	case "":
		errs = append(errs, "'event_action' is missing or blank")
	default:
		errs = append(errs, "'event_action' is invalid (must be trigger, acknowledge or resolve)")
	}
	if in.Action == Trigger {
		p := pd.Payload
		if p == nil {
			return in, append(errs, "'payload' is missing")
		}
		for _, f := range []struct{ name, v string }{{"summary", p.Summary}, {"source", p.Source}, {"severity", p.Severity}} {
			if strings.TrimSpace(f.v) == "" {
				errs = append(errs, "'payload."+f.name+"' is missing or blank")
			}
		}
		if sev, ok := pagerDutySeverities[p.Severity]; ok {
			in.Severity = sev
		} else if p.Severity != "" {
			errs = append(errs, "'payload.severity' is invalid (must be critical, error, warning or info)")
		}
		if in.DedupKey == "" {
			in.DedupKey = newRoutingKey()
		}
	} else if in.Action != "" && in.DedupKey == "" {
		errs = append(errs, "'dedup_key' is missing or blank (an acknowledge or resolve names the alert it is about)")
	}
	if p := pd.Payload; p != nil {
		in.Summary, in.Source, in.CI, in.Resource, in.Check = p.Summary, p.Source, p.Source, p.Component, p.Class
		if p.Timestamp != "" {
			t, err := parseTimestamp(p.Timestamp)
			if err != nil {
				errs = append(errs, "'payload.timestamp' is not an ISO 8601 time")
			} else {
				in.OccurredAt = &t
			}
		}
		if p.Group != "" || pd.Client != "" || pd.ClientURL != "" {
			in.Labels = map[string]string{}
			for k, v := range map[string]string{"group": p.Group, "client": pd.Client, "client_url": pd.ClientURL} {
				if v != "" {
					in.Labels[k] = v
				}
			}
		}
		if len(p.CustomDetails) > 0 && string(p.CustomDetails) != "null" {
			in.Payload = p.CustomDetails
		}
	}
	return in, errs
}

// PagerDutyErrors turns what Normalize found wrong into PagerDuty's kind
// of error sentences.
func PagerDutyErrors(err error) []string {
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		return []string{err.Error()}
	}
	var out []string
	for field, msg := range inv.Fields {
		name := pagerDutyFields[field]
		if name == "" {
			name = field
		}
		out = append(out, "'"+name+"' "+msg)
	}
	sort.Strings(out)
	return out
}

// parseTimestamp reads the ISO 8601 forms senders use.
func parseTimestamp(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05"} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}
