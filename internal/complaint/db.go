package complaint

import (
	"context"
	"encoding/json"
	"time"

	"steward/internal/auth"
	"steward/internal/store"
)

const selectCols = `SELECT c.id, c.title, c.description, c.state, c.source, c.customer_id, COALESCE(cu.name, ''),
	c.requester_id, COALESCE(rq.name, ''), c.owner_id, COALESCE(ow.name, ''), c.related_kind, c.related_id,
	c.target_on, c.investigation, c.response, c.closure, c.accepted, c.created_by, c.created_at, c.updated_at,
	c.responded_at, c.closed_at, c.version
	FROM complaints c
	LEFT JOIN customers cu ON cu.id = c.customer_id
	LEFT JOIN users rq ON rq.id = c.requester_id
	LEFT JOIN users ow ON ow.id = c.owner_id`

func scan(r interface{ Scan(...any) error }, today string) (Complaint, error) {
	var c Complaint
	var created, updated, responded, closed store.Time
	err := r.Scan(&c.ID, &c.Title, &c.Description, &c.State, &c.Source, &c.CustomerID, &c.CustomerName,
		&c.RequesterID, &c.RequesterName, &c.OwnerID, &c.OwnerName, &c.RelatedKind, &c.RelatedID,
		&c.TargetOn, &c.Investigation, &c.Response, &c.Closure, &c.Accepted, &c.CreatedByID, &created, &updated,
		&responded, &closed, &c.Version)
	if err != nil {
		return c, store.ScanErr(err)
	}
	c.Number = FormatNumber(c.ID)
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	c.RespondedAt, c.ClosedAt = responded.Ptr(), closed.Ptr()
	if c.RelatedID != nil {
		c.Related = relatedNumber(c.RelatedKind, *c.RelatedID)
	}
	if c.ClosedAt != nil {
		on := c.ClosedAt.UTC().Format(time.DateOnly) <= c.TargetOn
		c.OnTime = &on
	} else {
		c.Overdue = c.TargetOn < today
	}
	return c, nil
}

func today(now time.Time) string { return now.UTC().Format(time.DateOnly) }

func get(ctx context.Context, q store.Querier, id int64) (Complaint, error) {
	return scan(q.QueryRow(ctx, selectCols+" WHERE c.id = ?", id), today(time.Now()))
}

// Visible reports whether p may see c: staff see every complaint, a
// requester those of their customer, or their own when they have none.
func Visible(p *auth.Principal, c Complaint) bool {
	if p.IsStaff() {
		return true
	}
	if p.CustomerID != 0 {
		return c.CustomerID != nil && *c.CustomerID == p.CustomerID
	}
	return c.RequesterID != nil && *c.RequesterID == p.UserID
}

func authorOf(p *auth.Principal) (*int64, string) {
	if p == nil {
		return nil, "system"
	}
	id := p.UserID
	return &id, p.Name
}

func appendJournal(ctx context.Context, tx *store.Tx, id int64, p *auth.Principal, kind, body string, changes []Change, at time.Time) (int64, error) {
	if changes == nil {
		changes = []Change{}
	}
	raw, _ := json.Marshal(changes)
	aid, name := authorOf(p)
	var eid int64
	err := tx.QueryRow(ctx, `INSERT INTO complaint_journal (complaint_id, kind, author_id, author_name, body, changes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, kind, aid, name, body, string(raw), store.TS(at)).Scan(&eid)
	return eid, store.ScanErr(err)
}

// Journal lists a complaint's journal, oldest first. Requesters see the
// changes but not the staff's work notes.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	q := `SELECT id, complaint_id, kind, author_id, author_name, body, changes, created_at
		FROM complaint_journal WHERE complaint_id = ?`
	if !p.IsStaff() {
		q += " AND kind <> 'work_note'"
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY id LIMIT 2000", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var raw string
		var at store.Time
		if err := rows.Scan(&e.ID, &e.ComplaintID, &e.Kind, &e.AuthorID, &e.AuthorName, &e.Body, &raw, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = at.Time
		if err := json.Unmarshal([]byte(raw), &e.Changes); err != nil {
			return nil, err
		}
		if !p.IsStaff() {
			e.Changes = publicChanges(e.Changes)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// publicChanges drops what the customer does not read: the investigation
// and who owns the complaint inside the organisation stay with staff.
func publicChanges(cs []Change) []Change {
	out := []Change{}
	for _, c := range cs {
		if c.Field != "investigation" && c.Field != "owner_id" {
			out = append(out, c)
		}
	}
	return out
}
