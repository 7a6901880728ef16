// Package capacity follows utilisation and demand (clauses 8.4.2 and 8.4.3):
// samples per CI or service, thresholds with the action they call for, a
// forecast of when each is crossed, capacity plans per service and demand
// trends from tickets and requests.
//
// A series is one metric (cpu, storage, devices connected...) of one CI or
// one service. Samples arrive through the API, a CSV upload or a
// Prometheus server's query API; each day's peak is kept beside them, and
// forecasts read the peaks, so a forecast reads a few hundred rows however
// dense the samples are.
package capacity

import (
	"log/slog"
	"net/http"
	"time"

	"steward/internal/auth"
	"steward/internal/store"
)

// Service is the area's records and computations.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// Client reads Prometheus servers; a client with a timeout when nil.
	Client *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// NewService builds the service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// The permissions capacity declares, with the roles that hold them by
// default: agents and administrators record samples, set thresholds and
// keep plans; auditors read; only administrators point a series at a
// Prometheus server, since the server then calls that address.
var (
	PermRead   = auth.Declare("capacity:read", "Read utilisation, thresholds, forecasts, capacity plans and demand trends", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite  = auth.Declare("capacity:write", "Record utilisation samples, set thresholds and keep capacity plans", auth.Admin, auth.Agent)
	PermSource = auth.Declare("capacity:source", "Point a utilisation series at a Prometheus server's query", auth.Admin)
)

// Series is one metric of one CI or one service, with its thresholds.
type Series struct {
	ID          int64    `json:"id"`
	CIID        *int64   `json:"ci_id"`
	ServiceID   *int64   `json:"service_id"`
	Subject     string   `json:"subject"` // the CI's or the service's name
	Metric      string   `json:"metric"`
	Unit        string   `json:"unit"`
	WarnAt      *float64 `json:"warn_at"`
	WarnAction  string   `json:"warn_action"`
	ActAt       *float64 `json:"act_at"`
	ActAction   string   `json:"act_action"`
	SourceURL   string   `json:"source_url"`
	SourceQuery string   `json:"source_query"`
	SourceStep  int      `json:"source_step_seconds"`
	// PolledUntil is how far the Prometheus source has been read.
	PolledUntil *time.Time `json:"polled_until"`
	PollError   string     `json:"poll_error"`
	LastAt      *time.Time `json:"last_at"`
	LastValue   *float64   `json:"last_value"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int        `json:"version"`
}

// Label names the series for people: "db-01 · cpu".
func (s Series) Label() string { return s.Subject + " · " + s.Metric }

// SubjectURL is the page of the series' CI or service.
func (s Series) SubjectURL() string {
	if s.CIID != nil {
		return "/cis/" + itoa(*s.CIID)
	}
	if s.ServiceID != nil {
		return "/services/" + itoa(*s.ServiceID)
	}
	return ""
}

// Point is one value at one instant.
type Point struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
}
