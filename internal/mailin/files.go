package mailin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/jobs"
	"steward/internal/record"
	"steward/internal/store"
)

// FilesJob puts a message's files on its record when that did not happen
// right after the record was written (the node stopped in between, or the
// database was busy). It is queued in the same transaction as the record.
const FilesJob = "mailin.files"

// filesDelay is how long the job waits: normally the files are on the
// record long before, and the job finds nothing to do.
const filesDelay = 2 * time.Minute

func enqueueFiles(ctx context.Context, tx *store.Tx, logID int64) error {
	return jobs.Enqueue(ctx, tx, FilesJob, "mailin:"+strconv.FormatInt(logID, 10), time.Now().Add(filesDelay),
		map[string]int64{"log_id": logID})
}

// RunFilesJob is FilesJob's handler.
func (s *Service) RunFilesJob(ctx context.Context, j jobs.Job) error {
	var in struct {
		LogID int64 `json:"log_id"`
	}
	if err := json.Unmarshal(j.Payload, &in); err != nil {
		return err
	}
	return s.AttachFiles(ctx, in.LogID)
}

// afterCommit puts the files on the record now; the queued job retries
// what fails.
func (s *Service) afterCommit(ctx context.Context, res Result) Result {
	if err := s.AttachFiles(ctx, res.Entry.ID); err != nil {
		s.Log.Warn("files of an incoming message not yet on its record; the job will retry", "log_id", res.Entry.ID, "err", err)
		return res
	}
	if e, err := s.scanEntry(s.DB.QueryRow(ctx, "SELECT "+entryCols+" FROM mail_in_log WHERE id = ?", res.Entry.ID)); err == nil {
		res.Entry = e
	}
	return res
}

// MaxFilesPerMessage bounds the files of one message put on its record
// one by one: a record lists a bounded number of files, and a message
// with hundreds would crowd out those of later replies. The rest stay in
// the original message, which is always attached.
const MaxFilesPerMessage = 100

// AttachFiles puts the attachments and inline images of the message of
// log entry logID on its record, with the original message as an .eml
// file, as the sender, within the record kernel's size limit. A file
// over the limit is left out and said so in the log. Files already there
// (an earlier attempt stopped half-way) are not added twice.
func (s *Service) AttachFiles(ctx context.Context, logID int64) error {
	e, err := s.scanEntry(s.DB.QueryRow(ctx, "SELECT "+entryCols+" FROM mail_in_log WHERE id = ?", logID))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !e.FilesPending {
		return err
	}
	raw, err := loadRaw(ctx, s.DB, logID)
	if err != nil {
		return err
	}
	k, ok := s.Records.Kinds.Get(e.RecordKind)
	if !ok || e.RecordID == nil || e.UserID == nil {
		return s.filesDone(ctx, logID, nil)
	}
	u, err := auth.GetUser(ctx, s.DB, *e.UserID)
	if err != nil {
		return err
	}
	p := principalOf(u)
	eml := File{Name: "email-" + e.ReceivedAt.UTC().Format("20060102-150405") + "-" + strconv.FormatInt(e.ID, 10) + ".eml", ContentType: "message/rfc822", Data: raw}
	var files []File
	var notes []string
	if m, err := Parse(raw); err == nil {
		files = m.Files
	}
	if len(files) > MaxFilesPerMessage {
		notes = append(notes, fmt.Sprintf("The message has %d files; the first %d were attached, the other %d are only in %s.",
			len(files), MaxFilesPerMessage, len(files)-MaxFilesPerMessage, eml.Name))
		s.Log.Warn("incoming message with more files than are attached", "log_id", logID, "files", len(files), "attached", MaxFilesPerMessage)
		files = files[:MaxFilesPerMessage]
	}
	files = append(files, eml)
	var entryID int64
	if e.CommentID != nil {
		entryID = *e.CommentID
	}
	for i, f := range files {
		there, err := s.attached(ctx, k.Name, *e.RecordID, entryID, f.Data)
		if err != nil {
			return err
		}
		if there {
			continue
		}
		// The original message is for staff: its headers and quoted
		// history are not the requester's to read again.
		up := record.Upload{Filename: f.Name, Body: bytes.NewReader(f.Data), EntryID: entryID, Internal: i == len(files)-1}
		_, err = s.Records.Attachments.Add(ctx, p, k, *e.RecordID, up)
		var tooLarge *record.TooLarge
		var invalid *domainerr.Invalid
		switch {
		case err == nil:
		case errors.As(err, &tooLarge):
			notes = append(notes, fmt.Sprintf("%s (%s) was larger than the limit of %d MB and was not kept.", f.Name, record.ByteSize(int64(len(f.Data))), tooLarge.Limit>>20))
			s.Log.Warn("attachment of an incoming message over the size limit", "log_id", logID, "file", f.Name, "size", len(f.Data))
		case errors.As(err, &invalid), errors.Is(err, domainerr.ErrForbidden), errors.Is(err, store.ErrNotFound):
			notes = append(notes, fmt.Sprintf("%s could not be attached: %s", f.Name, sentence(err.Error())))
		default:
			return err
		}
	}
	return s.filesDone(ctx, logID, notes)
}

// attached reports whether the record already has this file (by content).
func (s *Service) attached(ctx context.Context, kind string, recordID, entryID int64, data []byte) (bool, error) {
	sum := sha256.Sum256(data)
	var n int
	err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM attachments WHERE kind = ? AND record_id = ? AND sha256 = ?
		AND COALESCE(entry_id, 0) = ?`, kind, recordID, hex.EncodeToString(sum[:]), entryID).Scan(&n)
	return n > 0, err
}

// filesDone marks the entry's files as handled and lets go of the raw
// message (the record keeps it as its .eml file).
func (s *Service) filesDone(ctx context.Context, logID int64, notes []string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var detail string
		if err := tx.QueryRow(ctx, "SELECT detail FROM mail_in_log WHERE id = ?", logID).Scan(&detail); err != nil {
			return store.ScanErr(err)
		}
		if len(notes) > 0 {
			detail = strings.TrimSpace(detail + " " + strings.Join(notes, " "))
		}
		if _, err := tx.Exec(ctx, "UPDATE mail_in_log SET files_pending = FALSE, detail = ? WHERE id = ?", clip(detail, 2000), logID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM mail_in_raw WHERE log_id = ?", logID)
		return err
	})
}
