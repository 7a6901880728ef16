package release

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/patch"
	"steward/internal/store"
)

// Service is release management over one database.
type Service struct {
	DB *store.DB
}

// NewService builds a Service.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

// NewRelease is what a caller gives to plan a release.
type NewRelease struct {
	Title              string     `json:"title"`
	Description        string     `json:"description"`
	Type               Type       `json:"type"`
	PlannedStart       *time.Time `json:"planned_start"`
	PlannedEnd         *time.Time `json:"planned_end"`
	AcceptanceCriteria string     `json:"acceptance_criteria"`
	TestResults        string     `json:"test_results"`
	ChangeIDs          []int64    `json:"change_ids"`
}

// Patch changes some fields of a release; absent fields stay, null clears
// a planned date. A state change travels with the fields it needs.
type Patch struct {
	Title              *string                `json:"title"`
	Description        *string                `json:"description"`
	Type               *Type                  `json:"type"`
	PlannedStart       patch.Field[time.Time] `json:"planned_start"`
	PlannedEnd         patch.Field[time.Time] `json:"planned_end"`
	AcceptanceCriteria *string                `json:"acceptance_criteria"`
	TestResults        *string                `json:"test_results"`
	State              *State                 `json:"state"`
}

// Hook runs inside the writing transaction with the release as the client
// will get it; the API stores an idempotency key with it.
type Hook = func(ctx context.Context, tx *store.Tx, d Detail) error

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Create validates and records a new release in state planned.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewRelease, hook Hook) (Detail, error) {
	if !p.Can(PermWrite) {
		return Detail{}, domainerr.ErrForbidden
	}
	in.Title = strings.TrimSpace(in.Title)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", in.Description, false, domainerr.MaxText)
	domainerr.Text(v, "acceptance_criteria", in.AcceptanceCriteria, false, domainerr.MaxText)
	domainerr.Text(v, "test_results", in.TestResults, false, domainerr.MaxText)
	if !in.Type.valid() {
		v.Add("type", "must be major, minor or emergency")
	}
	checkWindow(v, in.PlannedStart, in.PlannedEnd)
	if len(in.ChangeIDs) > 100 {
		v.Add("change_ids", "at most 100 changes at once")
	}
	for _, cid := range in.ChangeIDs {
		if _, msg, err := lookupChange(ctx, s.DB, cid); err != nil {
			return Detail{}, err
		} else if msg != "" {
			v.Add("change_ids", "%s", msg)
		}
	}
	if err := v.Err(); err != nil {
		return Detail{}, err
	}
	at := now()
	var out Detail
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := store.ScanErr(tx.QueryRow(ctx, `INSERT INTO releases (title, description, type, state, planned_start,
			planned_end, acceptance_criteria, test_results, created_by, created_at, updated_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`, in.Title, in.Description, string(in.Type),
			string(Planned), store.OptTS(in.PlannedStart), store.OptTS(in.PlannedEnd), in.AcceptanceCriteria, in.TestResults,
			p.UserID, store.TS(at), store.TS(at)).Scan(&id))
		if err != nil {
			return err
		}
		for _, cid := range in.ChangeIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO release_changes (release_id, change_id, created_at) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, id, cid, store.TS(at)); err != nil {
				return err
			}
		}
		if err := appendJournal(ctx, tx, id, p, "created", "", nil, at); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "release", id, in); err != nil {
			return err
		}
		if out, err = detail(ctx, tx, id); err != nil {
			return err
		}
		if err := activity.Created(ctx, tx, at, written(out.Release)); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// checkWindow refuses a planned window whose end is not after its start.
func checkWindow(v *domainerr.Invalid, start, end *time.Time) {
	if start != nil && end != nil && !end.After(*start) {
		v.Add("planned_end", "must be after the planned start")
	}
}

// lookupChange finds change id in the changes table; msg says why it may
// not join a release (it does not exist, or it was rejected or cancelled).
func lookupChange(ctx context.Context, q store.Querier, id int64) (Change, string, error) {
	c := Change{ID: id}
	err := store.ScanErr(q.QueryRow(ctx, "SELECT title, state, type FROM changes WHERE id = ?", id).Scan(&c.Title, &c.State, &c.Type))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c, ChangeNumber(id) + " does not exist", nil
	case err != nil:
		return c, "", err
	case c.State == "rejected" || c.State == "cancelled":
		return c, ChangeNumber(id) + " was " + c.State + " and cannot be released", nil
	}
	return changeOf(c), "", nil
}

// Get loads release id with its changes and deployments.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Detail, error) {
	if !p.Can(PermRead) {
		return Detail{}, domainerr.ErrForbidden
	}
	return detail(ctx, s.DB, id)
}

// Journal lists what happened to release id, oldest first.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if _, err := get(ctx, s.DB, id); err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.DB, p, id)
}

// Update applies a patch, state moves included. With ifVersion other than
// 0 the change is refused with ErrStale when the release moved on.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Detail, error) {
	if !p.Can(PermWrite) {
		return Detail{}, domainerr.ErrForbidden
	}
	var out Detail
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.update(ctx, tx, p, id, pt, ifVersion); err != nil {
			return err
		}
		var err error
		out, err = detail(ctx, tx, id)
		return err
	})
	return out, err
}

