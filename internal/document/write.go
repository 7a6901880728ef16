package document

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Input creates a document, or (nil fields left alone) changes one. An
// id of 0 (or an empty next review) clears an optional reference.
type Input struct {
	Title        *string         `json:"title"`
	Type         *Type           `json:"type"`
	ProcessKey   *string         `json:"process_key"`
	OwnerID      *int64          `json:"owner_id"`
	ApproverID   *int64          `json:"approver_id"`
	Status       *Status         `json:"status"`
	NextReview   *string         `json:"next_review"`
	Retention    *string         `json:"retention"`
	RequiresAck  *bool           `json:"requires_acknowledgement"`
	SupersededBy *int64          `json:"superseded_by"`
	Attributes   *map[string]any `json:"attributes"`
}

var errBadCursor = domainerr.Field("cursor", "is not a page link from this list")

func makeCursor(title string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(title + "\x00" + strconv.FormatInt(id, 10)))
}

func parseCursor(c string) (string, int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", 0, false
	}
	title, n, ok := strings.Cut(string(raw), "\x00")
	id, err := strconv.ParseInt(n, 10, 64)
	return title, id, ok && err == nil && id > 0
}

// Create adds a document to the register as a draft; its first version
// is written separately.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in Input, keep func(context.Context, *store.Tx, Document) error) (Document, error) {
	v := domainerr.NewInvalid()
	if in.Title == nil {
		v.Add("title", "is required")
	}
	if in.Type == nil {
		v.Add("type", "is required")
	}
	if in.Status != nil && *in.Status != Draft {
		v.Add("status", "a new document is a draft until a version of it is approved")
	}
	if err := v.Err(); err != nil {
		return Document{}, err
	}
	d := Document{Status: Draft, Attributes: map[string]any{}}
	apply(&d, in)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := check(ctx, tx, &d, in); err != nil {
			return err
		}
		attrs, _ := json.Marshal(d.Attributes)
		err := tx.QueryRow(ctx, `INSERT INTO documents (title, doc_type, process_key, owner_id, approver_id, status, next_review,
			retention, requires_ack, superseded_by, attributes, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			d.Title, string(d.Type), d.ProcessKey, d.OwnerID, d.ApproverID, string(d.Status), store.OptDate(d.NextReview),
			d.Retention, boolInt(d.RequiresAck), d.SupersededBy, string(attrs), actor.UserID(), store.TS(now), store.TS(now)).Scan(&d.ID)
		if err != nil {
			return store.ScanErr(err)
		}
		if err := audit.Record(ctx, tx, actor, "create", "document", d.ID, docAudit(d)); err != nil {
			return err
		}
		if keep != nil {
			got, err := Get(ctx, tx, d.ID)
			if err != nil {
				return err
			}
			return keep(ctx, tx, got)
		}
		return nil
	})
	if err != nil {
		return Document{}, err
	}
	return Get(ctx, s.DB, d.ID)
}

// Update changes the fields given; ifVersion, when not 0, must be the
// version the caller saw.
func (s *Service) Update(ctx context.Context, actor audit.Actor, id int64, in Input, ifVersion int) (Document, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return s.update(ctx, tx, actor, id, in, ifVersion)
	})
	if err != nil {
		return Document{}, err
	}
	return Get(ctx, s.DB, id)
}

func (s *Service) update(ctx context.Context, tx *store.Tx, actor audit.Actor, id int64, in Input, ifVersion int) error {
	d, err := Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if ifVersion != 0 && ifVersion != d.Version {
		return domainerr.ErrStale
	}
	typeWas := d.Type
	apply(&d, in)
	if d.Type != typeWas && in.Attributes == nil && len(d.Attributes) > 0 {
		// Another type's fields do not carry over.
		d.Attributes = map[string]any{}
	}
	if err := check(ctx, tx, &d, in); err != nil {
		return err
	}
	attrs, _ := json.Marshal(d.Attributes)
	res, err := tx.Exec(ctx, `UPDATE documents SET title = ?, doc_type = ?, process_key = ?, owner_id = ?, approver_id = ?,
		status = ?, next_review = ?, retention = ?, requires_ack = ?, superseded_by = ?, attributes = ?, updated_at = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		d.Title, string(d.Type), d.ProcessKey, d.OwnerID, d.ApproverID, string(d.Status), store.OptDate(d.NextReview), d.Retention,
		boolInt(d.RequiresAck), d.SupersededBy, string(attrs), store.TS(s.now()), id, d.Version)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return domainerr.ErrStale
	}
	return audit.Record(ctx, tx, actor, "update", "document", id, docAudit(d))
}

func apply(d *Document, in Input) {
	if in.Title != nil {
		d.Title = strings.TrimSpace(*in.Title)
	}
	if in.Type != nil {
		d.Type = *in.Type
	}
	if in.ProcessKey != nil {
		d.ProcessKey = strings.TrimSpace(*in.ProcessKey)
	}
	if in.OwnerID != nil {
		d.OwnerID = optID(*in.OwnerID)
	}
	if in.ApproverID != nil {
		d.ApproverID = optID(*in.ApproverID)
	}
	if in.Status != nil {
		d.Status = *in.Status
	}
	if in.NextReview != nil {
		d.NextReview = strings.TrimSpace(*in.NextReview)
	}
	if in.Retention != nil {
		d.Retention = strings.TrimSpace(*in.Retention)
	}
	if in.RequiresAck != nil {
		d.RequiresAck = *in.RequiresAck
	}
	if in.SupersededBy != nil {
		d.SupersededBy = optID(*in.SupersededBy)
	}
}

