// Package continuity keeps service continuity (clause 8.7.2): requirements
// per service (RTO, RPO, minimum service level), plans with steps, owners,
// contacts and the CMDB's dependencies, tests and exercises with their
// results against the requirements, and invocations with their review.
// Standing says, per service, what needs attention: requirements without a
// plan, a plan untested for twelve months, a last test that missed.
package continuity

import (
	"log/slog"
	"time"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/improvement"
	"steward/internal/store"
)

// Service is the area's records and computations.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// CMDB answers what a service depends on; without it plans list no
	// dependencies.
	CMDB *cmdb.Service
	// Improvements takes the actions of a test raised as improvements.
	Improvements *improvement.Service
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

// The permissions continuity declares, with the roles that hold them by
// default: staff keep requirements, plans, tests and invocations;
// administrators approve plans; auditors read everything.
var (
	PermRead    = auth.Declare("continuity:read", "Read continuity requirements, plans, tests and invocations", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite   = auth.Declare("continuity:write", "Set continuity requirements, write plans, record tests and invocations", auth.Admin, auth.Agent)
	PermApprove = auth.Declare("continuity:approve", "Approve continuity plans", auth.Admin)
)

// Plan states.
const (
	Draft    = "draft"
	Approved = "approved"
	Retired  = "retired"
)

// Kinds of test, from talking it through to failing over for real.
var Kinds = []string{"tabletop", "simulation", "full_failover"}

// Verdicts of a figure against its requirement.
const (
	Met           = "met"
	Missed        = "missed"
	NotMeasured   = "not_measured"
	NoRequirement = "no_requirement"
)

// TestedWithin is how recent a plan's last test must be: twelve months.
const TestedWithin = 12

// Limits on one plan and one list.
const (
	MaxSteps    = 100
	MaxContacts = 50
	MaxServices = 50
	MaxLimit    = 200
)
