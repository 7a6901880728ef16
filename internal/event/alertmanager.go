package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"
)

// AlertmanagerMessage is what Prometheus Alertmanager's webhook receiver
// posts (payload version 4): a group of alerts.
type AlertmanagerMessage struct {
	Version           string              `json:"version"`
	GroupKey          string              `json:"groupKey"`
	TruncatedAlerts   int                 `json:"truncatedAlerts"`
	Status            string              `json:"status"`
	Receiver          string              `json:"receiver"`
	GroupLabels       map[string]string   `json:"groupLabels"`
	CommonLabels      map[string]string   `json:"commonLabels"`
	CommonAnnotations map[string]string   `json:"commonAnnotations"`
	ExternalURL       string              `json:"externalURL"`
	Alerts            []AlertmanagerAlert `json:"alerts"`
}

// AlertmanagerAlert is one alert of a webhook message.
type AlertmanagerAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// alertmanagerSeverities translates the severity label's usual values.
// An alert without one, or with a value not listed, is a warning: it is
// recorded and raises an alert, but by default opens no incident.
var alertmanagerSeverities = map[string]Severity{
	"critical": Critical, "page": Critical, "emergency": Critical, "fatal": Critical,
	"major": Major, "error": Major, "high": Major,
	"minor": Minor, "medium": Minor,
	"warning": Warning, "warn": Warning, "low": Warning,
	"info": Info, "informational": Info, "none": Info, "notice": Info,
}

// alertmanagerCILabels are the labels that name the device, in the order
// they are looked at.
var alertmanagerCILabels = []string{"instance", "host", "hostname", "device", "node"}

// AlertmanagerInputs turns a webhook message into one Input per alert,
// at now. A firing alert is a trigger, a resolved one a resolve; the dedup
// key is the alert's fingerprint (a hash of its labels when there is
// none), so one Prometheus alert is one Steward alert. The message id is
// the fingerprint with the start and the status, so Alertmanager's
// repeats of a notification (every repeat_interval, or after a retry) are
// transport duplicates. The occurrence is the start of a firing alert and
// the end of a resolved one, clamped to what Normalize accepts.
func AlertmanagerInputs(m AlertmanagerMessage, now time.Time) []Input {
	out := make([]Input, 0, len(m.Alerts))
	for _, a := range m.Alerts {
		in := Input{Action: Trigger, Labels: a.Labels, Check: a.Labels["alertname"], Source: a.Labels["job"]}
		if in.Source == "" {
			in.Source = "alertmanager"
		}
		at := a.StartsAt
		if a.Status == "resolved" {
			in.Action, in.Severity, at = Resolve, OK, a.EndsAt
		} else if a.Status != "" && a.Status != "firing" {
			in.Action = Action(a.Status) // refused by Normalize, naming the value
		}
		if in.Severity == "" {
			in.Severity = Warning
			if s, ok := alertmanagerSeverities[strings.ToLower(strings.TrimSpace(a.Labels["severity"]))]; ok {
				in.Severity = s
			}
		}
		for _, l := range alertmanagerCILabels {
			if v := hostOf(a.Labels[l]); v != "" {
				in.CI = v
				break
			}
		}
		in.Summary = firstOf(a.Annotations["summary"], a.Annotations["description"], a.Annotations["message"], in.Check)
		if len(in.Summary) > MaxSummary {
			in.Summary = in.Summary[:MaxSummary]
		}
		in.DedupKey = a.Fingerprint
		if in.DedupKey == "" {
			in.DedupKey = labelsHash(a.Labels)
		}
		start := a.StartsAt.UTC().Format(time.RFC3339Nano)
		in.MessageID = in.DedupKey + "/" + start + "/" + a.Status
		t := clampOccurred(at, now)
		in.OccurredAt = &t
		details := map[string]any{}
		if len(a.Annotations) > 0 {
			details["annotations"] = a.Annotations
		}
		if a.GeneratorURL != "" {
			details["generator_url"] = a.GeneratorURL
		}
		if m.ExternalURL != "" {
			details["alertmanager_url"] = m.ExternalURL
		}
		if len(details) > 0 {
			in.Payload, _ = json.Marshal(details)
		}
		out = append(out, in)
	}
	return out
}

// clampOccurred keeps a time inside what Normalize accepts: a missing or
// future time is now, one older than the oldest accepted is that oldest
// (an alert firing for months keeps firing; its event is not refused).
func clampOccurred(t, now time.Time) time.Time {
	oldest := now.Add(-MaxPast + time.Hour)
	switch {
	case t.IsZero() || t.After(now):
		return now
	case t.Before(oldest):
		return oldest
	}
	return t.UTC()
}

// hostOf strips a scheme, a path and a port: "https://server.example.org/x"
// and "10.0.0.5:9100" name the devices server.example.org and 10.0.0.5.
func hostOf(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if strings.Contains(v, "://") {
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			v = u.Host
		}
	}
	if h, _, err := net.SplitHostPort(v); err == nil {
		return h
	}
	return v
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// labelsHash identifies an alert by its label set, as Alertmanager's own
// fingerprint does, for senders that give none.
func labelsHash(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
