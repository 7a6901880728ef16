package mailin

import (
	"context"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// What became of a message.
const (
	Opened    = "opened"    // a ticket was opened
	Commented = "commented" // a comment was added to the record it answers
	Held      = "held"      // waiting for an agent (unknown sender)
	Refused   = "refused"   // nothing created; the reason says why
	Ignored   = "ignored"   // automatic mail, bounces, loops: dropped on purpose
	Deferred  = "deferred"  // the sender's server was told to try later
	Discarded = "discarded" // a held message an agent threw away
)

// Why, when the outcome needs a reason.
const (
	reasonOwn            = "own"
	reasonAutoReply      = "auto_reply"
	reasonList           = "list"
	reasonBounce         = "bounce"
	reasonMalformed      = "malformed"
	reasonTooLarge       = "too_large"
	reasonRecipients     = "too_many_recipients"
	reasonRateLimited    = "rate_limited"
	reasonUnknownSender  = "unknown_sender"
	reasonUnknownReply   = "unknown_sender_reply"
	reasonNotVisible     = "not_visible"
	reasonClosed         = "closed"
	reasonCannotComment  = "cannot_comment"
	reasonInvalid        = "invalid"
	reasonHeld           = "unknown_sender_held"
	reasonDiscarded      = "discarded"
	reasonAccepted       = "accepted"
	reasonFormNeeded     = "item_form"
	reasonItemNotOffered = "item_not_offered"
	reasonUnstorable     = "unstorable"
	reasonUnverified     = "unverified_sender"
)

// reasonWords are the reasons as a person reads them; the log's detail
// adds the particulars.
var reasonWords = map[string]string{
	reasonOwn:            "Steward's own message came back; dropped so that it cannot loop.",
	reasonAutoReply:      "An automatic reply (out of office, auto-responder or bulk mail); these open no ticket.",
	reasonList:           "Mail from a mailing list; it opens no ticket.",
	reasonBounce:         "A bounce or delivery report from a mail server; it opens no ticket.",
	reasonMalformed:      "The message could not be read.",
	reasonTooLarge:       "The message was larger than the size limit.",
	reasonRecipients:     "The message was sent to too many addresses.",
	reasonRateLimited:    "The sender sent too many messages in a short time.",
	reasonUnknownSender:  "The sender has no active account, and messages from unknown senders are refused.",
	reasonUnknownReply:   "The sender has no active account, so the reply was not added.",
	reasonNotVisible:     "The record does not exist or the sender may not see it; the reply was not added.",
	reasonClosed:         "The record is closed; the reply was not added.",
	reasonCannotComment:  "The sender's role may not open tickets or comment on this record.",
	reasonInvalid:        "The ticket could not be opened from the message.",
	reasonHeld:           "The sender has no account; the message waits for an agent to accept or discard it.",
	reasonDiscarded:      "An agent discarded the held message.",
	reasonAccepted:       "An agent accepted the held message.",
	reasonFormNeeded:     "The address leads to a catalogue item whose form needs answers, so an incident was opened instead of a request.",
	reasonItemNotOffered: "The address leads to a catalogue item the sender may not request, so an incident was opened instead.",
	reasonUnstorable:     "The message could not be stored; it stays in the mailbox, marked as read.",
	reasonUnverified:     "The From address could not be verified (the envelope sender's domain differs and the receiving server recorded no DMARC pass); the message waits for an agent to accept or discard it.",
}

// ReasonWords is a reason as a sentence.
func ReasonWords(reason string) string { return reasonWords[reason] }

// Entry is one line of the log of incoming mail.
type Entry struct {
	ID           int64      `json:"id"`
	ReceivedAt   time.Time  `json:"received_at"`
	Via          string     `json:"via"`
	MessageID    string     `json:"message_id"`
	Sender       string     `json:"sender"`
	SenderName   string     `json:"sender_name"`
	Recipients   string     `json:"recipients"`
	Subject      string     `json:"subject"`
	Size         int64      `json:"size"`
	Outcome      string     `json:"outcome"`
	Reason       string     `json:"reason"`
	Detail       string     `json:"detail"`
	RecordKind   string     `json:"record_kind,omitempty"`
	RecordID     *int64     `json:"record_id"`
	CommentID    *int64     `json:"comment_id"`
	Record       string     `json:"record,omitempty"` // its number, INC-000123
	UserID       *int64     `json:"user_id"`
	Mailbox      string     `json:"mailbox,omitempty"`
	UIDValidity  uint32     `json:"-"`
	UID          uint32     `json:"-"`
	FilesPending bool       `json:"files_pending"`
	DecidedBy    *int64     `json:"decided_by"`
	DecidedAt    *time.Time `json:"decided_at"`
}

// Words is the entry's reason as a sentence with its particulars.
func (e Entry) Words() string {
	w := ReasonWords(e.Reason)
	switch {
	case w == "":
		return e.Detail
	case e.Detail == "":
		return w
	}
	return w + " " + e.Detail
}

const entryCols = `id, received_at, via, message_id, sender, sender_name, recipients, subject, size, outcome, reason,
	detail, record_kind, record_id, comment_id, user_id, mailbox, uid_validity, uid, files_pending, decided_by, decided_at`

func (s *Service) scanEntry(r interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var at, decided store.Time
	var uv, uid int64
	err := r.Scan(&e.ID, &at, &e.Via, &e.MessageID, &e.Sender, &e.SenderName, &e.Recipients, &e.Subject, &e.Size, &e.Outcome,
		&e.Reason, &e.Detail, &e.RecordKind, &e.RecordID, &e.CommentID, &e.UserID, &e.Mailbox, &uv, &uid, &e.FilesPending, &e.DecidedBy, &decided)
	if err != nil {
		return e, store.ScanErr(err)
	}
	e.ReceivedAt, e.UIDValidity, e.UID = at.Time, uint32(uv), uint32(uid)
	if !decided.IsZero() {
		t := decided.Time
		e.DecidedAt = &t
	}
	if e.RecordID != nil && s.Records != nil {
		if k, ok := s.Records.Kinds.Get(e.RecordKind); ok {
			e.Record = k.Number(*e.RecordID)
		}
	}
	return e, nil
}

// LogFilter narrows the log.
type LogFilter struct {
	Outcome string // one outcome, or all
	Before  int64  // keyset: entries older than this id
	Limit   int    // 50 when 0, at most 200
}

// Entries lists the log newest first.
func (s *Service) Entries(ctx context.Context, p *auth.Principal, f LogFilter) ([]Entry, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	where, args := []string{"1 = 1"}, []any{}
	if f.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, f.Outcome)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+entryCols+" FROM mail_in_log WHERE "+strings.Join(where, " AND ")+
		" ORDER BY id DESC LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := s.scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Get is one entry of the log.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Entry, error) {
	if !p.Can(PermRead) {
		return Entry{}, domainerr.ErrForbidden
	}
	return s.scanEntry(s.DB.QueryRow(ctx, "SELECT "+entryCols+" FROM mail_in_log WHERE id = ?", id))
}

