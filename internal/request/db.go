package request

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

const requestCols = `r.id, r.title, r.description, r.requester_id, r.customer_id, r.service_id, r.item_id,
	r.form, r.answers, r.priority, r.state, r.group_id, r.assignee_id, r.reopen_count, r.created_at,
	r.updated_at, r.first_response_at, r.fulfilled_at, r.closed_at, r.version, COALESCE(r.created_by, 0),
	COALESCE(u.name, ''), COALESCE(c.name, ''), COALESCE(s.name, ''), COALESCE(it.name, ''),
	COALESCE(g.name, ''), COALESCE(a.name, '')`

// nameJoins bring in the display names of a request's references.
const nameJoins = `
	LEFT JOIN users u ON u.id = r.requester_id
	LEFT JOIN customers c ON c.id = r.customer_id
	LEFT JOIN services s ON s.id = r.service_id
	LEFT JOIN catalog_items it ON it.id = r.item_id
	LEFT JOIN support_groups g ON g.id = r.group_id
	LEFT JOIN users a ON a.id = r.assignee_id`

const selectCols = "SELECT " + requestCols + " FROM requests r" + nameJoins

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var form, answers string
	var created, updated, firstResp, fulfilled, closed store.Time
	err := row.Scan(&r.ID, &r.Title, &r.Description, &r.RequesterID, &r.CustomerID, &r.ServiceID, &r.ItemID,
		&form, &answers, &r.Priority, &r.State, &r.GroupID, &r.AssigneeID, &r.ReopenCount, &created,
		&updated, &firstResp, &fulfilled, &closed, &r.Version, &r.SubmitterID,
		&r.RequesterName, &r.CustomerName, &r.ServiceName, &r.ItemName, &r.GroupName, &r.AssigneeName)
	if err != nil {
		return r, store.ScanErr(err)
	}
	r.Number = FormatNumber(r.ID)
	r.CreatedAt, r.UpdatedAt = created.Time, updated.Time
	r.FirstResponseAt, r.FulfilledAt, r.ClosedAt = timePtr(firstResp), timePtr(fulfilled), timePtr(closed)
	if err := json.Unmarshal([]byte(form), &r.Form); err != nil {
		return r, fmt.Errorf("request %d form: %w", r.ID, err)
	}
	if err := decodeAnswers(answers, r.Form, &r.Answers); err != nil {
		return r, fmt.Errorf("request %d answers: %w", r.ID, err)
	}
	return r, nil
}

// decodeAnswers reads stored answers back into the types they were checked
// as: numbers stay float64, user ids become int64.
func decodeAnswers(raw string, f Form, out *map[string]any) error {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return err
	}
	for k, v := range m {
		if fl, ok := f.Field(k); ok && fl.Type == UserField {
			if n, ok := v.(float64); ok {
				m[k] = int64(n)
			}
		}
	}
	*out = m
	return nil
}

func timePtr(t store.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

func get(ctx context.Context, q store.Querier, id int64) (Request, error) {
	return scanRequest(q.QueryRow(ctx, selectCols+" WHERE r.id = ?", id))
}

// getLocked loads a request inside a write transaction, holding its row on
// PostgreSQL until the transaction ends, so that concurrent decisions and
// task changes on one request queue up instead of each missing the other's
// work. SQLite has a single writer and needs no lock.
func getLocked(ctx context.Context, tx *store.Tx, id int64) (Request, error) {
	if tx.Dialect() == store.Postgres {
		var one int64
		if err := store.ScanErr(tx.QueryRow(ctx, "SELECT id FROM requests WHERE id = ? FOR UPDATE", id).Scan(&one)); err != nil {
			return Request{}, err
		}
	}
	return get(ctx, tx, id)
}

// insert writes a new request row, setting r.ID and r.Number.
func insert(ctx context.Context, tx *store.Tx, r *Request, createdBy int64) error {
	var by any
	if createdBy != 0 {
		by = createdBy
	}
	form, _ := json.Marshal(r.Form)
	answers, _ := json.Marshal(r.Answers)
	err := tx.QueryRow(ctx, `INSERT INTO requests (title, description, requester_id, customer_id, service_id, item_id,
		form, answers, priority, state, group_id, assignee_id, reopen_count, created_by, created_at, updated_at,
		first_response_at, fulfilled_at, closed_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Title, r.Description, r.RequesterID, r.CustomerID, r.ServiceID, r.ItemID, string(form), string(answers),
		int(r.Priority), string(r.State), r.GroupID, r.AssigneeID, r.ReopenCount, by, store.TS(r.CreatedAt),
		store.TS(r.UpdatedAt), store.OptTS(r.FirstResponseAt), store.OptTS(r.FulfilledAt), store.OptTS(r.ClosedAt), r.Version).Scan(&r.ID)
	if err := store.ScanErr(err); err != nil {
		return err
	}
	r.Number = FormatNumber(r.ID)
	return nil
}

// write stores next over cur, refusing with ErrStale when the row moved on.
func write(ctx context.Context, tx *store.Tx, cur, next Request) error {
	res, err := tx.Exec(ctx, `UPDATE requests SET title = ?, description = ?, priority = ?, state = ?, group_id = ?,
		assignee_id = ?, reopen_count = ?, updated_at = ?, first_response_at = ?, fulfilled_at = ?, closed_at = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		next.Title, next.Description, int(next.Priority), string(next.State), next.GroupID, next.AssigneeID,
		next.ReopenCount, store.TS(next.UpdatedAt), store.OptTS(next.FirstResponseAt), store.OptTS(next.FulfilledAt),
		store.OptTS(next.ClosedAt), cur.ID, cur.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domainerr.ErrStale
	}
	return nil
}

// journal is the requests' journal: requesters see neither work notes,
// nor task work, nor internal field changes.
var journal = record.Journal[Entry]{Table: "request_journal", Column: "request_id", Limit: 5000,
	Shown: requesterFields, Public: record.RequesterLines(requesterFields, "work_note", "task"),
	Entry: func(l record.Line) Entry {
		return Entry{ID: l.ID, RequestID: l.RecordID, Kind: l.Kind, AuthorID: l.AuthorID, AuthorName: l.AuthorName,
			Body: l.Body, Changes: l.Changes, CreatedAt: l.CreatedAt}
	}}

// line is e as its journal writes it.
func (e Entry) line() record.Line {
	return record.Line{RecordID: e.RequestID, Kind: e.Kind, AuthorID: e.AuthorID, AuthorName: e.AuthorName, Body: e.Body,
		Changes: e.Changes, CreatedAt: e.CreatedAt}
}

// appendJournal records what p (nil: the system) did to a request.
func appendJournal(ctx context.Context, tx *store.Tx, requestID int64, p *auth.Principal, kind, body string, changes []Change, at time.Time) error {
	_, err := journal.Append(ctx, tx, requestID, p, kind, body, changes, at)
	return err
}

// diff lists what changed on the record.
func diff(a, b Request) []Change {
	var out []Change
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	add("title", a.Title, b.Title)
	add("description", a.Description, b.Description)
	add("priority", a.Priority.String(), b.Priority.String())
	add("state", string(a.State), string(b.State))
	add("group_id", idStr(a.GroupID), idStr(b.GroupID))
	add("assignee_id", idStr(a.AssigneeID), idStr(b.AssigneeID))
	return out
}

func idStr(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// requesterFields are the changes a requester is shown in the journal.
var requesterFields = map[string]bool{"state": true, "title": true, "description": true, "priority": true, "attachment": true}

// Journal lists a request's journal, oldest first, as p may see it:
// requesters see neither work notes, nor task work, nor internal fields.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.DB, p, id)
}
