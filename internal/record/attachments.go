package record

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/gabriel-vasile/mimetype"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// DefaultMaxAttachment is the largest file accepted unless configured.
const DefaultMaxAttachment = 25 << 20

// chunkSize is how much of a file one row holds: small enough that reading
// or writing a file never holds more than this in memory at once.
const chunkSize = 256 << 10

// ErrTooLarge is returned for a file over the size limit; nothing is stored.
var ErrTooLarge = errors.New("the file is larger than the limit")

// TooLarge carries the limit for the message a person reads.
type TooLarge struct{ Limit int64 }

func (e *TooLarge) Error() string {
	return fmt.Sprintf("the file is larger than the limit of %d MB", e.Limit>>20)
}
func (e *TooLarge) Unwrap() error { return ErrTooLarge }

// Attachment is a file kept with a record, or with one of its comments.
type Attachment struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	RecordID    int64     `json:"record_id"`
	EntryID     *int64    `json:"comment_id"`
	Internal    bool      `json:"internal"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedBy   *int64    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// Inline reports whether a browser may show the file in the page: plain
// raster images only. Everything else downloads.
func (a Attachment) Inline() bool {
	switch a.ContentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// Upload is a file on its way in.
type Upload struct {
	Filename string
	Body     io.Reader
	// EntryID ties the file to a comment or work note of the record; 0 for
	// the record itself.
	EntryID int64
	// Internal keeps the file for staff, its journal line a work note,
	// whatever it is tied to: the original of a mailed-in message.
	Internal bool
}

// Attachments keeps files in the database, so that backups, restores and
// several nodes need nothing else.
type Attachments struct {
	DB      *store.DB
	Kinds   *Kinds
	MaxSize int64  // DefaultMaxAttachment when 0
	TempDir string // where uploads wait before they are written; the system's when ""
}

func (a *Attachments) limit() int64 {
	if a.MaxSize > 0 {
		return a.MaxSize
	}
	return DefaultMaxAttachment
}

// Add stores up on record id of kind k, as p. The file is spooled to disk
// while it arrives, so neither memory nor the database's write lock is
// held for the length of a slow upload.
func (a *Attachments) Add(ctx context.Context, p *auth.Principal, k *Kind, id int64, up Upload) (Attachment, error) {
	if !p.Can(k.Comment) {
		return Attachment{}, domainerr.ErrForbidden
	}
	if _, err := k.Load(ctx, a.DB, p, id); err != nil {
		return Attachment{}, err
	}
	att := Attachment{Kind: k.Name, RecordID: id, Filename: cleanFilename(up.Filename), CreatedBy: &p.UserID}
	if up.EntryID != 0 {
		public, err := k.Entry(ctx, a.DB, id, up.EntryID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !public && !p.IsStaff()) {
			return Attachment{}, domainerr.Field("comment_id", "comment %d is not on %s", up.EntryID, k.Number(id))
		} else if err != nil {
			return Attachment{}, err
		}
		att.EntryID, att.Internal = &up.EntryID, !public
	}
	att.Internal = att.Internal || up.Internal
	tmp, err := a.spool(up.Body, &att)
	if err != nil {
		return Attachment{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	att.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	err = a.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO attachments (kind, record_id, entry_id, internal, filename, content_type, size, sha256, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, att.Kind, att.RecordID, att.EntryID, att.Internal, att.Filename,
			att.ContentType, att.Size, att.SHA256, att.CreatedBy, store.TS(att.CreatedAt)).Scan(&att.ID)
		if err != nil {
			return err
		}
		if err := writeChunks(ctx, tx, att.ID, tmp); err != nil {
			return err
		}
		note := fmt.Sprintf("%s (%s, sha256 %s)", att.Filename, ByteSize(att.Size), att.SHA256)
		if err := k.Note(ctx, tx, p, id, "attachment", "", note, !att.Internal); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "attachment", att.ID, att)
	})
	return att, err
}

// spool copies body to a temporary file, hashing and sniffing it on the
// way, and stops as soon as it passes the limit.
func (a *Attachments) spool(body io.Reader, att *Attachment) (*os.File, error) {
	tmp, err := os.CreateTemp(a.TempDir, "steward-upload-*")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(body, a.limit()+1))
	if err != nil {
		return fail(fmt.Errorf("receive the file: %w", err))
	}
	if n > a.limit() {
		return fail(&TooLarge{Limit: a.limit()})
	}
	if n == 0 {
		return fail(domainerr.Field("file", "is empty"))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	mt, err := mimetype.DetectReader(tmp)
	if err != nil {
		return fail(err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	att.Size, att.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	att.ContentType, _, _ = strings.Cut(mt.String(), ";")
	return tmp, nil
}

// uploadCacheKiB is the writer's page cache while a file's chunks are
// written: the file passes through it rather than staying in memory.
const uploadCacheKiB = 2048

func writeChunks(ctx context.Context, tx *store.Tx, id int64, r io.Reader) error {
	if err := tx.SetCacheSize(ctx, uploadCacheKiB); err != nil {
		return err
	}
	defer tx.SetCacheSize(ctx, store.WriterCacheKiB)
	buf := make([]byte, chunkSize)
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if _, err := tx.Exec(ctx, "INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES (?, ?, ?)", id, seq, buf[:n]); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// cleanFilename keeps the last path element of what the client sent,
// without control characters, at most 200 characters.
func cleanFilename(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[len(r)-200:])
	}
	if name == "" || name == "." || name == "/" {
		return "attachment"
	}
	return name
}

// ByteSize is a file size people read: 512 bytes, 14.2 KB, 3.1 MB.
func ByteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

const attachmentCols = "id, kind, record_id, entry_id, internal, filename, content_type, size, sha256, created_by, created_at"

func scanAttachment(sc interface{ Scan(...any) error }) (Attachment, error) {
	var a Attachment
	var at store.Time
	err := sc.Scan(&a.ID, &a.Kind, &a.RecordID, &a.EntryID, &a.Internal, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.CreatedBy, &at)
	a.CreatedAt = at.Time
	return a, err
}

// maxAttachments bounds one record's list.
const maxAttachments = 500

// List lists the files of record id of kind k that p may see: requesters
// do not see those that came with work notes.
func (a *Attachments) List(ctx context.Context, p *auth.Principal, k *Kind, id int64) ([]Attachment, error) {
	if _, err := k.Load(ctx, a.DB, p, id); err != nil {
		return nil, err
	}
	rows, err := a.DB.Query(ctx, "SELECT "+attachmentCols+" FROM attachments WHERE kind = ? AND record_id = ? ORDER BY id LIMIT ?",
		k.Name, id, maxAttachments)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		att, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		if !att.Internal || p.IsStaff() {
			out = append(out, att)
		}
	}
	return out, rows.Err()
}

// Get returns attachment id when p may see the record it belongs to (and,
// for a work note's file, is staff); otherwise store.ErrNotFound.
func (a *Attachments) Get(ctx context.Context, p *auth.Principal, id int64) (Attachment, error) {
	att, err := scanAttachment(a.DB.QueryRow(ctx, "SELECT "+attachmentCols+" FROM attachments WHERE id = ?", id))
	if err := store.ScanErr(err); err != nil {
		return Attachment{}, err
	}
	k, ok := a.Kinds.Get(att.Kind)
	if !ok || !p.Can(k.Read) || (att.Internal && !p.IsStaff()) {
		return Attachment{}, store.ErrNotFound
	}
	if _, err := k.Load(ctx, a.DB, p, att.RecordID); err != nil {
		return Attachment{}, err
	}
	return att, nil
}

// Copy writes the bytes of att to w one chunk at a time.
func (a *Attachments) Copy(ctx context.Context, w io.Writer, att Attachment) error {
	for seq := 0; ; seq++ {
		var data []byte
		err := store.ScanErr(a.DB.QueryRow(ctx, "SELECT data FROM attachment_chunks WHERE attachment_id = ? AND seq = ?", att.ID, seq).Scan(&data))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
}
