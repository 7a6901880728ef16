// Package mail sends Steward's e-mail: notifications rendered from
// per-event templates in the recipient's language and time zone, digests,
// and password-reset links, from a durable outbox through the job queue
// to the SMTP server of --smtp-url.
package mail

import (
	"log/slog"

	"steward/internal/config"
	"steward/internal/store"
)

// Service is outgoing mail over one database.
type Service struct {
	DB  *store.DB
	Cfg config.Config
	Log *slog.Logger
}

// NewService builds outgoing mail; with no --smtp-url it still keeps the
// outbox, so that nothing is lost before a server is configured.
func NewService(db *store.DB, cfg config.Config, log *slog.Logger) *Service {
	return &Service{DB: db, Cfg: cfg, Log: log}
}
