// Package continuity keeps service continuity (clause 8.7.2): requirements
// per service (RTO, RPO, minimum service level), plans with steps, owners
// and the CMDB's dependencies, tests and exercises with their results, and
// invocations with their review.
package continuity

import (
	"log/slog"

	"steward/internal/store"
)

// Service is the area's records and computations.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds the service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}
