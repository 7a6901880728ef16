package incident

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Where an incident came from.
const (
	SourceDesk  = "desk"  // raised by hand, through the portal or the API
	SourceEvent = "event" // opened from alerts by event management
)

// CreateInTx records a new incident raised by the system (event
// management) inside the caller's transaction tx, with the same journal,
// audit record and observers (service levels) as any incident. The caller
// has checked the references in in; title and text are trimmed to fit.
func (s *Service) CreateInTx(ctx context.Context, tx *store.Tx, in NewIncident, source string) (Incident, error) {
	matrix, err := s.Matrix(ctx)
	if err != nil {
		return Incident{}, err
	}
	in.Title = clip(strings.TrimSpace(in.Title), domainerr.MaxTitle)
	if in.Title == "" {
		in.Title = "Alert"
	}
	in.Description = clip(in.Description, domainerr.MaxText)
	if !in.Impact.valid() {
		in.Impact = Medium
	}
	if !in.Urgency.valid() {
		in.Urgency = Medium
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	inc := Incident{
		Title: in.Title, Description: in.Description, CustomerID: in.CustomerID, Category: in.Category,
		Subcategory: in.Subcategory, Impact: in.Impact, Urgency: in.Urgency, Priority: matrix.Priority(in.Impact, in.Urgency),
		State: New, GroupID: in.GroupID, ServiceID: in.ServiceID, Major: in.Major, CreatedAt: now, UpdatedAt: now,
		Version: 1, Source: sourceOrDesk(source),
	}
	if err := insert(ctx, tx, &inc, 0, ""); err != nil {
		return Incident{}, err
	}
	if err := appendJournal(ctx, tx, inc.ID, nil, "created", "", nil, now); err != nil {
		return Incident{}, err
	}
	if err := audit.Record(ctx, tx, audit.System, "create", "incident", inc.ID, in); err != nil {
		return Incident{}, err
	}
	if err := s.observe(ctx, tx, now, nil, inc); err != nil {
		return Incident{}, err
	}
	return inc, nil
}

// NoteInTx appends a work note by the system to an incident.
func NoteInTx(ctx context.Context, tx *store.Tx, id int64, body string) error {
	return appendJournal(ctx, tx, id, nil, "work_note", clip(body, domainerr.MaxText), nil, time.Now().UTC().Truncate(time.Microsecond))
}

// ResolveInTx resolves an open incident as the system, with notes saying
// why; the journal, observers, automatic closure and notifications follow
// as for any resolution. It reports false when the incident was not open.
func (s *Service) ResolveInTx(ctx context.Context, tx *store.Tx, id int64, code, notes string) (bool, error) {
	cur, err := get(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if !cur.State.Open() {
		return false, nil
	}
	next := cur
	next.State, next.HoldReason = Resolved, ""
	next.ResolutionCode, next.ResolutionNotes = code, clip(notes, domainerr.MaxText)
	return true, s.commit(ctx, tx, nil, cur, next, notes)
}

// RaiseImpactInTx raises an open incident's impact (and so its priority)
// as the system; a lower level than the current one changes nothing.
func (s *Service) RaiseImpactInTx(ctx context.Context, tx *store.Tx, id int64, impact Level, why string) error {
	matrix, err := s.Matrix(ctx)
	if err != nil {
		return err
	}
	cur, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	if !cur.State.Open() || levelRank(impact) <= levelRank(cur.Impact) {
		return nil
	}
	next := cur
	next.Impact = impact
	next.Priority = matrix.Priority(next.Impact, next.Urgency)
	return s.commit(ctx, tx, nil, cur, next, why)
}

func levelRank(l Level) int {
	switch l {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// alertIDs lists the alerts grouped into an incident opened from events.
func alertIDs(ctx context.Context, q store.Querier, id int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM alerts WHERE incident_id = ? ORDER BY id LIMIT 10000`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
