package mail

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/jobs"
	"steward/internal/store"
)

// States of an outbox message.
const (
	Queued  = "queued"  // waiting for its (next) attempt
	Sending = "sending" // claimed by a sender; back to queued if it dies
	Sent    = "sent"    // the SMTP server took it
	Failed  = "failed"  // given up on; an administrator may send it again
)

// States lists the states in the order the outbox page offers them.
var States = []string{Queued, Sending, Sent, Failed}

// Message is one outbox message.
type Message struct {
	ID            int64       `json:"id"`
	State         string      `json:"state"`
	Kind          string      `json:"kind"`
	UserID        *int64      `json:"user_id"`
	To            string      `json:"to"`
	ToName        string      `json:"to_name"`
	Subject       string      `json:"subject"`
	Ref           string      `json:"record_ref"`
	MessageID     string      `json:"message_id"`
	Headers       [][2]string `json:"headers"`
	Text          string      `json:"text"`
	HTML          string      `json:"html"`
	Attempts      int         `json:"attempts"`
	LastError     string      `json:"last_error"`
	NextAttemptAt *time.Time  `json:"next_attempt_at"`
	CreatedAt     time.Time   `json:"created_at"`
	SentAt        *time.Time  `json:"sent_at"`
	// Earlier are the failures before each time an administrator sent the
	// message again, oldest first; Attempts counts since the last of them.
	Earlier []Failure `json:"earlier_failures"`
}

