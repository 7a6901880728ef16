// Package webhook delivers the activity feed to receivers that subscribe
// to it: signed JSON from a durable outbox, in order per record, retried
// with backoff, logged, and paused when a receiver keeps failing.
package webhook

import (
	"log/slog"

	"steward/internal/store"
)

// Service is outbound webhooks over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds outbound webhooks.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}
