package mailin

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Original is a logged message as an agent reads it before deciding on
// it: the headers that matter, its text (never its HTML) and the names
// and sizes of its files.
type Original struct {
	From, To, Cc string
	Date         *time.Time // as the sender's client dated it; nil when missing or unreadable
	Subject      string
	Text         string
	Clipped      bool // the text is longer than is shown
	Files        []FileInfo
}

// FileInfo is a file of a message, without its bytes.
type FileInfo struct {
	Name, ContentType string
	Size              int64
	Inline            bool
}

// maxShownText bounds the text shown of one message.
const maxShownText = 100_000

// Read is entry id of the log with its message, while Steward keeps the
// message's bytes (a held message, or one whose files are still on their
// way to its record); nil once they are only in the record's .eml file,
// or were not kept (a refused or ignored message).
func (s *Service) Read(ctx context.Context, p *auth.Principal, id int64) (Entry, *Original, error) {
	e, err := s.Get(ctx, p, id)
	if err != nil {
		return Entry{}, nil, err
	}
	raw, err := loadRaw(ctx, s.DB, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, nil, nil
	}
	if err != nil {
		return Entry{}, nil, err
	}
	m, err := Parse(raw)
	if err != nil {
		return e, nil, nil
	}
	o := &Original{From: m.From, To: strings.Join(m.To, ", "), Cc: strings.Join(m.Cc, ", "), Subject: m.Subject,
		Text: stripNUL(m.Text)}
	if m.FromName != "" {
		o.From = m.FromName + " <" + m.From + ">"
	}
	if d, err := m.Header.Date(); err == nil && !d.IsZero() {
		o.Date = &d
	}
	if c := clip(o.Text, maxShownText); c != o.Text {
		o.Text, o.Clipped = c, true
	}
	for _, f := range m.Files {
		o.Files = append(o.Files, FileInfo{Name: f.Name, ContentType: f.ContentType, Size: int64(len(f.Data)), Inline: f.Inline})
	}
	return e, o, nil
}

// HeldCount is how many messages wait for an agent's decision.
func (s *Service) HeldCount(ctx context.Context, p *auth.Principal) (int, error) {
	if !p.Can(PermRead) {
		return 0, domainerr.ErrForbidden
	}
	var n int
	err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mail_in_log WHERE outcome = ?", Held).Scan(&n)
	return n, err
}