// Failure is how a message stood when an administrator sent it again.
type Failure struct {
	At       time.Time `json:"at"` // when it was sent again
	By       string    `json:"by"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
}

// TotalAttempts counts every attempt, before and since it was sent again.
func (m Message) TotalAttempts() int {
	n := m.Attempts
	for _, f := range m.Earlier {
		n += f.Attempts
	}
	return n
}

// FailedBefore is the error of the last failure before the message was
// sent again; "" when it never was.
func (m Message) FailedBefore() string {
	if len(m.Earlier) == 0 {
		return ""
	}
	return m.Earlier[len(m.Earlier)-1].Error
}

// draft is a rendered message for one person.
type draft struct {
	Kind   string
	UserID int64
	To     string // the address
	ToName string
	Ref    string
	rendered
}

// queue puts d in the outbox inside tx and makes sure a sender runs once
// the transaction commits.
func (s *Service) queue(ctx context.Context, tx *store.Tx, d draft, now time.Time) (int64, error) {
	var user any
	if d.UserID > 0 {
		user = d.UserID
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO mail_outbox (state, kind, user_id, recipients, to_name, subject, record_ref, text_body,
			html_body, next_attempt_at, created_at) VALUES ('queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.Kind, user, d.To, headerText(d.ToName, 100), headerText(d.Subject, 250), d.Ref, d.Text, d.HTML, store.TS(now),
		store.TS(now)).Scan(&id)
	if err != nil {
		return 0, store.ScanErr(err)
	}
	host := s.Host()
	headers := [][2]string{{"Auto-Submitted", "auto-generated"}, {"X-Auto-Response-Suppress", "All"}}
	if d.Ref != "" {
		thread := "<" + ThreadID(d.Ref, host) + ">"
		headers = append(headers, [2]string{"In-Reply-To", thread}, [2]string{"References", thread}, [2]string{"X-Steward-Ref", d.Ref})
	}
	raw, _ := json.Marshal(headers)
	if _, err := tx.Exec(ctx, "UPDATE mail_outbox SET message_id = ?, headers = ? WHERE id = ?",
		"<"+messageID(d.Ref, id, host)+">", string(raw), id); err != nil {
		return 0, err
	}
	tx.Collect(SendJob, nil, func(ctx context.Context, tx *store.Tx, _ []any) error {
		return jobs.EnqueueEarliest(ctx, tx, SendJob, "due", time.Now())
	})
	return id, nil
}

const messageColumns = `id, state, kind, user_id, recipients, to_name, subject, record_ref, message_id, headers, text_body, html_body,
	attempts, last_error, next_attempt_at, created_at, sent_at`

func scanMessage(r interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var user sql.NullInt64
	var headers string
	var next, created, sent store.Time
	if err := r.Scan(&m.ID, &m.State, &m.Kind, &user, &m.To, &m.ToName, &m.Subject, &m.Ref, &m.MessageID, &headers, &m.Text, &m.HTML,
		&m.Attempts, &m.LastError, &next, &created, &sent); err != nil {
		return m, store.ScanErr(err)
	}
	if user.Valid {
		m.UserID = &user.Int64
	}
	_ = json.Unmarshal([]byte(headers), &m.Headers)
	if m.Headers == nil {
		m.Headers = [][2]string{}
	}
	m.Earlier = []Failure{}
	if m.State == Queued || m.State == Sending {
		m.NextAttemptAt = next.Ptr()
	}
	m.CreatedAt, m.SentAt = created.Time, sent.Ptr()
	return m, nil
}

// ToLabel is the recipient as people read it: "Ann Example
// <ann@example.com>".
func (m Message) ToLabel() string {
	if m.ToName == "" {
		return m.To
	}
	return m.ToName + " <" + m.To + ">"
}

// resetPath matches the secret part of a password-reset link.
var resetPath = regexp.MustCompile(`/password/reset/[A-Za-z0-9_-]+`)

// ratingPath matches the secret part of a survey's one-click rating link.
var ratingPath = regexp.MustCompile(`/surveys/r/[A-Za-z0-9_-]+`)

// hideSecrets keeps a reset link out of what administrators read: the
// link is its account's password until it is used. A survey's rating
// links stand for its requester, so they are hidden alike.
func hideSecrets(m Message) Message {
	switch m.Kind {
	case "password_reset":
		m.Text = resetPath.ReplaceAllString(m.Text, "/password/reset/(hidden)")
		m.HTML = resetPath.ReplaceAllString(m.HTML, "/password/reset/(hidden)")
	case "survey", "digest":
		m.Text = ratingPath.ReplaceAllString(m.Text, "/surveys/r/(hidden)")
		m.HTML = ratingPath.ReplaceAllString(m.HTML, "/surveys/r/(hidden)")
	}
	return m
}

// Filter narrows List.
type Filter struct {
	State  string // one of States; "" for all
	Before int64  // keyset: messages with a smaller id (older)
	Limit  int
}

// MaxList caps one page of the outbox.
const MaxList = 200

// List returns outbox messages, newest first, and the id to pass as
// Before for the next page (0 on the last).
func (s *Service) List(ctx context.Context, f Filter) ([]Message, int64, error) {
	if f.State != "" && !validState(f.State) {
		return nil, 0, domainerr.Field("state", "must be one of queued, sending, sent, failed")
	}
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = 50
	}
	q := "SELECT " + messageColumns + " FROM mail_outbox WHERE 1 = 1"
	var args []any
	if f.State != "" {
		q += " AND state = ?"
		args = append(args, f.State)
	}
	if f.Before > 0 {
		q += " AND id < ?"
		args = append(args, f.Before)
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit+1)
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, hideSecrets(m))
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[f.Limit-1].ID
	}
	return out, next, s.earlier(ctx, out)
}

func validState(s string) bool {
	for _, v := range States {
		if v == s {
			return true
		}
	}
	return false
}

// Counts are the outbox's messages by state.
func (s *Service) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.DB.Query(ctx, "SELECT state, COUNT(*) FROM mail_outbox GROUP BY state")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Get returns one outbox message, a reset link in it hidden;
// store.ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(s.DB.QueryRow(ctx, "SELECT "+messageColumns+" FROM mail_outbox WHERE id = ?", id))
	if err != nil {
		return m, err
	}
	list := []Message{m}
	err = s.earlier(ctx, list)
	return hideSecrets(list[0]), err
}

// ErrNotFailed refuses to send again a message that has not failed.
var ErrNotFailed = domainerr.Conflictf("only a failed message can be sent again; this one is still on its way or was sent")

// Retry sends a failed message again now, with a fresh round of
// attempts; the attempts and the error it failed with are kept in the
// audit trail, where Earlier reads them.
func (s *Service) Retry(ctx context.Context, actor audit.Actor, id int64) (Message, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var state, subject, lastError string
		var attempts int
		err := store.ScanErr(tx.QueryRow(ctx, "SELECT state, subject, attempts, last_error FROM mail_outbox WHERE id = ?", id).
			Scan(&state, &subject, &attempts, &lastError))
		if err != nil {
			return err
		}
		if state != Failed {
			return ErrNotFailed
		}
		now := time.Now()
		if _, err := tx.Exec(ctx, `UPDATE mail_outbox SET state = 'queued', attempts = 0, next_attempt_at = ?,
			locked_by = NULL, locked_until = NULL WHERE id = ?`, store.TS(now), id); err != nil {
			return err
		}
		if err := jobs.EnqueueEarliest(ctx, tx, SendJob, "due", now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "retry", "mail_message", id, map[string]any{"subject": subject,
			"attempts": attempts, "last_error": lastError})
	})
	if err != nil {
		return Message{}, err
	}
	return s.Get(ctx, id)
}

// prune removes sent messages older than keep, a bounded number at a time.
func (s *Service) prune(ctx context.Context, keep time.Duration) error {
	cutoff := store.TS(time.Now().Add(-keep))
	_, err := s.DB.Exec(ctx, `DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox
		WHERE state = 'sent' AND sent_at < ? ORDER BY sent_at LIMIT 1000)`, cutoff)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// earlier fills in the failures before each message of list was sent
// again, from the audit trail's retry entries, in one query.
func (s *Service) earlier(ctx context.Context, list []Message) error {
	if len(list) == 0 {
		return nil
	}
	at := map[string]int{}
	ids := make([]any, 0, len(list))
	marks := make([]string, 0, len(list))
	for i, m := range list {
		key := strconv.FormatInt(m.ID, 10)
		at[key] = i
		ids = append(ids, key)
		marks = append(marks, "?")
	}
	rows, err := s.DB.Query(ctx, `SELECT entity_id, at, actor_name, data FROM audit_log WHERE entity = 'mail_message'
		AND action = 'retry' AND entity_id IN (`+strings.Join(marks, ", ")+`) ORDER BY seq`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key, by, data string
		var when store.Time
		if err := rows.Scan(&key, &when, &by, &data); err != nil {
			return err
		}
		var d struct {
			Attempts  int    `json:"attempts"`
			LastError string `json:"last_error"`
		}
		_ = json.Unmarshal([]byte(data), &d)
		i := at[key]
		list[i].Earlier = append(list[i].Earlier, Failure{At: when.Time, By: by, Attempts: d.Attempts, Error: d.LastError})
	}
	return rows.Err()
}
