package document

import (
	"context"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Acknowledgement is one person's word that they read a version.
type Acknowledgement struct {
	UserID         int64     `json:"user_id"`
	Name           string    `json:"name"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
}

// Person is a member of staff who has yet to acknowledge.
type Person struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
}

// Coverage is how far staff have acknowledged the version in force.
type Coverage struct {
	DocumentID int64             `json:"document_id"`
	Required   bool              `json:"requires_acknowledgement"`
	Number     int               `json:"version"`
	Staff      int               `json:"staff"`
	Done       []Acknowledgement `json:"acknowledged"`
	Pending    []Person          `json:"pending"`
}

// MaxStaff bounds the people a coverage lists.
const MaxStaff = 1000

// staffRoles are the roles asked to acknowledge: everyone who works in
// Steward, not requesters.
const staffRoles = "('admin', 'agent', 'auditor')"

// Acknowledge records that p read the version in force of a document that
// asks for it; acknowledging twice keeps the first.
func (s *Service) Acknowledge(ctx context.Context, p *auth.Principal, docID int64) (Acknowledgement, error) {
	if !p.IsStaff() {
		return Acknowledgement{}, domainerr.ErrForbidden
	}
	var out Acknowledgement
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := Get(ctx, tx, docID)
		if err != nil {
			return err
		}
		switch {
		case !d.RequiresAck:
			return domainerr.Conflictf("this document does not ask staff to acknowledge it")
		case d.Status != Approved || d.CurrentVersionID == nil:
			return domainerr.Conflictf("this document has no approved version in force to acknowledge")
		}
		var at store.Time
		err = tx.QueryRow(ctx, "SELECT acknowledged_at FROM document_acknowledgements WHERE version_id = ? AND user_id = ?",
			*d.CurrentVersionID, p.UserID).Scan(&at)
		if err == nil {
			out = Acknowledgement{UserID: p.UserID, Name: p.Name, AcknowledgedAt: at.Time}
			return nil
		}
		if err = store.ScanErr(err); err != store.ErrNotFound {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, "INSERT INTO document_acknowledgements (version_id, user_id, acknowledged_at) VALUES (?, ?, ?)",
			*d.CurrentVersionID, p.UserID, store.TS(now)); err != nil {
			return store.Translate(err)
		}
		out = Acknowledgement{UserID: p.UserID, Name: p.Name, AcknowledgedAt: now}
		return audit.Record(ctx, tx, p.Actor(), "acknowledge", "document_version", *d.CurrentVersionID,
			map[string]any{"document_id": docID, "number": d.CurrentNumber})
	})
	return out, err
}

// CoverageOf says who of the active staff acknowledged the version in
// force of d, and who has not.
func CoverageOf(ctx context.Context, q store.Querier, d Document) (Coverage, error) {
	c := Coverage{DocumentID: d.ID, Required: d.RequiresAck, Number: d.CurrentNumber, Done: []Acknowledgement{}, Pending: []Person{}}
	if d.CurrentVersionID == nil {
		return c, nil
	}
	rows, err := q.Query(ctx, `SELECT u.id, u.name, k.acknowledged_at FROM users u
		LEFT JOIN document_acknowledgements k ON k.user_id = u.id AND k.version_id = ?
		WHERE u.active = ? AND u.role IN `+staffRoles+` ORDER BY lower(u.name), u.id LIMIT ?`, *d.CurrentVersionID, true, MaxStaff)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		var at store.Time
		if err := rows.Scan(&id, &name, &at); err != nil {
			return c, err
		}
		c.Staff++
		if at.IsZero() {
			c.Pending = append(c.Pending, Person{UserID: id, Name: name})
		} else {
			c.Done = append(c.Done, Acknowledgement{UserID: id, Name: name, AcknowledgedAt: at.Time})
		}
	}
	return c, rows.Err()
}

// pendingWhere selects the documents in force that ask for
// acknowledgement and that user ? has not acknowledged in their current
// version.
const pendingWhere = ` WHERE d.requires_ack = 1 AND d.status = 'approved' AND d.current_version_id IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM document_acknowledgements k WHERE k.version_id = d.current_version_id AND k.user_id = ?)`

// Pending lists what userID has yet to acknowledge, by title.
func Pending(ctx context.Context, q store.Querier, userID int64) ([]Document, error) {
	rows, err := q.Query(ctx, "SELECT "+docCols+docFrom+pendingWhere+" ORDER BY d.title, d.id LIMIT ?", userID, MaxList)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// PendingCount is how many documents userID has yet to acknowledge.
func PendingCount(ctx context.Context, q store.Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM documents d"+pendingWhere, userID).Scan(&n)
	return n, err
}
