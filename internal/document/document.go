// Package document keeps the register of documented information (ISO/IEC
// 20000-1 clause 7.5) with the documents that clauses 5.2 (policy), 6.3
// (SMS plan), 7.1 (resources) and 7.4 (communication) ask for: each with
// an owner, an approver, a review date and a retention, numbered versions
// (Markdown text, a file kept by the record kernel, or both) that the
// approver approves, and the acknowledgements of staff who read the
// version in force (7.3).
package document

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"steward/internal/store"
)

// Document is one entry of the register.
type Document struct {
	ID               int64          `json:"id"`
	Title            string         `json:"title"`
	Type             Type           `json:"type"`
	ProcessKey       string         `json:"process_key"`
	OwnerID          *int64         `json:"owner_id"`
	OwnerName        string         `json:"owner_name"`
	ApproverID       *int64         `json:"approver_id"`
	ApproverName     string         `json:"approver_name"`
	Status           Status         `json:"status"`
	CurrentVersionID *int64         `json:"current_version_id"`
	CurrentNumber    int            `json:"current_version"`
	NextReview       string         `json:"next_review"`
	Retention        string         `json:"retention"`
	RequiresAck      bool           `json:"requires_acknowledgement"`
	SupersededBy     *int64         `json:"superseded_by"`
	Attributes       map[string]any `json:"attributes"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	Version          int            `json:"version"`
}

// Overdue reports whether the document is in force and its review date
// has passed on day today (YYYY-MM-DD in the reader's zone).
func (d Document) Overdue(today string) bool {
	return d.Status == Approved && d.NextReview != "" && d.NextReview < today
}

// DaysOverdue is how many days the review is late on today, 0 when it is not.
func (d Document) DaysOverdue(today string) int {
	if !d.Overdue(today) {
		return 0
	}
	a, err1 := time.Parse(DateLayout, d.NextReview)
	b, err2 := time.Parse(DateLayout, today)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

// Service writes documents, versions and acknowledgements, each write
// with its audit entry in the same transaction.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

// NewService is a Service over db.
func NewService(db *store.DB) *Service { return &Service{DB: db, Now: time.Now} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

const docCols = `d.id, d.title, d.doc_type, d.process_key, d.owner_id, COALESCE(o.name, ''), d.approver_id, COALESCE(a.name, ''),
	d.status, d.current_version_id, COALESCE(cv.number, 0), COALESCE(d.next_review, ''), d.retention, d.requires_ack,
	d.superseded_by, d.attributes, d.created_at, d.updated_at, d.version`

const docFrom = ` FROM documents d LEFT JOIN users o ON o.id = d.owner_id LEFT JOIN users a ON a.id = d.approver_id
	LEFT JOIN document_versions cv ON cv.id = d.current_version_id`

func scanDoc(row interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var attrs string
	var ack int
	var cr, up store.Time
	err := row.Scan(&d.ID, &d.Title, &d.Type, &d.ProcessKey, &d.OwnerID, &d.OwnerName, &d.ApproverID, &d.ApproverName,
		&d.Status, &d.CurrentVersionID, &d.CurrentNumber, &d.NextReview, &d.Retention, &ack,
		&d.SupersededBy, &attrs, &cr, &up, &d.Version)
	if err != nil {
		return d, store.ScanErr(err)
	}
	d.RequiresAck, d.CreatedAt, d.UpdatedAt = ack != 0, cr.Time, up.Time
	d.Attributes = map[string]any{}
	if attrs != "" {
		_ = json.Unmarshal([]byte(attrs), &d.Attributes)
	}
	return d, nil
}

// Get loads one document.
func Get(ctx context.Context, q store.Querier, id int64) (Document, error) {
	return scanDoc(q.QueryRow(ctx, "SELECT "+docCols+docFrom+" WHERE d.id = ?", id))
}

// Filter narrows the register.
type Filter struct {
	Types      []Type
	Statuses   []Status
	ProcessKey string
	// Overdue keeps approved documents whose review date is before Today.
	Overdue bool
	Today   string
	// Query matches titles containing it.
	Query  string
	Limit  int
	Cursor string // the title and id to continue after, from NextCursor
}

// Page is one page of the register.
type Page struct {
	Items      []Document `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// MaxList bounds one page of the register.
const MaxList = 200

// List reads the register by title, one page at a time.
func List(ctx context.Context, q store.Querier, f Filter) (Page, error) {
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	sql := "SELECT " + docCols + docFrom + " WHERE 1 = 1"
	var args []any
	if len(f.Types) > 0 {
		sql += " AND d.doc_type IN (" + marks(len(f.Types)) + ")"
		for _, t := range f.Types {
			args = append(args, string(t))
		}
	}
	if len(f.Statuses) > 0 {
		sql += " AND d.status IN (" + marks(len(f.Statuses)) + ")"
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.ProcessKey != "" {
		sql, args = sql+" AND d.process_key = ?", append(args, f.ProcessKey)
	}
	if f.Overdue {
		sql, args = sql+" AND d.status = 'approved' AND d.next_review IS NOT NULL AND d.next_review < ?", append(args, f.Today)
	}
	if f.Query != "" {
		sql, args = sql+` AND lower(d.title) LIKE ? ESCAPE '\'`, append(args, likeAny(f.Query))
	}
	if f.Cursor != "" {
		title, id, ok := parseCursor(f.Cursor)
		if !ok {
			return Page{}, errBadCursor
		}
		sql, args = sql+" AND (d.title > ? OR (d.title = ? AND d.id > ?))", append(args, title, title, id)
	}
	sql, args = sql+" ORDER BY d.title, d.id LIMIT ?", append(args, f.Limit+1)
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	p := Page{Items: []Document{}}
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return Page{}, err
		}
		p.Items = append(p.Items, d)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(p.Items) > f.Limit {
		p.Items = p.Items[:f.Limit]
		last := p.Items[len(p.Items)-1]
		p.NextCursor = makeCursor(last.Title, last.ID)
	}
	return p, nil
}

// Titles names documents by id, for links (at most a page of them).
func Titles(ctx context.Context, q store.Querier, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > MaxList {
		ids = ids[:MaxList]
	}
	rows, err := q.Query(ctx, "SELECT id, title FROM documents WHERE id IN ("+marks(len(ids))+")", int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}

// SupersededOf lists the documents that id supersedes (that name it as
// their successor).
func SupersededOf(ctx context.Context, q store.Querier, id int64) ([]Document, error) {
	rows, err := q.Query(ctx, "SELECT "+docCols+docFrom+" WHERE d.superseded_by = ? ORDER BY d.title, d.id LIMIT ?", id, MaxList)
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

func docAudit(d Document) map[string]any {
	return map[string]any{"title": d.Title, "type": d.Type, "process_key": d.ProcessKey, "owner_id": d.OwnerID,
		"approver_id": d.ApproverID, "status": d.Status, "next_review": d.NextReview, "retention": d.Retention,
		"requires_acknowledgement": d.RequiresAck, "superseded_by": d.SupersededBy, "attributes": d.Attributes}
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func likeAny(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q)) + "%"
}
