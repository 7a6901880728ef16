package problem

import (
	"context"
	"strconv"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
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

// journal is the problems' journal.
var journal = record.Journal[Entry]{Table: "problem_journal", Column: "problem_id", Limit: 5000,
	Entry: func(l record.Line) Entry {
		return Entry{ID: l.ID, ProblemID: l.RecordID, Kind: l.Kind, AuthorID: l.AuthorID, AuthorName: l.AuthorName,
			Body: l.Body, Changes: l.Changes, CreatedAt: l.CreatedAt}
	}}

// Journal lists a problem's journal, oldest first.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.DB, p, id)
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
	aid, name := record.AuthorOf(p)
	e := Entry{ProblemID: id, Kind: "work_note", AuthorID: aid, AuthorName: name, Body: body, CreatedAt: now}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		pr, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if pr.State == Closed || pr.State == Cancelled {
			return domainerr.Conflictf("%s is %s and takes no more notes", pr.Number, human(string(pr.State)))
		}
		if e.ID, err = journal.Append(ctx, tx, id, p, "work_note", body, nil, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE problems SET updated_at = ? WHERE id = ?", store.TS(now), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "problem_note", e.ID, map[string]any{"problem_id": id, "body": body})
	})
	return e, err
}
