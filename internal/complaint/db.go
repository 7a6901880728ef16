package complaint

import (
	"context"
	"time"

	"steward/internal/auth"
	"steward/internal/record"
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

// journal is the complaints' journal. Requesters read the changes but not
// the staff's work notes.
var journal = record.Journal[Entry]{Table: "complaint_journal", Column: "complaint_id", Limit: 2000,
	Public: func(l *record.Line) bool {
		l.Changes = publicChanges(l.Changes)
		return l.Kind != "work_note"
	},
	Entry: func(l record.Line) Entry {
		return Entry{ID: l.ID, ComplaintID: l.RecordID, Kind: l.Kind, AuthorID: l.AuthorID, AuthorName: l.AuthorName,
			Body: l.Body, Changes: l.Changes, CreatedAt: l.CreatedAt}
	}}

// Journal lists a complaint's journal, oldest first. Requesters see the
// changes but not the staff's work notes.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.DB, p, id)
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
