package infosec

import (
	"context"
	"errors"
	"time"

	"steward/internal/auth"
	"steward/internal/record"
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

// ClearedSQL is the condition on users u that they see security
// incidents (when active): the members of security groups, requesters
// aside, and the administrators.
const ClearedSQL = `(u.role = 'admin' OR (u.role <> 'requester' AND u.id IN
		(SELECT gm.user_id FROM group_members gm JOIN support_groups g ON g.id = gm.group_id WHERE g.security)))`

// clearedUsers are the active people who see security incidents: the
// members of security groups and the administrators.
func clearedUsers(ctx context.Context, q store.Querier) ([]int64, error) {
	return store.IDs(ctx, q, `SELECT u.id FROM users u WHERE u.active AND `+ClearedSQL+`
		ORDER BY u.id LIMIT 200`)
}

// isCleared reports whether user id is active and sees security incidents.
func isCleared(ctx context.Context, q store.Querier, id int64) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = ? AND u.active AND `+ClearedSQL, id).Scan(&n)
	return n > 0, err
}

// journal is the security incidents' journal.
var journal = record.Journal[Entry]{Table: "security_incident_journal", Column: "security_incident_id", Limit: 2000,
	Entry: func(l record.Line) Entry {
		return Entry{ID: l.ID, IncidentID: l.RecordID, Kind: l.Kind, AuthorID: l.AuthorID, AuthorName: l.AuthorName,
			Body: l.Body, Changes: l.Changes, CreatedAt: l.CreatedAt}
	}}

// Journal lists a security incident's journal, oldest first.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.DB, p, id)
}

// RestrictedEntities are the audit trail's entities that name security
// incidents: hidden from whoever is not cleared.
var RestrictedEntities = []string{"security_incident", "security_incident_note"}

// RestrictedMentions are words that mark an audit entry of another entity
// (a link, a file) as about a security incident: its number's prefix as
// JSON writes it.
var RestrictedMentions = []string{`"` + NumberPrefix}
