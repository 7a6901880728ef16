package availability

import (
	"time"

	"steward/internal/auth"
)

// The permissions availability declares, with the roles that hold them by
// default. Agents record and correct outages and targets of the services
// they own; administrators those of every service; auditors read.
var (
	PermRead  = auth.Declare("availability:read", "Read availability targets, outages and the availability report", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite = auth.Declare("availability:write", "Record and correct outages and set availability targets of the services one owns", auth.Admin, auth.Agent)
	PermAny   = auth.Declare("availability:any", "Record and correct outages and set availability targets of every service", auth.Admin)
)

// Where an outage comes from.
const (
	Manual   = "manual"   // entered by a person
	Major    = "incident" // derived from a major incident
	Alerting = "alert"    // derived from an incident opened by event management
)

// PartialWeight is the weight of an outage derived for a service the
// impact analysis finds degraded rather than failed.
const PartialWeight = 0.5

// Outage is a stretch of time in which a service was lost, fully (weight
// 1) or in part.
type Outage struct {
	ID             int64      `json:"id"`
	ServiceID      int64      `json:"service_id"`
	ServiceName    string     `json:"service_name"`
	StartedAt      time.Time  `json:"started_at"`
	EndedAt        *time.Time `json:"ended_at"`
	Weight         float64    `json:"weight"`
	Source         string     `json:"source"`
	IncidentID     *int64     `json:"incident_id"`
	IncidentNumber string     `json:"incident_number"`
	Summary        string     `json:"summary"`
	Edited         bool       `json:"edited"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Version        int        `json:"version"`
}

// Minutes is how long the outage lasted, up to now while it lasts.
func (o Outage) Minutes(now time.Time) float64 {
	end := now
	if o.EndedAt != nil {
		end = *o.EndedAt
	}
	return end.Sub(o.StartedAt).Minutes()
}

// NewOutage records an outage by hand.
type NewOutage struct {
	ServiceID  int64      `json:"service_id"`
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at"`
	Weight     *float64   `json:"weight"`
	IncidentID *int64     `json:"incident_id"`
	Summary    string     `json:"summary"`
}

// OutagePatch corrects an outage, fields left nil unchanged; Ongoing
// takes its end away (it lasts). Reason says why it was corrected and is
// required: it is kept in the audit trail.
type OutagePatch struct {
	StartedAt *time.Time `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
	Ongoing   bool       `json:"ongoing"`
	Weight    *float64   `json:"weight"`
	Summary   *string    `json:"summary"`
	Reason    string     `json:"reason"`
}

// Target is the availability agreed for a service over its agreed hours.
type Target struct {
	ServiceID    int64     `json:"service_id"`
	ServiceName  string    `json:"service_name"`
	Percent      float64   `json:"target"`
	CalendarID   *int64    `json:"calendar_id"`
	CalendarName string    `json:"hours"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int       `json:"version"`
}

// TargetInput sets a service's target; CalendarID 0 or nil means round
// the clock.
type TargetInput struct {
	Percent    float64 `json:"target"`
	CalendarID *int64  `json:"calendar_id"`
	Reason     string  `json:"reason"`
}

// RoundTheClock names agreed hours without a calendar.
const RoundTheClock = "24x7"
