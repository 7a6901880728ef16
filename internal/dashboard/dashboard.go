// Package dashboard keeps KPI definitions as data (metric, filter, period,
// target, direction), computes them from the records on a schedule into
// time-series snapshots, and lays them out as dashboards per role and per
// person, each figure linked to the records behind it.
package dashboard

import (
	"log/slog"

	"steward/internal/store"
)

// Service is KPI snapshots and dashboards over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds KPI snapshots and dashboards.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}
