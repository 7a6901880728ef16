// Package cost is budgeting and accounting for services (clause 8.4.1):
// what each service costs per period, budgets against actuals, allocation
// to customers, the cost of downtime, and whether the service management
// effort pays for itself.
package cost

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
