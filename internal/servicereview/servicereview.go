// Package servicereview schedules reviews of each service agreement with
// its customer, compiles the pack from the records (SLA attainment,
// satisfaction, complaints, major incidents, changes coming) and keeps
// the minutes and the actions agreed.
package servicereview

import (
	"log/slog"

	"steward/internal/store"
)

// Service is customer service reviews over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds customer service reviews.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}
