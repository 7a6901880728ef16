package document

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Version is one numbered text of a document: Markdown, a file (a signed
// PDF, a word-processor file), or both.
type Version struct {
	ID           int64      `json:"id"`
	DocumentID   int64      `json:"document_id"`
	Number       int        `json:"number"`
	Body         string     `json:"body"`
	AttachmentID *int64     `json:"attachment_id"`
	File         *File      `json:"file"`
	ChangeNote   string     `json:"change_note"`
	CreatedBy    *int64     `json:"created_by"`
	CreatedName  string     `json:"created_by_name"`
	CreatedAt    time.Time  `json:"created_at"`
	ApprovedBy   *int64     `json:"approved_by"`
	ApprovedName string     `json:"approved_by_name"`
	ApprovedAt   *time.Time `json:"approved_at"`
}

// File is the file a version is, as the record kernel keeps it: the
// bytes are downloaded from /attachments/{id} (/api/v1/attachments/{id}).
type File struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// SizeText is the file's size in words: 14.2 KB.
func (f File) SizeText() string { return record.ByteSize(f.Size) }

// NewVersion is the text or the file of a new version and what changed.
// AttachmentID names a file already attached to the document; 0 or
// absent is none.
type NewVersion struct {
	Body         *string `json:"body"`
	AttachmentID *int64  `json:"attachment_id"`
	ChangeNote   *string `json:"change_note"`
}

// Approval may set the next review date; without one it is a year after
// the approval.
type Approval struct {
	NextReview *string `json:"next_review"`
}

// MaxBody bounds a version's text.
const MaxBody = 100000

// MaxVersions bounds how many versions a list shows (the newest).
const MaxVersions = 200

const verCols = `v.id, v.document_id, v.number, v.body, v.change_note, v.created_by, COALESCE(c.name, ''), v.created_at,
	v.approved_by, COALESCE(a.name, ''), v.approved_at, v.attachment_id, COALESCE(f.filename, ''), COALESCE(f.content_type, ''),
	COALESCE(f.size, 0), COALESCE(f.sha256, '')`

const verFrom = ` FROM document_versions v LEFT JOIN users c ON c.id = v.created_by LEFT JOIN users a ON a.id = v.approved_by
	LEFT JOIN attachments f ON f.id = v.attachment_id`

func scanVersion(row interface{ Scan(...any) error }) (Version, error) {
	var v Version
	var cr, ap store.Time
	var f File
	err := row.Scan(&v.ID, &v.DocumentID, &v.Number, &v.Body, &v.ChangeNote, &v.CreatedBy, &v.CreatedName, &cr,
		&v.ApprovedBy, &v.ApprovedName, &ap, &v.AttachmentID, &f.Filename, &f.ContentType, &f.Size, &f.SHA256)
	if err != nil {
		return v, store.ScanErr(err)
	}
	v.CreatedAt, v.ApprovedAt = cr.Time, ap.Ptr()
	if v.AttachmentID != nil {
		f.ID = *v.AttachmentID
		v.File = &f
	}
	return v, nil
}

// FileOf returns attachment id when it is a file of document docID, for a
// form that keeps an uploaded file while its other fields are put right;
// store.ErrNotFound otherwise.
func FileOf(ctx context.Context, q store.Querier, docID, id int64) (File, error) {
	f := File{ID: id}
	err := q.QueryRow(ctx, "SELECT filename, content_type, size, sha256 FROM attachments WHERE id = ? AND kind = ? AND record_id = ?",
		id, KindName, docID).Scan(&f.Filename, &f.ContentType, &f.Size, &f.SHA256)
	return f, store.ScanErr(err)
}

// checkFile requires attachment id to be a file of document docID.
func checkFile(ctx context.Context, q store.Querier, v *domainerr.Invalid, docID, id int64) error {
	if id < 0 {
		v.Add("attachment_id", "must be the id of a file attached to this document, or 0 for none")
		return nil
	}
	var kind string
	var rec int64
	err := store.ScanErr(q.QueryRow(ctx, "SELECT kind, record_id FROM attachments WHERE id = ?", id).Scan(&kind, &rec))
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Add("attachment_id", "no file with id %d", id)
	case err != nil:
		return err
	case kind != KindName || rec != docID:
		v.Add("attachment_id", "file %d belongs to another record: upload the file to %s first", id, Number(docID))
	}
	return nil
}

