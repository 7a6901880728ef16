package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"steward/internal/jobs"
	"steward/internal/store"
)

// sendBatch bounds the messages one claim takes; they go out over one
// connection.
const sendBatch = 100

// keepSent is how long sent messages stay in the outbox for the
// administrator's page.
const keepSent = 90 * 24 * time.Hour

// Deliver is the job handler of SendJob: it claims due messages and hands
// them to the SMTP server until none is due. With no server configured it
// leaves every message queued.
func (s *Service) Deliver(ctx context.Context, _ jobs.Job) error {
	if err := s.prune(ctx, keepSent); err != nil {
		s.Log.Warn("mail: removing old sent messages", "err", err)
	}
	if !s.Configured() {
		return nil
	}
	tr, err := parseTransport(s.Cfg.SMTPURL)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		batch, claim, err := s.claim(ctx, time.Now(), leaseEnd(ctx))
		if err != nil || len(batch) == 0 {
			return err
		}
		outcomes := s.send(ctx, tr, batch)
		if err := s.settle(context.WithoutCancel(ctx), claim, batch, outcomes); err != nil {
			return err
		}
		if len(batch) < sendBatch {
			return nil
		}
	}
	return ctx.Err()
}

// leaseEnd is when this run's claim on messages ends: with the job's own
// lease, so another node takes both over together.
func leaseEnd(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(5 * time.Minute)
}

