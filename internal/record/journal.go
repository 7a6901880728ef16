package record

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"steward/internal/auth"
	"steward/internal/store"
)

// Change is one field's move, as a journal line shows it.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Line is one row of a kind's journal, before the kind names it: what
// happened to record RecordID, who did it, and the fields it moved.
type Line struct {
	ID         int64
	RecordID   int64
	Kind       string // created, comment, work_note, change, and the kind's own
	AuthorID   *int64
	AuthorName string
	Body       string
	Changes    []Change
	CreatedAt  time.Time
}

// Journal is a kind's journal table: the one place its lines are written
// and read. Every kind keeps its own table (Table, with the record in
// Column and the columns kind, author_id, author_name, body, changes and
// created_at); E is the entry the kind answers with.
type Journal[E any] struct {
	Table  string // "incident_journal"
	Column string // "incident_id"
	// Limit caps the lines read for one record.
	Limit int
	// Entry makes the kind's entry of a line.
	Entry func(Line) E
	// Public trims a line for a reader who is not staff; false hides it.
	// Nil shows every line whole.
	Public func(*Line) bool
	// Shown are the fields whose changes a requester reads: a note the
	// kernel makes about one of them that is not public is written as a
	// work note instead.
	Shown map[string]bool
}

// AuthorOf names who writes a journal line; nil is the system.
func AuthorOf(p *auth.Principal) (*int64, string) {
	if p == nil {
		return nil, "system"
	}
	id := p.UserID
	return &id, p.Name
}

// Insert writes l, with its own author and time, and returns its id.
func (j *Journal[E]) Insert(ctx context.Context, tx *store.Tx, l Line) (int64, error) {
	if l.Changes == nil {
		l.Changes = []Change{}
	}
	raw, _ := json.Marshal(l.Changes)
	var id int64
	err := tx.QueryRow(ctx, "INSERT INTO "+j.Table+" ("+j.Column+`, kind, author_id, author_name, body, changes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, l.RecordID, l.Kind, l.AuthorID, l.AuthorName, l.Body, string(raw),
		store.TS(l.CreatedAt)).Scan(&id)
	return id, store.ScanErr(err)
}

// Append records what p (nil: the system) did to record id.
func (j *Journal[E]) Append(ctx context.Context, tx *store.Tx, id int64, p *auth.Principal, kind, body string, changes []Change, at time.Time) (int64, error) {
	aid, name := AuthorOf(p)
	return j.Insert(ctx, tx, Line{RecordID: id, Kind: kind, AuthorID: aid, AuthorName: name, Body: body, Changes: changes, CreatedAt: at})
}

// Note is the kind's Note: a change line for what the kernel changed (a
// link, an attachment), or a work note when it is internal and about a
// field the requester is shown.
func (j *Journal[E]) Note(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, field, old, new string, public bool) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var err error
	if !public && j.Shown[field] {
		_, err = j.Append(ctx, tx, id, p, "work_note", field+" added: "+new, nil, now)
	} else {
		_, err = j.Append(ctx, tx, id, p, "change", "", []Change{{Field: field, Old: old, New: new}}, now)
	}
	return err
}

// Read lists record id's journal, oldest first, as p may read it. The
// caller has checked that p may see the record.
func (j *Journal[E]) Read(ctx context.Context, q store.Querier, p *auth.Principal, id int64) ([]E, error) {
	rows, err := q.Query(ctx, "SELECT id, "+j.Column+", kind, author_id, author_name, body, changes, created_at FROM "+j.Table+
		" WHERE "+j.Column+" = ? ORDER BY id LIMIT ?", id, j.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []E{}
	for rows.Next() {
		var l Line
		var raw string
		var at store.Time
		if err := rows.Scan(&l.ID, &l.RecordID, &l.Kind, &l.AuthorID, &l.AuthorName, &l.Body, &raw, &at); err != nil {
			return nil, err
		}
		l.CreatedAt = at.Time
		if err := json.Unmarshal([]byte(raw), &l.Changes); err != nil {
			return nil, err
		}
		if j.Public != nil && !p.IsStaff() && !j.Public(&l) {
			continue
		}
		out = append(out, j.Entry(l))
	}
	return out, rows.Err()
}

// Comment is the kind's Entry: whether line entryID of record id is a
// public comment rather than a work note; store.ErrNotFound when it is
// neither or not the record's.
func (j *Journal[E]) Comment(ctx context.Context, q store.Querier, id, entryID int64) (bool, error) {
	var kind string
	err := q.QueryRow(ctx, "SELECT kind FROM "+j.Table+" WHERE id = ? AND "+j.Column+" = ?", entryID, id).Scan(&kind)
	if err := store.ScanErr(err); err != nil {
		return false, err
	}
	switch kind {
	case "comment":
		return true, nil
	case "work_note":
		return false, nil
	}
	return false, store.ErrNotFound
}

// RequesterLines is a Public that hides the lines of the staff's kinds
// (work notes, tasks) and keeps of a change line only the fields shown,
// hiding a change line left with none.
func RequesterLines(shown map[string]bool, staffKinds ...string) func(*Line) bool {
	return func(l *Line) bool {
		if slices.Contains(staffKinds, l.Kind) {
			return false
		}
		if l.Kind != "change" {
			return true
		}
		kept := l.Changes[:0]
		for _, c := range l.Changes {
			if shown[c.Field] {
				kept = append(kept, c)
			}
		}
		l.Changes = kept
		return len(kept) > 0
	}
}