// insertEntry writes e and returns its id. A dedup key already in the log
// gives store.ErrConflict. Every text that came with the message is made
// valid UTF-8 without NUL first, whichever way it came (headers, SMTP
// envelope).
func insertEntry(ctx context.Context, tx *store.Tx, e *Entry, key string) error {
	var k any
	if key != "" {
		k = key
	}
	err := tx.QueryRow(ctx, `INSERT INTO mail_in_log (received_at, via, dedup_key, message_id, sender, sender_name, recipients,
		subject, size, outcome, reason, detail, record_kind, record_id, comment_id, user_id, mailbox, uid_validity, uid, files_pending)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		store.TS(e.ReceivedAt), e.Via, k, cleanText(e.MessageID), cleanText(e.Sender), cleanText(e.SenderName), cleanText(e.Recipients),
		cleanText(e.Subject), e.Size, e.Outcome, e.Reason, cleanText(clip(e.Detail, 2000)), e.RecordKind, e.RecordID, e.CommentID, e.UserID,
		cleanText(e.Mailbox), int64(e.UIDValidity), int64(e.UID),
		e.FilesPending).Scan(&e.ID)
	return store.ScanErr(err)
}

// settleEntry turns a held entry into what the agent's decision made of it.
func settleEntry(ctx context.Context, tx *store.Tx, e *Entry, by int64) error {
	now := time.Now()
	res, err := tx.Exec(ctx, `UPDATE mail_in_log SET outcome = ?, reason = ?, detail = ?, record_kind = ?, record_id = ?,
		comment_id = ?, user_id = ?, files_pending = ?, decided_by = ?, decided_at = ? WHERE id = ? AND outcome = 'held'`,
		e.Outcome, e.Reason, cleanText(clip(e.Detail, 2000)), e.RecordKind, e.RecordID, e.CommentID, e.UserID, e.FilesPending, by,
		store.TS(now), e.ID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return domainerr.Conflictf("the message was already accepted or discarded")
	}
	return nil
}

// saveRaw keeps the raw message with its entry.
func saveRaw(ctx context.Context, tx *store.Tx, logID int64, raw []byte) error {
	_, err := tx.Exec(ctx, "INSERT INTO mail_in_raw (log_id, data) VALUES (?, ?)", logID, raw)
	return err
}

func loadRaw(ctx context.Context, q store.Querier, logID int64) ([]byte, error) {
	var raw []byte
	err := q.QueryRow(ctx, "SELECT data FROM mail_in_raw WHERE log_id = ?", logID).Scan(&raw)
	return raw, store.ScanErr(err)
}
