package event

import (
	"time"

	"steward/internal/jobs"
)

// Job is one kind of periodic background work of event management.
type Job struct {
	Kind  string
	Run   jobs.Handler
	Every time.Duration
}

// Jobs lists event management's periodic work.
func (s *Service) Jobs() []Job { return nil }
