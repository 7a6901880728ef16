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

// Job kinds.
const (
	OfflineJob     = "event.offline"
	AutoResolveJob = "event.autoresolve"
	RetentionJob   = "event.retention"
)

// Jobs lists event management's periodic work.
func (s *Service) Jobs() []Job {
	return []Job{
		{Kind: OfflineJob, Run: s.detectOffline, Every: 30 * time.Second},
		{Kind: AutoResolveJob, Run: s.autoResolve, Every: 30 * time.Second},
		{Kind: RetentionJob, Run: s.purgeEvents, Every: time.Hour},
	}
}
