package mailin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

// Delivery is a message as it arrived, by SMTP or from the mailbox.
type Delivery struct {
	Raw []byte
	Via string // "smtp" or "imap"
	// EnvelopeFrom is SMTP's MAIL FROM: "" for the null sender of bounces.
	EnvelopeFrom string
	// Recipients are SMTP's RCPT TO addresses.
	Recipients []string
	// Mailbox, UIDValidity and UID say where in the IMAP mailbox it is.
	Mailbox     string
	UIDValidity uint32
	UID         uint32
}

// Result is what Take made of a message.
type Result struct {
	Entry Entry
	// Duplicate is a message already in the log: nothing was done now.
	Duplicate bool
	// Temporary is a refusal for now (the rate limit): the SMTP listener
	// answers 4xx so that the sender's server tries again later.
	Temporary bool
	// Reject asks the SMTP listener to refuse the message with 5xx
	// (unreadable, too many recipients) rather than accept and drop it.
	Reject bool
}

// Take processes one incoming message, whichever way it came: it opens a
// ticket, comments on the record it answers, holds it or refuses it, and
// writes what it did to the log in the same transaction, so a message is
// processed once however often it is delivered or read. An error means
// nothing was decided (the database failed): deliver or read it again.
func (s *Service) Take(ctx context.Context, d Delivery) (Result, error) {
	e := Entry{ReceivedAt: time.Now().UTC().Truncate(time.Microsecond), Via: d.Via, Size: int64(len(d.Raw)),
		Mailbox: d.Mailbox, UIDValidity: d.UIDValidity, UID: d.UID,
		Recipients: clipBytes(strings.ToLower(strings.Join(d.Recipients, ", ")), 1000)}
	m, err := Parse(d.Raw)
	if err != nil {
		e.Sender = strings.ToLower(d.EnvelopeFrom)
		e.Outcome, e.Reason, e.Detail = Refused, reasonMalformed, sentence(err.Error())
		s.Log.Warn("incoming mail refused: unreadable", "via", d.Via, "sender", e.Sender, "err", err)
		return s.settle(ctx, e, "raw:"+hash(d.Raw), Result{Reject: true})
	}
	e.MessageID, e.Sender, e.SenderName = clipBytes(m.MessageID, 500), clipBytes(m.From, 254), clip(m.FromName, 200)
	e.Subject = clip(m.Subject, 300)
	if e.Recipients == "" {
		e.Recipients = clipBytes(strings.Join(append(append([]string{}, m.To...), m.Cc...), ", "), 1000)
	}
	key := dedupKey(m, d.Raw)
	if prev, ok, err := s.byKey(ctx, key); err != nil || ok {
		return Result{Entry: prev, Duplicate: ok}, err
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return Result{}, err
	}
	if why := noise(m, d.EnvelopeFrom, ownAddress(s.Cfg.MailFrom), d.Via == "smtp"); why != "" {
		e.Outcome, e.Reason = Ignored, why
		return s.settle(ctx, e, key, Result{})
	}
	if n := max(len(m.To)+len(m.Cc), len(d.Recipients)); n > st.MaxRecipients {
		e.Outcome, e.Reason = Refused, reasonRecipients
		e.Detail = fmt.Sprintf("It was sent to %d addresses; at most %d are taken.", n, st.MaxRecipients)
		s.Log.Warn("incoming mail refused: too many recipients", "sender", e.Sender, "recipients", n)
		return s.settle(ctx, e, key, Result{Reject: true})
	}
	if limited, err := s.overLimit(ctx, e.Sender, st); err != nil || limited {
		if err != nil {
			return Result{}, err
		}
		return s.limited(ctx, e, key, st)
	}
	u, err := s.activeUser(ctx, m.From)
	if err != nil {
		return Result{}, err
	}
	k, id, isReply := s.answers(m)
	// A From that cannot be believed is not acted on as that person: a
	// known sender's message, or a new one from a stranger that would be
	// held or given an account, waits for an agent. A stranger's reply,
	// or a new message where strangers are refused, is refused as ever.
	if !senderVerified(d, m) && (u != nil || (!isReply && st.UnknownSender != UnknownRefuse)) {
		s.Log.Warn("incoming mail held: the From address is not verified", "sender", e.Sender, "envelope", d.EnvelopeFrom)
		return s.hold(ctx, d, e, key, reasonUnverified)
	}
	if isReply {
		return s.reply(ctx, d, m, e, key, u, k, id)
	}
	return s.newMessage(ctx, d, m, e, key, u, st)
}

// answers is the record a message answers, when it names one.
func (s *Service) answers(m *Message) (*record.Kind, int64, bool) {
	if ref := ThreadRef(m); ref != "" {
		return s.Records.Kinds.ParseNumber(ref)
	}
	return nil, 0, false
}