// writable loads release id for a change, refusing a stale version and a
// release that can no longer change.
func writable(ctx context.Context, tx *store.Tx, id int64, ifVersion int) (Release, error) {
	cur, err := get(ctx, tx, id)
	if err != nil {
		return cur, err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return cur, domainerr.ErrStale
	}
	if cur.State.Final() {
		return cur, domainerr.Conflictf("%s is %s and can no longer be changed", cur.Number, cur.State)
	}
	return cur, nil
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int) error {
	cur, err := writable(ctx, tx, id, ifVersion)
	if err != nil {
		return err
	}
	next, err := apply(cur, pt)
	if err != nil {
		return err
	}
	if next.State != cur.State {
		if err := checkGuards(ctx, tx, id, cur.State, next.State); err != nil {
			return err
		}
	}
	ch := diff(cur, next)
	if len(ch) == 0 {
		return nil
	}
	at := now()
	if next.State.Final() {
		next.ClosedAt = &at
	}
	_, err = tx.Exec(ctx, `UPDATE releases SET title = ?, description = ?, type = ?, state = ?, planned_start = ?,
		planned_end = ?, acceptance_criteria = ?, test_results = ?, closed_at = ?, updated_at = ?, version = version + 1
		WHERE id = ?`, next.Title, next.Description, string(next.Type), string(next.State), store.OptTS(next.PlannedStart),
		store.OptTS(next.PlannedEnd), next.AcceptanceCriteria, next.TestResults, store.OptTS(next.ClosedAt), store.TS(at), id)
	if err != nil {
		return err
	}
	if err := appendJournal(ctx, tx, id, p, "change", "", ch, at); err != nil {
		return err
	}
	if err := activity.Changed(ctx, tx, at, written(next), moves(ch)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "release", id, ch)
}

// written is r as the activity feed describes it.
func written(r Release) activity.Written {
	return activity.Written{Entity: KindName, ID: r.ID, Number: r.Number, Title: r.Title, State: string(r.State)}
}

func moves(cs []FieldChange) []activity.Moved {
	out := make([]activity.Moved, len(cs))
	for i, c := range cs {
		out[i] = activity.Moved{Field: c.Field, Old: c.Old, New: c.New}
	}
	return out
}

// apply computes the patched release and validates it with its move.
func apply(cur Release, pt Patch) (Release, error) {
	next := cur
	v := domainerr.NewInvalid()
	if pt.Title != nil {
		next.Title = strings.TrimSpace(*pt.Title)
		domainerr.Text(v, "title", next.Title, true, domainerr.MaxTitle)
	}
	for _, f := range []struct {
		name     string
		dst, src *string
	}{{"description", &next.Description, pt.Description}, {"acceptance_criteria", &next.AcceptanceCriteria, pt.AcceptanceCriteria},
		{"test_results", &next.TestResults, pt.TestResults}} {
		if f.src != nil {
			*f.dst = *f.src
			domainerr.Text(v, f.name, *f.dst, false, domainerr.MaxText)
		}
	}
	if pt.Type != nil {
		next.Type = *pt.Type
		if !next.Type.valid() {
			v.Add("type", "must be major, minor or emergency")
		}
	}
	if pt.PlannedStart.Set {
		next.PlannedStart = utcPtr(pt.PlannedStart.Ptr())
	}
	if pt.PlannedEnd.Set {
		next.PlannedEnd = utcPtr(pt.PlannedEnd.Ptr())
	}
	checkWindow(v, next.PlannedStart, next.PlannedEnd)
	if pt.State != nil && *pt.State != cur.State {
		next.State = *pt.State
		transition(cur, next, v)
	}
	return next, v.Err()
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// transition checks a move against the table and the fields it needs.
func transition(cur, next Release, v *domainerr.Invalid) {
	if !next.State.valid() {
		v.Add("state", "must be one of %s", strings.Join(Machine.States, ", "))
		return
	}
	mv, ok := Machine.Move(string(cur.State), string(next.State))
	if !ok || mv.By != "" {
		v.Add("state", "cannot move from %s to %s (allowed: %s)", cur.State, next.State, Machine.Allowed(string(cur.State)))
		return
	}
	for _, f := range mv.Requires {
		val := map[string]string{"acceptance_criteria": next.AcceptanceCriteria, "test_results": next.TestResults}[f]
		if strings.TrimSpace(val) == "" {
			v.Add(f, "is required to %s the release", mv.Action)
		}
	}
}

func diff(a, b Release) []FieldChange {
	var out []FieldChange
	add := func(field, old, new string) {
		if old != new {
			out = append(out, FieldChange{Field: field, Old: old, New: new})
		}
	}
	add("title", a.Title, b.Title)
	add("description", a.Description, b.Description)
	add("type", string(a.Type), string(b.Type))
	add("planned_start", timeText(a.PlannedStart), timeText(b.PlannedStart))
	add("planned_end", timeText(a.PlannedEnd), timeText(b.PlannedEnd))
	add("acceptance_criteria", a.AcceptanceCriteria, b.AcceptanceCriteria)
	add("test_results", a.TestResults, b.TestResults)
	add("state", string(a.State), string(b.State))
	return out
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