// Versions lists a document's versions, newest first.
func Versions(ctx context.Context, q store.Querier, docID int64) ([]Version, error) {
	rows, err := q.Query(ctx, "SELECT "+verCols+verFrom+" WHERE v.document_id = ? ORDER BY v.number DESC LIMIT ?", docID, MaxVersions)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// GetVersion loads version number of a document.
func GetVersion(ctx context.Context, q store.Querier, docID int64, number int) (Version, error) {
	return scanVersion(q.QueryRow(ctx, "SELECT "+verCols+verFrom+" WHERE v.document_id = ? AND v.number = ?", docID, number))
}

// AddVersion writes the next version of a document. Its first version
// needs only a text; later ones say what changed. ifVersion, when not 0,
// is the document's version the writer saw.
func (s *Service) AddVersion(ctx context.Context, actor audit.Actor, docID int64, in NewVersion, ifVersion int) (Version, error) {
	var num int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := Get(ctx, tx, docID)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != d.Version {
			return domainerr.ErrStale
		}
		if d.Status == Retired {
			return domainerr.Conflictf("this document is retired; set it back to approved or draft before writing a new version")
		}
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(number), 0) + 1 FROM document_versions WHERE document_id = ?", docID).Scan(&num); err != nil {
			return err
		}
		body, note := "", ""
		if in.Body != nil {
			body = strings.ReplaceAll(*in.Body, "\r\n", "\n")
		}
		if in.ChangeNote != nil {
			note = strings.TrimSpace(*in.ChangeNote)
		}
		var file *int64
		if in.AttachmentID != nil && *in.AttachmentID != 0 {
			file = in.AttachmentID
		}
		v := domainerr.NewInvalid()
		domainerr.Text(v, "body", body, file == nil, MaxBody)
		if v.Has("body") && strings.TrimSpace(body) == "" {
			v.Fields["body"] = "write the text of the version, or attach a file"
		}
		domainerr.Text(v, "change_note", note, num > 1, 1000)
		if v.Has("change_note") && note == "" {
			v.Fields["change_note"] = "say what changed since version " + strconv.Itoa(num-1)
		}
		if file != nil {
			if err := checkFile(ctx, tx, v, docID, *file); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO document_versions (document_id, number, body, attachment_id, change_note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, docID, num, body, file, note, actor.UserID(), store.TS(now)).Scan(&id)
		if err != nil {
			return store.ScanErr(err)
		}
		if err := touch(ctx, tx, docID, d.Version, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "document_version", id,
			map[string]any{"document_id": docID, "number": num, "change_note": note, "chars": len([]rune(body)), "attachment_id": file})
	})
	if err != nil {
		return Version{}, err
	}
	return GetVersion(ctx, s.DB, docID, num)
}

// touch bumps a document's version, so a form opened before a change to
// its versions is refused.
func touch(ctx context.Context, tx *store.Tx, id int64, ver int, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE documents SET updated_at = ?, version = version + 1 WHERE id = ? AND version = ?", store.TS(now), id, ver)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return domainerr.ErrStale
	}
	return nil
}

// Approve puts version number in force: the document's approver approves
// it (an administrator when the document names none), never its own
// author unless that is the only administrator. The document becomes
// approved with its next review set, and staff who must acknowledge it
// are asked to acknowledge this version.
func (s *Service) Approve(ctx context.Context, p *auth.Principal, docID int64, number int, in Approval, ifVersion int) (Document, error) {
	actor := p.Actor()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := Get(ctx, tx, docID)
		if err != nil {
			return err
		}
		ver, err := GetVersion(ctx, tx, docID, number)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != d.Version {
			return domainerr.ErrStale
		}
		if err := mayApprove(ctx, tx, p, d, ver); err != nil {
			return err
		}
		switch {
		case d.Status == Retired:
			return domainerr.Conflictf("this document is retired; set it back to approved or draft before approving a version")
		case ver.ApprovedAt != nil:
			return domainerr.Conflictf("version %d is already approved", number)
		case d.CurrentNumber > number:
			return domainerr.Conflictf("version %d is older than version %d, which is in force", number, d.CurrentNumber)
		}
		now := s.now()
		review := now.AddDate(1, 0, 0).Format(DateLayout)
		if in.NextReview != nil && strings.TrimSpace(*in.NextReview) != "" {
			review = strings.TrimSpace(*in.NextReview)
			t, err := time.Parse(DateLayout, review)
			switch {
			case err != nil:
				return domainerr.Field("next_review", "must be a date such as 2026-12-31")
			case !t.After(now):
				return domainerr.Field("next_review", "must be after today")
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE document_versions SET approved_by = ?, approved_at = ? WHERE id = ?",
			actor.UserID(), store.TS(now), ver.ID); err != nil {
			return store.Translate(err)
		}
		res, err := tx.Exec(ctx, `UPDATE documents SET current_version_id = ?, status = 'approved', next_review = ?, updated_at = ?,
			version = version + 1 WHERE id = ? AND version = ?`, ver.ID, review, store.TS(now), docID, d.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "approve", "document_version", ver.ID,
			map[string]any{"document_id": docID, "number": number, "next_review": review})
	})
	if err != nil {
		return Document{}, err
	}
	return Get(ctx, s.DB, docID)
}

// mayApprove applies who may approve: see Approve.
func mayApprove(ctx context.Context, q store.Querier, p *auth.Principal, d Document, ver Version) error {
	if p == nil {
		return domainerr.ErrForbidden
	}
	if d.ApproverID != nil {
		if *d.ApproverID != p.UserID {
			return domainerr.Refusedf("Only the document's approver, %s, may approve its versions", d.ApproverName)
		}
	} else if p.Role != auth.Admin {
		return domainerr.Refusedf("This document names no approver, so only an administrator may approve its versions")
	}
	if ver.CreatedBy == nil || *ver.CreatedBy != p.UserID {
		return nil
	}
	var admins int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = ?", true).Scan(&admins); err != nil {
		return err
	}
	if p.Role == auth.Admin && admins <= 1 {
		return nil // nobody else could
	}
	return domainerr.Refusedf("You wrote version %d, so someone else must approve it: name another approver on the document if need be", ver.Number)
}

// MayApprove reports whether p may approve version ver of d, with the
// reason when not, for pages that offer the button.
func MayApprove(ctx context.Context, q store.Querier, p *auth.Principal, d Document, ver Version) (bool, string, error) {
	err := mayApprove(ctx, q, p, d, ver)
	var r *domainerr.Refused
	switch {
	case err == nil:
		return true, "", nil
	case errors.As(err, &r):
		return false, r.Message, nil
	case errors.Is(err, domainerr.ErrForbidden):
		return false, "", nil
	}
	return false, "", err
}