// hold keeps a message for an agent to accept or discard.
func (s *Service) hold(ctx context.Context, d Delivery, e Entry, key, reason string) (Result, error) {
	e.Outcome, e.Reason = Held, reason
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := insertEntry(ctx, tx, &e, key); err != nil {
			return err
		}
		return saveRaw(ctx, tx, e.ID, d.Raw)
	})
	if errors.Is(err, store.ErrConflict) {
		prev, _, err := s.byKey(ctx, key)
		return Result{Entry: prev, Duplicate: true}, err
	}
	s.Log.Info("incoming mail held", "sender", e.Sender, "reason", reason, "log_id", e.ID)
	return Result{Entry: e}, err
}

// dedupKey identifies a message however it arrives: by its sender and
// Message-ID, or by its bytes when it has none. The sender is part of the
// key so that another person's message carrying the same id (a broken
// mailer, or an id copied on purpose to have a message dropped) is
// taken.
func dedupKey(m *Message, raw []byte) string {
	if m.MessageID != "" {
		return "mid:" + hash([]byte(m.From+"\x00"+m.MessageID))
	}
	return "raw:" + hash(raw)
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// byKey is the log entry of a message already taken.
func (s *Service) byKey(ctx context.Context, key string) (Entry, bool, error) {
	e, err := s.scanEntry(s.DB.QueryRow(ctx, "SELECT "+entryCols+" FROM mail_in_log WHERE dedup_key = ?", key))
	if errors.Is(err, store.ErrNotFound) {
		return Entry{}, false, nil
	}
	return e, err == nil, err
}

// settle writes an outcome that creates nothing. A message another
// delivery settled first is a duplicate.
func (s *Service) settle(ctx context.Context, e Entry, key string, res Result) (Result, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return insertEntry(ctx, tx, &e, key) })
	if errors.Is(err, store.ErrConflict) && key != "" {
		prev, _, err := s.byKey(ctx, key)
		return Result{Entry: prev, Duplicate: true}, err
	}
	if err != nil {
		return Result{}, err
	}
	res.Entry = e
	return res, nil
}

// overLimit reports whether sender has reached the rate limit: every
// message taken from them within the window counts, whatever became of
// it, so a flood stays stopped while it goes on.
func (s *Service) overLimit(ctx context.Context, sender string, st Settings) (bool, error) {
	if sender == "" {
		return false, nil
	}
	var n int
	since := time.Now().Add(-time.Duration(st.RateWindowMinutes) * time.Minute)
	err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM mail_in_log WHERE sender = ? AND received_at > ?
		AND outcome <> 'deferred' LIMIT ?) AS recent`, sender, store.TS(since), st.RateLimit).Scan(&n)
	return n >= st.RateLimit, err
}

// limited answers a message over the rate limit. By SMTP it is deferred
// (the sender's server tries again later) with one note in the log per
// sender and window; read from the mailbox, where nothing retries, it is
// refused and flagged.
func (s *Service) limited(ctx context.Context, e Entry, key string, st Settings) (Result, error) {
	e.Reason = reasonRateLimited
	e.Detail = fmt.Sprintf("At most %d messages in %d minutes are taken from one sender.", st.RateLimit, st.RateWindowMinutes)
	s.Log.Warn("incoming mail over the rate limit", "via", e.Via, "sender", e.Sender)
	if e.Via != "smtp" {
		e.Outcome = Refused
		return s.settle(ctx, e, key, Result{})
	}
	e.Outcome = Deferred
	var noted int
	since := time.Now().Add(-time.Duration(st.RateWindowMinutes) * time.Minute)
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM mail_in_log WHERE sender = ? AND received_at > ? AND outcome = 'deferred'`,
		e.Sender, store.TS(since)).Scan(&noted); err != nil {
		return Result{}, err
	}
	if noted > 0 {
		return Result{Entry: e, Temporary: true}, nil
	}
	return s.settle(ctx, e, "", Result{Temporary: true})
}

// activeUser is the active account whose address is from, or nil.
func (s *Service) activeUser(ctx context.Context, from string) (*auth.Principal, error) {
	if from == "" {
		return nil, nil
	}
	u, err := auth.UserByEmail(ctx, s.DB, from)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Active) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return principalOf(u), nil
}

func principalOf(u auth.User) *auth.Principal {
	p := &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, GroupIDs: u.GroupIDs, Via: "email"}
	if u.CustomerID != nil {
		p.CustomerID = *u.CustomerID
	}
	return p
}

// sentence makes an error's text a sentence: capital first, full stop last.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
