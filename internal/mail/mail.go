// Package mail sends Steward's e-mail: notifications rendered from
// per-event templates in the recipient's language and time zone, digests,
// and password-reset links, from a durable outbox through the job queue
// to the SMTP server of --smtp-url.
//
// Notifications reach mail in three steps, each its own job: the
// dispatcher (notify.MailJob) takes the notifications marked for mailing,
// renders those each reader wants now into the outbox and holds the rest
// for the reader's digest (DigestJob); the sender (SendJob) claims due
// outbox messages with a lease and hands them to the SMTP server, retrying
// with backoff. A message is only ever in one place, so a restart, or a
// node that dies mid-send, loses nothing.
package mail

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/store"
)

// PermAdmin is seeing the outbox and sending a failed message again.
var PermAdmin = auth.Declare("mail:admin", "See outgoing e-mail and send failed messages again", auth.Admin)

// Job kinds; the dispatcher's is notify.MailJob.
const (
	SendJob   = "mail.send"
	DigestJob = "mail.digest"
)

// Service is outgoing mail over one database.
type Service struct {
	DB  *store.DB
	Cfg config.Config
	Log *slog.Logger
	// RootCAs, when set, are the only authorities the SMTP server's
	// certificate is checked against (a test's own server); nil trusts
	// the system's. Verification is never switched off.
	RootCAs *x509.CertPool
	// Backoff is the wait before a message's next attempt after its
	// attempts-th failure; nil doubles from 30 seconds up to an hour.
	Backoff func(attempts int) time.Duration
	// MaxAttempts is how many times a message is tried before it is
	// failed for an administrator to send again; 0 means 12 (about seven
	// hours of retrying with the default backoff).
	MaxAttempts int
	// Limits throttle password-reset requests; zero values take the
	// defaults.
	Limits ResetLimits
	// RatingLink, when set, makes the one-click rating link of the survey
	// a notification of kind survey links to (its link), for the
	// notification's reader, in the transaction that writes the message:
	// a path, or "" for none.
	RatingLink func(ctx context.Context, tx *store.Tx, userID int64, link string) (string, error)
	// Policy, when set, says which accounts may sign in with a password:
	// only those get reset links.
	Policy auth.SignInPolicy
}

// NewService builds outgoing mail; with no --smtp-url it still keeps the
// outbox, so that nothing is lost before a server is configured.
func NewService(db *store.DB, cfg config.Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Cfg: cfg, Log: log}
}

// Configured reports whether mail can be sent: a server and a sender.
func (s *Service) Configured() bool { return s.Cfg.SMTPURL != "" && s.Cfg.MailFrom != "" }

// Server is the SMTP server as an administrator may read it: the URL
// without its password; "" when none is configured.
func (s *Service) Server() string {
	u, err := url.Parse(s.Cfg.SMTPURL)
	if err != nil || s.Cfg.SMTPURL == "" {
		return ""
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// Host is the domain of Steward's Message-IDs and thread ids: the domain
// of --mail-from, else the host of --base-url.
func (s *Service) Host() string {
	if a, err := netmail.ParseAddress(s.Cfg.MailFrom); err == nil {
		if _, domain, ok := strings.Cut(a.Address, "@"); ok && idSafe(domain) {
			return strings.ToLower(domain)
		}
	}
	if u, err := url.Parse(s.Cfg.PublicURL()); err == nil {
		h := u.Host
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		if h = strings.Trim(h, "[]"); h != "" && idSafe(h) {
			return strings.ToLower(h)
		}
	}
	return "localhost"
}

func (s *Service) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 12
}

// backoff is the wait after a message's attempts-th failure.
func (s *Service) backoff(attempts int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(attempts)
	}
	d := time.Hour
	if attempts < 8 {
		d = min(time.Duration(1<<max(attempts-1, 0))*30*time.Second, time.Hour)
	}
	return d
}

// link is path as an absolute address on this installation.
func (s *Service) link(path string) string {
	if path == "" {
		return s.Cfg.PublicURL() + "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return s.Cfg.PublicURL() + path
}