// claim takes up to sendBatch due messages: queued ones whose attempt is
// due, and ones a sender claimed and did not finish before its lease ran
// out (its node died). While claimed, next_attempt_at is the lease's end.
func (s *Service) claim(ctx context.Context, now, until time.Time) ([]Message, string, error) {
	lock := ""
	if s.DB.Dialect() == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	b := make([]byte, 8)
	rand.Read(b)
	claim := hex.EncodeToString(b)
	var out []Message
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		ids, err := store.IDs(ctx, tx, `SELECT id FROM mail_outbox WHERE state IN ('queued', 'sending') AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`+lock, store.TS(now), sendBatch)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, locked_by = ?,
				locked_until = ?, next_attempt_at = ? WHERE id = ?`, claim, store.TS(until), store.TS(until), id); err != nil {
				return err
			}
			m, err := scanMessage(tx.QueryRow(ctx, "SELECT "+messageColumns+" FROM mail_outbox WHERE id = ?", id))
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, claim, err
}

// outcome is what became of one message: nil sent, else why not and
// whether trying again may help.
type outcome struct {
	err       error
	permanent bool
}

// send hands the batch to the server over one connection.
func (s *Service) send(ctx context.Context, tr transport, batch []Message) []outcome {
	out := make([]outcome, len(batch))
	client, err := s.client(tr)
	if err == nil {
		err = client.DialWithContext(ctx)
	}
	if err != nil {
		for i := range out {
			out[i] = outcome{err: fmt.Errorf("connecting to %s: %w", tr.addr(), err)}
		}
		return out
	}
	defer client.Close()
	for i, m := range batch {
		msg, err := s.build(m)
		if err != nil {
			out[i] = outcome{err: err, permanent: true}
			continue
		}
		if err := client.Send(msg); err != nil && msg.IsDelivered() {
			// The server took the message; only the command after it
			// (RSET) failed. Sending it again would deliver it twice.
			s.Log.Warn("mail: the server accepted a message, then the connection failed", "id", m.ID, "err", err)
		} else if err != nil {
			var se *gomail.SendError
			out[i] = outcome{err: err, permanent: errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500}
		}
	}
	return out
}

// settle records each message's outcome while this run's claim on it
// still holds, and schedules the sender for the earliest retry.
func (s *Service) settle(ctx context.Context, claim string, batch []Message, outcomes []outcome) error {
	now := time.Now()
	var retry time.Time
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		for i, m := range batch {
			o := outcomes[i]
			held := " WHERE id = ? AND state = 'sending' AND locked_by = ?"
			var err error
			switch {
			case o.err == nil && (m.Kind == "password_reset" || m.Kind == "survey"):
				// Once sent, the link leaves the outbox: it is a secret.
				_, err = tx.Exec(ctx, `UPDATE mail_outbox SET state = 'sent', sent_at = ?, last_error = '', locked_by = NULL,
					locked_until = NULL, text_body = ?, html_body = ''`+held, store.TS(now), hideSecrets(m).Text, m.ID, claim)
			case o.err == nil:
				_, err = tx.Exec(ctx, `UPDATE mail_outbox SET state = 'sent', sent_at = ?, last_error = '', locked_by = NULL,
					locked_until = NULL`+held, store.TS(now), m.ID, claim)
			case o.permanent || m.Attempts >= s.maxAttempts():
				s.Log.Error("mail: giving up on a message", "id", m.ID, "attempts", m.Attempts, "err", o.err)
				_, err = tx.Exec(ctx, `UPDATE mail_outbox SET state = 'failed', last_error = ?, locked_by = NULL,
					locked_until = NULL`+held, cutError(o.err), m.ID, claim)
			default:
				next := now.Add(s.backoff(m.Attempts))
				if retry.IsZero() || next.Before(retry) {
					retry = next
				}
				s.Log.Warn("mail: will retry a message", "id", m.ID, "attempts", m.Attempts, "at", next, "err", o.err)
				_, err = tx.Exec(ctx, `UPDATE mail_outbox SET state = 'queued', last_error = ?, next_attempt_at = ?,
					locked_by = NULL, locked_until = NULL`+held, cutError(o.err), store.TS(next), m.ID, claim)
			}
			if err != nil {
				return err
			}
		}
		if retry.IsZero() {
			return nil
		}
		return jobs.EnqueueEarliest(ctx, tx, SendJob, "due", retry)
	})
	return err
}

func cutError(err error) string {
	s := headerText(err.Error(), 1000)
	return s
}

// build makes the message to send from its outbox row.
func (s *Service) build(m Message) (*gomail.Msg, error) {
	from, err := netmail.ParseAddress(s.Cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("--mail-from %q is not an address: %w", s.Cfg.MailFrom, err)
	}
	if !plainAddress(m.To) {
		return nil, fmt.Errorf("the recipient %q is not an address", m.To)
	}
	to := &netmail.Address{Name: headerText(m.ToName, 100), Address: m.To}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.ReplyToMailAddress(from)
	msg.ToMailAddress(to)
	msg.Subject(headerText(m.Subject, 250))
	msg.SetMessageIDWithValue(strings.Trim(m.MessageID, "<>"))
	msg.SetDateWithValue(time.Now())
	for _, h := range m.Headers {
		name := h[0]
		if !headerName(name) {
			continue
		}
		msg.SetGenHeader(gomail.Header(name), headerText(h[1], 900))
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// headerName reports whether s may name a header of ours.
func headerName(s string) bool {
	if s == "" || len(s) > 60 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// transport is the SMTP server of --smtp-url.
type transport struct {
	host       string
	port       int
	implicit   bool // smtps: TLS from the first byte
	user, pass string
}

func (t transport) addr() string { return t.host + ":" + strconv.Itoa(t.port) }

// parseTransport reads --smtp-url: smtp://[user:pass@]host[:port]
// (STARTTLS when offered, required when there are credentials; port 25 by
// default) or smtps://[user:pass@]host[:port] (TLS; port 465).
func parseTransport(raw string) (transport, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return transport{}, fmt.Errorf("--smtp-url %q is not a server address such as smtp://host:587", redact(raw))
	}
	t := transport{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		t.port = 25
	case "smtps":
		t.port, t.implicit = 465, true
	default:
		return transport{}, fmt.Errorf("--smtp-url must start with smtp:// or smtps://")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return transport{}, fmt.Errorf("--smtp-url has port %q; use a number from 1 to 65535", p)
		}
		t.port = n
	}
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
	}
	return t, nil
}

// redact is an SMTP URL without its password, for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// client is a go-mail client for the transport. Credentials are never
// sent over a connection that is not encrypted: with them, smtp://
// requires STARTTLS.
func (s *Service) client(t transport) (*gomail.Client, error) {
	cfg := &tls.Config{ServerName: t.host, MinVersion: tls.VersionTLS12, RootCAs: s.RootCAs}
	helo, _ := os.Hostname()
	if helo == "" {
		helo = "localhost"
	}
	opts := []gomail.Option{gomail.WithPort(t.port), gomail.WithTLSConfig(cfg), gomail.WithTimeout(30 * time.Second),
		gomail.WithHELO(helo)}
	switch {
	case t.implicit:
		opts = append(opts, gomail.WithSSL())
	case t.user != "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if t.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(t.user), gomail.WithPassword(t.pass))
	}
	return gomail.NewClient(t.host, opts...)
}
