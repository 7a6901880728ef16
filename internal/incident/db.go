package incident

import (
	"context"
	"time"

	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

const incidentCols = `i.id, i.title, i.description, i.requester_id, i.customer_id, i.category, i.subcategory,
	i.impact, i.urgency, i.priority, i.state, i.hold_reason, i.group_id, i.assignee_id, i.service_id, i.major,
	i.resolution_code, i.resolution_notes, i.reopen_count, i.created_at, i.updated_at, i.first_response_at,
	i.resolved_at, i.closed_at, i.version, i.created_by, i.source,
	COALESCE(r.name, ''), COALESCE(c.name, ''), COALESCE(g.name, ''), COALESCE(a.name, ''), COALESCE(s.name, ''),
	COALESCE(cb.name, '')`

// nameJoins bring in the display names of an incident's references.
const nameJoins = `
	LEFT JOIN users r ON r.id = i.requester_id
	LEFT JOIN customers c ON c.id = i.customer_id
	LEFT JOIN support_groups g ON g.id = i.group_id
	LEFT JOIN users a ON a.id = i.assignee_id
	LEFT JOIN services s ON s.id = i.service_id
	LEFT JOIN users cb ON cb.id = i.created_by`

const selectCols = "SELECT " + incidentCols + " FROM incidents i" + nameJoins

func scanIncident(r interface{ Scan(...any) error }) (Incident, error) {
	var inc Incident
	var created, updated, firstResp, resolved, closed store.Time
	err := r.Scan(&inc.ID, &inc.Title, &inc.Description, &inc.RequesterID, &inc.CustomerID, &inc.Category,
		&inc.Subcategory, &inc.Impact, &inc.Urgency, &inc.Priority, &inc.State, &inc.HoldReason, &inc.GroupID,
		&inc.AssigneeID, &inc.ServiceID, &inc.Major, &inc.ResolutionCode, &inc.ResolutionNotes, &inc.ReopenCount,
		&created, &updated, &firstResp, &resolved, &closed, &inc.Version, &inc.CreatedByID, &inc.Source,
		&inc.RequesterName, &inc.CustomerName, &inc.GroupName, &inc.AssigneeName, &inc.ServiceName, &inc.CreatedByName)
	if err != nil {
		return inc, store.ScanErr(err)
	}
	inc.Number = FormatNumber(inc.ID)
	inc.CreatedAt, inc.UpdatedAt = created.Time, updated.Time
	inc.FirstResponseAt = timePtr(firstResp)
	inc.ResolvedAt = timePtr(resolved)
	inc.ClosedAt = timePtr(closed)
	return inc, nil
}

func sourceOrDesk(s string) string {
	if s == "" {
		return SourceDesk
	}
	return s
}

func timePtr(t store.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

func get(ctx context.Context, q store.Querier, id int64) (Incident, error) {
	return scanIncident(q.QueryRow(ctx, selectCols+" WHERE i.id = ?", id))
}

// insert writes a new incident row and its search entry (with the text of
// its public comments, when it arrives with a history), setting inc.ID.
func insert(ctx context.Context, tx *store.Tx, inc *Incident, createdBy int64, comments string) error {
	var by any
	if createdBy != 0 {
		by = createdBy
	}
	search := ""
	if tx.Dialect() == store.Postgres {
		search = ", search"
	}
	q := `INSERT INTO incidents (title, description, requester_id, customer_id, category, subcategory, impact,
		urgency, priority, state, hold_reason, group_id, assignee_id, service_id, major, resolution_code,
		resolution_notes, reopen_count, created_by, created_at, updated_at, first_response_at, resolved_at,
		closed_at, version, source` + search + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
	args := []any{inc.Title, inc.Description, inc.RequesterID, inc.CustomerID, inc.Category, inc.Subcategory,
		string(inc.Impact), string(inc.Urgency), int(inc.Priority), string(inc.State), inc.HoldReason, inc.GroupID,
		inc.AssigneeID, inc.ServiceID, inc.Major, inc.ResolutionCode, inc.ResolutionNotes, inc.ReopenCount, by,
		store.TS(inc.CreatedAt), store.TS(inc.UpdatedAt), store.OptTS(inc.FirstResponseAt), store.OptTS(inc.ResolvedAt),
		store.OptTS(inc.ClosedAt), inc.Version, sourceOrDesk(inc.Source)}
	if tx.Dialect() == store.Postgres {
		q += ", to_tsvector('english', ? || ' ' || ? || ' ' || ?)"
		args = append(args, inc.Title, inc.Description, comments)
	}
	q += ") RETURNING id"
	if err := store.ScanErr(tx.QueryRow(ctx, q, args...).Scan(&inc.ID)); err != nil {
		return err
	}
	inc.Number = FormatNumber(inc.ID)
	if tx.Dialect() == store.SQLite {
		tx.Collect("incident_fts", [4]any{inc.ID, inc.Title, inc.Description, comments}, flushSearchRows)
	}
	return nil
}

// flushSearchRows adds new incidents to SQLite's search index in as few
// statements as possible, at the end of the transaction.
func flushSearchRows(ctx context.Context, tx *store.Tx, rows []any) error {
	return tx.InsertRows(ctx, "INSERT INTO incident_fts (rowid, title, description, comments)", 4, len(rows),
		func(i int, args []any) []any {
			row := rows[i].([4]any)
			return append(args, row[:]...)
		})
}

// reindexText refreshes the search entry after the title or description changed.
func reindexText(ctx context.Context, tx *store.Tx, inc Incident) error {
	if tx.Dialect() == store.SQLite {
		_, err := tx.Exec(ctx, "UPDATE incident_fts SET title = ?, description = ? WHERE rowid = ?", inc.Title, inc.Description, inc.ID)
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE incidents SET search = to_tsvector('english', ? || ' ' || ? || ' ' ||
		COALESCE((SELECT string_agg(body, ' ') FROM incident_journal WHERE incident_id = ? AND kind = 'comment'), ''))
		WHERE id = ?`, inc.Title, inc.Description, inc.ID, inc.ID)
	return err
}

// indexComment adds a public comment's words to the search entry.
func indexComment(ctx context.Context, tx *store.Tx, id int64, body string) error {
	if tx.Dialect() == store.SQLite {
		_, err := tx.Exec(ctx, "UPDATE incident_fts SET comments = comments || ' ' || ? WHERE rowid = ?", body, id)
		return err
	}
	_, err := tx.Exec(ctx, "UPDATE incidents SET search = search || to_tsvector('english', ?) WHERE id = ?", body, id)
	return err
}

// Change is one field's move, as shown in the journal.
type Change = record.Change

// Entry is one line of an incident's journal.
type Entry struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Kind       string    `json:"kind"` // created, comment, work_note, change
	AuthorID   *int64    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body,omitempty"`
	Changes    []Change  `json:"changes,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// requesterFields are the changes a requester is shown in the journal.
var requesterFields = map[string]bool{"state": true, "hold_reason": true, "resolution_code": true, "resolution_notes": true, "attachment": true}

// journal is the incidents' journal: requesters see neither work notes nor
// internal field changes.
var journal = record.Journal[Entry]{Table: "incident_journal", Column: "incident_id", Limit: 5000,
	Shown: requesterFields, Public: record.RequesterLines(requesterFields, "work_note"),
	Entry: func(l record.Line) Entry {
		return Entry{ID: l.ID, IncidentID: l.RecordID, Kind: l.Kind, AuthorID: l.AuthorID, AuthorName: l.AuthorName,
			Body: l.Body, Changes: l.Changes, CreatedAt: l.CreatedAt}
	}}

// line is e as its journal writes it.
func (e Entry) line() record.Line {
	return record.Line{RecordID: e.IncidentID, Kind: e.Kind, AuthorID: e.AuthorID, AuthorName: e.AuthorName, Body: e.Body,
		Changes: e.Changes, CreatedAt: e.CreatedAt}
}

// appendJournal records what p did to an incident.
func appendJournal(ctx context.Context, tx *store.Tx, incidentID int64, p *auth.Principal, kind, body string, changes []Change, at time.Time) error {
	_, err := journal.Append(ctx, tx, incidentID, p, kind, body, changes, at)
	return err
}

// Journal lists an incident's journal, oldest first, as p may see it:
// requesters see neither work notes nor internal field changes.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.DB, p, id)
}
