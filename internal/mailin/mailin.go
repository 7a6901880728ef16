// Package mailin takes incoming e-mail into tickets: from an IMAP mailbox
// it polls and from an SMTP listener a relay forwards to. A new message
// opens an incident, a reply becomes a comment on the record it answers,
// attachments become the record's attachments; auto-replies, loops and
// floods are stopped.
package mailin

import (
	"log/slog"

	"steward/internal/config"
	"steward/internal/incident"
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/store"
)

// Service is incoming mail over one database.
type Service struct {
	DB        *store.DB
	Cfg       config.Config
	Log       *slog.Logger
	Incidents *incident.Service
	Requests  *request.Service
	// Records is the record kernel (attachments, kinds by number); it is
	// set once the node has built it.
	Records *record.Kernel
}

// NewService builds incoming mail.
func NewService(db *store.DB, cfg config.Config, incidents *incident.Service, requests *request.Service, log *slog.Logger) *Service {
	return &Service{DB: db, Cfg: cfg, Log: log, Incidents: incidents, Requests: requests}
}
