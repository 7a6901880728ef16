// Package mailin takes incoming e-mail into tickets: from an IMAP mailbox
// it polls and from an SMTP listener a relay forwards to. A new message
// opens an incident, a reply becomes a comment on the record it answers,
// attachments become the record's attachments; auto-replies, loops and
// floods are stopped.
package mailin

import (
	"crypto/tls"
	"log/slog"
	"sync"
	"time"

	"steward/internal/complaint"
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
	// Complaints raises the complaints of messages sent to a complaints
	// address and takes replies to them; set once the node has built it.
	Complaints *complaint.Service
	// Records is the record kernel (attachments, kinds by number); it is
	// set once the node has built it.
	Records *record.Kernel
	// IMAPTLS, when set, is the TLS configuration for the mailbox (a
	// private certificate authority); the system's roots otherwise.
	IMAPTLS *tls.Config
	// MaxMessageBytes bounds a message taken by SMTP or read from the
	// mailbox; DefaultMaxMessage when 0.
	MaxMessageBytes int64
	// MaxReceiving bounds the messages the SMTP listener receives at
	// once, and so its memory; DefaultReceiving when 0. ReceivingWait is
	// how long one more waits for a turn; DefaultReceivingWait when 0.
	MaxReceiving  int
	ReceivingWait time.Duration

	receivingOnce sync.Once
	receiving     chan struct{}
}

// DefaultMaxMessage is the largest message taken: 25 MB, attachments
// and their encoding included.
const DefaultMaxMessage = 25 << 20

func (s *Service) maxMessage() int64 {
	if s.MaxMessageBytes > 0 {
		return s.MaxMessageBytes
	}
	return DefaultMaxMessage
}

// NewService builds incoming mail.
func NewService(db *store.DB, cfg config.Config, incidents *incident.Service, requests *request.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Cfg: cfg, Log: log, Incidents: incidents, Requests: requests}
}
