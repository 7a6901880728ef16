// Package capacity follows utilisation and demand (clauses 8.4.2 and 8.4.3):
// samples per CI or service, thresholds with the action they call for, a
// forecast of when each is crossed, capacity plans per service and demand
// trends from tickets and requests.
package capacity

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
