package infosec

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"steward/internal/auth"
	"steward/internal/store"
)

const selectCols = `SELECT s.id, s.title, s.description, s.state, s.confidentiality, s.integrity, s.availability,
	s.personal_data, s.breach, s.breach_reason, s.breach_decided_at, s.aware_at, s.authority_notified_at,
	s.subjects_notified_at, s.incident_id, s.owner_id, COALESCE(ow.name, ''), s.closure, s.created_by,
	s.created_at, s.updated_at, s.closed_at, s.version
	FROM security_incidents s
	LEFT JOIN users ow ON ow.id = s.owner_id`

func scan(r interface{ Scan(...any) error }, now time.Time) (Incident, error) {
	var in Incident
	var decided, aware, authority, subjects, created, updated, closed store.Time
	err := r.Scan(&in.ID, &in.Title, &in.Description, &in.State, &in.Confidentiality, &in.Integrity, &in.Availability,
		&in.PersonalData, &in.Breach, &in.BreachReason, &decided, &aware, &authority,
		&subjects, &in.IncidentID, &in.OwnerID, &in.OwnerName, &in.Closure, &in.CreatedByID,
		&created, &updated, &closed, &in.Version)
	if err != nil {
		return in, store.ScanErr(err)
	}
	in.Number = FormatNumber(in.ID)
	in.BreachDecidedAt, in.AwareAt = decided.Ptr(), aware.Time
	in.AuthorityNotifiedAt, in.SubjectsNotifiedAt = authority.Ptr(), subjects.Ptr()
	in.CreatedAt, in.UpdatedAt, in.ClosedAt = created.Time, updated.Time, closed.Ptr()
	if in.IncidentID != nil {
		in.Incident = deskNumber(*in.IncidentID)
	}
	in.Clocks = Clocks(in, now)
	return in, nil
}

func get(ctx context.Context, q store.Querier, id int64) (Incident, error) {
	return scan(q.QueryRow(ctx, selectCols+" WHERE s.id = ?", id), time.Now())
}

// Cleared reports whether p may see security incidents at all: an
// administrator, or a member of a support group marked as a security
// group. Everyone else finds none, as if there were none.
func Cleared(ctx context.Context, q store.Querier, p *auth.Principal) (bool, error) {
	if p == nil || !p.Can(PermRead) {
		return false, nil
	}
	if p.Role == auth.Admin {
		return true, nil
	}
	var one int
	err := store.ScanErr(q.QueryRow(ctx, `SELECT 1 FROM group_members gm JOIN support_groups g ON g.id = gm.group_id
		WHERE gm.user_id = ? AND g.security LIMIT 1`, p.UserID).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// clearedUsers are the active people who see security incidents: the
// members of security groups and the administrators.
func clearedUsers(ctx context.Context, q store.Querier) ([]int64, error) {
	return store.IDs(ctx, q, `SELECT id FROM users WHERE active AND (role = 'admin' OR (role <> 'requester' AND id IN
		(SELECT gm.user_id FROM group_members gm JOIN support_groups g ON g.id = gm.group_id WHERE g.security)))
		ORDER BY id LIMIT 200`)
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
	err := tx.QueryRow(ctx, `INSERT INTO security_incident_journal (security_incident_id, kind, author_id, author_name, body, changes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, kind, aid, name, body, string(raw), store.TS(at)).Scan(&eid)
	return eid, store.ScanErr(err)
}

// Journal lists a security incident's journal, oldest first.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT id, security_incident_id, kind, author_id, author_name, body, changes, created_at
		FROM security_incident_journal WHERE security_incident_id = ? ORDER BY id LIMIT 2000`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var raw string
		var at store.Time
		if err := rows.Scan(&e.ID, &e.IncidentID, &e.Kind, &e.AuthorID, &e.AuthorName, &e.Body, &raw, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = at.Time
		if err := json.Unmarshal([]byte(raw), &e.Changes); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RestrictedEntities are the audit trail's entities that name security
// incidents: hidden from whoever is not cleared.
var RestrictedEntities = []string{"security_incident", "security_incident_note"}

// RestrictedMentions are words that mark an audit entry of another entity
// (a link, a file) as about a security incident: its number's prefix as
// JSON writes it.
var RestrictedMentions = []string{`"` + NumberPrefix}
