package mail

import (
	"slices"
	"strings"
)

// KindLabels name what a message is about, the way the outbox and the
// mail settings page read it: a notification kind, "digest",
// "password_reset" or "password_changed".
var KindLabels = map[string]string{
	"incident_received":     "Ticket received",
	"request_received":      "Request received",
	"incident_resolved":     "Incident resolved",
	"incident_awaiting_you": "Waiting for you",
	"incident_reopened":     "Incident reopened",
	"incident_withdrawn":    "Incident withdrawn",
	"incident_comment":      "New comment",
	"request_comment":       "New comment",
	"request_fulfilled":     "Request fulfilled",
	"request_reopened":      "Request reopened",
	"request_approved":      "Request approved",
	"request_rejected":      "Request rejected",
	"request_declined":      "Request declined",
	"approval_requested":    "Approval requested",
	"task_open":             "Task ready",
	"sla.warning":           "SLA warning",
	"sla.breach":            "SLA breached",
	"signin_throttled":      "Sign-ins paused",
	"assigned":              "Assigned to you",
	"mentioned":             "Mentioned",
	"survey":                "Survey",
	"digest":                "Digest",
	"password_reset":        "Password reset",
	"password_changed":      "Password changed",

	// A change's board and requester.
	"change_approval_requested": "Change approval requested",
	"change_approved":           "Change approved",
	"change_rejected":           "Change rejected",
}

// KindLabel is a kind as words; a kind added later than KindLabels reads
// as its code made readable ("some_kind" → "Some kind").
func KindLabel(kind string) string {
	if l, ok := KindLabels[kind]; ok {
		return l
	}
	s := strings.NewReplacer("_", " ", ".", " ").Replace(kind)
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// KindsOf are the labels of the notification kinds category code covers,
// each once, in alphabetical order; none for "other".
func KindsOf(code string) []string {
	var out []string
	for k, l := range KindLabels {
		if CategoryOf(k) == code && code != "other" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}
