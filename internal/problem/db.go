package problem

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

const problemCols = `p.id, p.title, p.description, p.state, p.category, p.root_cause, p.cause_category, p.workaround,
	p.fix_change_id, p.assignee_id, p.created_by, p.created_at, p.updated_at, p.known_error_at, p.resolved_at,
	p.closed_at, p.version, COALESCE(a.name, ''), COALESCE(cb.name, ''),
	(SELECT COUNT(*) FROM record_links l WHERE l.to_kind = 'problem' AND l.to_id = p.id AND l.type = 'caused_by' AND l.from_kind = 'incident')`

const nameJoins = `
	LEFT JOIN users a ON a.id = p.assignee_id
	LEFT JOIN users cb ON cb.id = p.created_by`

const selectCols = "SELECT " + problemCols + " FROM problems p" + nameJoins

func scanProblem(r interface{ Scan(...any) error }) (Problem, error) {
	var pr Problem
	var created, updated, known, resolved, closed store.Time
	err := r.Scan(&pr.ID, &pr.Title, &pr.Description, &pr.State, &pr.Category, &pr.RootCause, &pr.CauseCategory,
		&pr.Workaround, &pr.FixChangeID, &pr.AssigneeID, &pr.CreatedByID, &created, &updated, &known, &resolved,
		&closed, &pr.Version, &pr.AssigneeName, &pr.CreatedByName, &pr.Incidents)
	if err != nil {
		return pr, store.ScanErr(err)
	}
	pr.Number = FormatNumber(pr.ID)
	pr.CreatedAt, pr.UpdatedAt = created.Time, updated.Time
	pr.KnownErrorAt, pr.ResolvedAt, pr.ClosedAt = known.Ptr(), resolved.Ptr(), closed.Ptr()
	if pr.FixChangeID != nil {
		pr.FixChange = changeNumber(*pr.FixChangeID)
	}
	pr.ServiceIDs, pr.CIIDs = []int64{}, []int64{}
	return pr, nil
}

func changeNumber(id int64) string {
	s := strconv.FormatInt(id, 10)
	for len(s) < 6 {
		s = "0" + s
	}
	return ChangePrefix + s
}

// get loads problem id with its services and CIs.
func get(ctx context.Context, q store.Querier, id int64) (Problem, error) {
	pr, err := scanProblem(q.QueryRow(ctx, selectCols+" WHERE p.id = ?", id))
	if err != nil {
		return pr, err
	}
	if pr.ServiceIDs, err = store.IDs(ctx, q, "SELECT service_id FROM problem_services WHERE problem_id = ? ORDER BY service_id", id); err != nil {
		return pr, err
	}
	pr.CIIDs, err = store.IDs(ctx, q, "SELECT ci_id FROM record_cis WHERE kind = 'problem' AND record_id = ? ORDER BY ci_id", id)
	return pr, err
}

// authorOf names who writes a journal entry; nil is the system.
func authorOf(p *auth.Principal) (*int64, string) {
	if p == nil {
		return nil, "system"
	}
	id := p.UserID
	return &id, p.Name
}

// appendJournal records what p did to a problem.
func appendJournal(ctx context.Context, tx *store.Tx, problemID int64, p *auth.Principal, kind, body string, changes []Change, at time.Time) (int64, error) {
	if changes == nil {
		changes = []Change{}
	}
	raw, _ := json.Marshal(changes)
	aid, name := authorOf(p)
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO problem_journal (problem_id, kind, author_id, author_name, body, changes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, problemID, kind, aid, name, body, string(raw), store.TS(at)).Scan(&id)
	return id, store.ScanErr(err)
}

// Journal lists a problem's journal, oldest first.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT id, problem_id, kind, author_id, author_name, body, changes, created_at
		FROM problem_journal WHERE problem_id = ? ORDER BY id LIMIT 5000`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var raw string
		var at store.Time
		if err := rows.Scan(&e.ID, &e.ProblemID, &e.Kind, &e.AuthorID, &e.AuthorName, &e.Body, &raw, &at); err != nil {
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

// AddNote adds a note to a problem's journal: what the investigation
// found, tried or ruled out. Closed and cancelled problems take none.
func (s *Service) AddNote(ctx context.Context, p *auth.Principal, id int64, body string) (Entry, error) {
	if !p.Can(PermUpdate) {
		return Entry{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "body", body, true, domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	aid, name := authorOf(p)
	e := Entry{ProblemID: id, Kind: "work_note", AuthorID: aid, AuthorName: name, Body: body, CreatedAt: now}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		pr, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if pr.State == Closed || pr.State == Cancelled {
			return domainerr.Conflictf("%s is %s and takes no more notes", pr.Number, human(string(pr.State)))
		}
		if e.ID, err = appendJournal(ctx, tx, id, p, "work_note", body, nil, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE problems SET updated_at = ? WHERE id = ?", store.TS(now), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "problem_note", e.ID, map[string]any{"problem_id": id, "body": body})
	})
	return e, err
}