// check validates a document as it would be saved, naming every field at
// fault, and puts its attributes in their stored shape.
func check(ctx context.Context, q store.Querier, d *Document, in Input) error {
	v := domainerr.NewInvalid()
	for _, p := range []struct {
		field string
		id    *int64
	}{{"owner_id", in.OwnerID}, {"approver_id", in.ApproverID}, {"superseded_by", in.SupersededBy}} {
		if p.id != nil && *p.id < 0 {
			v.Add(p.field, "must be a positive id, or 0 for none")
		}
	}
	domainerr.Text(v, "title", d.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "retention", d.Retention, false, domainerr.MaxName)
	if !d.Type.Valid() {
		v.Add("type", "must be one of %s", typeWords())
	} else {
		attrs := d.Attributes
		if in.Attributes != nil {
			attrs = *in.Attributes
			if attrs == nil {
				attrs = map[string]any{}
			}
		}
		d.Attributes = CheckAttributes(d.Type, attrs, v)
	}
	if !d.Status.Valid() {
		v.Add("status", "must be draft, approved or retired")
	} else if in.Status != nil {
		switch {
		case d.Status == Approved && d.CurrentVersionID == nil:
			v.Add("status", "approve a version to approve the document")
		case d.Status == Draft && d.CurrentVersionID != nil:
			v.Add("status", "a document with an approved version is approved or retired, not a draft")
		}
	}
	if d.NextReview != "" {
		if _, err := time.Parse(DateLayout, d.NextReview); err != nil {
			v.Add("next_review", "must be a date such as 2026-12-31")
		}
	}
	if d.ProcessKey != "" {
		var n int
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM processes WHERE key = ?", d.ProcessKey).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add("process_key", "no process with the key %q", d.ProcessKey)
		}
	}
	for _, p := range []struct {
		field string
		id    *int64
	}{{"owner_id", d.OwnerID}, {"approver_id", d.ApproverID}} {
		if p.id == nil {
			continue
		}
		if err := checkStaff(ctx, q, v, p.field, *p.id); err != nil {
			return err
		}
	}
	if d.SupersededBy != nil {
		if err := checkSuccessor(ctx, q, v, d.ID, *d.SupersededBy); err != nil {
			return err
		}
	}
	return v.Err()
}

// checkStaff requires an active admin or agent: whom documents are
// entrusted to.
func checkStaff(ctx context.Context, q store.Querier, v *domainerr.Invalid, field string, id int64) error {
	var role string
	var active bool
	err := q.QueryRow(ctx, "SELECT role, active FROM users WHERE id = ?", id).Scan(&role, &active)
	if errors.Is(store.ScanErr(err), store.ErrNotFound) {
		v.Add(field, "no person with id %d", id)
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case !active:
		v.Add(field, "this person's account is deactivated")
	case role != "admin" && role != "agent":
		v.Add(field, "must be a member of staff who works in Steward (an administrator or agent)")
	}
	return nil
}

// checkSuccessor refuses a successor that does not exist, the document
// itself, or one whose own chain of successors leads back to it.
func checkSuccessor(ctx context.Context, q store.Querier, v *domainerr.Invalid, self, next int64) error {
	if next == self {
		v.Add("superseded_by", "a document cannot supersede itself")
		return nil
	}
	chain := []int64{}
	cur := next
	for i := 0; i < 1000; i++ {
		var title string
		var after *int64
		err := q.QueryRow(ctx, "SELECT title, superseded_by FROM documents WHERE id = ?", cur).Scan(&title, &after)
		if errors.Is(store.ScanErr(err), store.ErrNotFound) {
			if cur == next {
				v.Add("superseded_by", "no document with id %d", next)
			}
			return nil
		}
		if err != nil {
			return err
		}
		chain = append(chain, cur)
		if after == nil {
			return nil
		}
		if *after == self && self != 0 {
			v.Add("superseded_by", "that would make a cycle: %q is itself superseded, directly or through others, by this document", firstTitle(ctx, q, next))
			return nil
		}
		cur = *after
		for _, seen := range chain {
			if seen == cur {
				return nil // an old cycle elsewhere; not this document's doing
			}
		}
	}
	return nil
}

func firstTitle(ctx context.Context, q store.Querier, id int64) string {
	var t string
	_ = q.QueryRow(ctx, "SELECT title FROM documents WHERE id = ?", id).Scan(&t)
	return t
}

func typeWords() string {
	var ws []string
	for _, t := range Types {
		ws = append(ws, string(t))
	}
	return strings.Join(ws, ", ")
}

func optID(id int64) *int64 {
	if id <= 0 {
		return nil
	}
	return &id
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
