package change

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"steward/internal/activity"
	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

const changeColumns = `c.id, c.title, c.type, c.state, c.description, c.justification, c.requester_id, c.group_id,
	c.assignee_id, COALESCE(u.name, ''), c.template_id, c.risk_answers, c.risk, c.impact_analysis, c.implementation_plan,
	c.test_plan, c.backout_plan, c.planned_start, c.planned_end, c.actual_start, c.actual_end, c.outcome, c.review,
	c.approval_rule, c.approval_board, c.approved_at, c.created_by, c.created_at, c.updated_at, c.closed_at, c.version`

const changeFrom = ` FROM changes c LEFT JOIN users u ON u.id = c.assignee_id`

type scanner interface{ Scan(dest ...any) error }

func scanChange(r scanner) (Change, error) {
	var c Change
	var answers, impact string
	var ps, pe, as, ae, appr, created, updated, closed store.Time
	err := r.Scan(&c.ID, &c.Title, &c.Type, &c.State, &c.Description, &c.Justification, &c.RequesterID, &c.GroupID,
		&c.AssigneeID, &c.AssigneeName, &c.TemplateID, &answers, &c.Risk, &impact, &c.ImplementationPlan,
		&c.TestPlan, &c.BackoutPlan, &ps, &pe, &as, &ae, &c.Outcome, &c.Review,
		&c.ApprovalRule, &c.ApprovalBoard, &appr, &c.CreatedBy, &created, &updated, &closed, &c.Version)
	if err != nil {
		return c, store.ScanErr(err)
	}
	c.Number = Number(c.ID)
	c.PlannedStart, c.PlannedEnd, c.ActualStart, c.ActualEnd = ps.Ptr(), pe.Ptr(), as.Ptr(), ae.Ptr()
	c.ApprovedAt, c.ClosedAt = appr.Ptr(), closed.Ptr()
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	c.RiskAnswers = map[string]string{}
	if answers != "" {
		if err := json.Unmarshal([]byte(answers), &c.RiskAnswers); err != nil {
			return c, fmt.Errorf("change %d: risk answers: %w", c.ID, err)
		}
	}
	if impact != "" {
		c.Impact = &Impact{}
		if err := json.Unmarshal([]byte(impact), c.Impact); err != nil {
			return c, fmt.Errorf("change %d: impact analysis: %w", c.ID, err)
		}
	}
	return c, nil
}

// Number formats id as a change number.
func Number(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

// get loads change id with its CIs and services.
func get(ctx context.Context, q store.Querier, id int64) (Change, error) {
	c, err := scanChange(q.QueryRow(ctx, "SELECT "+changeColumns+changeFrom+" WHERE c.id = ?", id))
	if err != nil {
		return c, err
	}
	if c.CIIDs, err = store.IDs(ctx, q, "SELECT ci_id FROM record_cis WHERE kind = 'change' AND record_id = ? ORDER BY ci_id", id); err != nil {
		return c, err
	}
	c.ServiceIDs, err = store.IDs(ctx, q, "SELECT service_id FROM change_services WHERE change_id = ? ORDER BY service_id", id)
	return c, err
}

func impactJSON(im *Impact) string {
	if im == nil {
		return ""
	}
	return mustJSON(im)
}

// insert writes a new change and its CIs and services, setting c.ID.
func insert(ctx context.Context, tx *store.Tx, c *Change) error {
	err := tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, description, justification, requester_id, group_id,
		assignee_id, template_id, risk_answers, risk, impact_analysis, implementation_plan, test_plan, backout_plan,
		planned_start, planned_end, approved_at, approval_board, created_by, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
		c.Title, c.Type, c.State, c.Description, c.Justification, c.RequesterID, c.GroupID, c.AssigneeID, c.TemplateID,
		mustJSON(c.RiskAnswers), c.Risk, impactJSON(c.Impact), c.ImplementationPlan, c.TestPlan, c.BackoutPlan,
		store.OptTS(c.PlannedStart), store.OptTS(c.PlannedEnd), store.OptTS(c.ApprovedAt), c.ApprovalBoard, c.CreatedBy,
		store.TS(c.CreatedAt), store.TS(c.UpdatedAt)).Scan(&c.ID)
	if err != nil {
		return store.ScanErr(err)
	}
	c.Number = Number(c.ID)
	return writeLinks(ctx, tx, c.ID, c.CIIDs, c.ServiceIDs, c.CreatedAt)
}

// writeLinks replaces the CIs and services of change id.
func writeLinks(ctx context.Context, tx *store.Tx, id int64, cis, services []int64, now time.Time) error {
	if _, err := tx.Exec(ctx, "DELETE FROM record_cis WHERE kind = 'change' AND record_id = ?", id); err != nil {
		return err
	}
	for _, ci := range cis {
		if _, err := tx.Exec(ctx, "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('change', ?, ?, ?)",
			id, ci, store.TS(now)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "DELETE FROM change_services WHERE change_id = ?", id); err != nil {
		return err
	}
	for _, s := range services {
		if _, err := tx.Exec(ctx, "INSERT INTO change_services (change_id, service_id) VALUES (?, ?)", id, s); err != nil {
			return err
		}
	}
	return nil
}

// write stores next over cur (same id), bumping the version; ErrStale
// when someone else wrote it meanwhile.
func write(ctx context.Context, tx *store.Tx, cur, next Change, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE changes SET title = ?, type = ?, state = ?, description = ?, justification = ?,
		group_id = ?, assignee_id = ?, risk_answers = ?, risk = ?, impact_analysis = ?, implementation_plan = ?, test_plan = ?,
		backout_plan = ?, planned_start = ?, planned_end = ?, actual_start = ?, actual_end = ?, outcome = ?, review = ?,
		approval_rule = ?, approval_board = ?, approved_at = ?, updated_at = ?, closed_at = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		next.Title, next.Type, next.State, next.Description, next.Justification, next.GroupID, next.AssigneeID,
		mustJSON(next.RiskAnswers), next.Risk, impactJSON(next.Impact), next.ImplementationPlan, next.TestPlan,
		next.BackoutPlan, store.OptTS(next.PlannedStart), store.OptTS(next.PlannedEnd), store.OptTS(next.ActualStart),
		store.OptTS(next.ActualEnd), next.Outcome, next.Review, next.ApprovalRule, next.ApprovalBoard,
		store.OptTS(next.ApprovedAt), store.TS(now), store.OptTS(next.ClosedAt), cur.ID, cur.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.ErrConflict
	}
	if !sameIDs(cur.CIIDs, next.CIIDs) || !sameIDs(cur.ServiceIDs, next.ServiceIDs) {
		if err := writeLinks(ctx, tx, cur.ID, next.CIIDs, next.ServiceIDs, now); err != nil {
			return err
		}
	}
	// Every write, by a person or by the board's rule, reaches the feed.
	var moves []activity.Moved
	for _, f := range diff(cur, next) {
		moves = append(moves, activity.Moved{Field: f.Field, Old: f.Old, New: f.New})
	}
	return activity.Changed(ctx, tx, now, written(next), moves)
}

// written is c as the activity feed describes it.
func written(c Change) activity.Written {
	return activity.Written{Entity: KindName, ID: c.ID, Number: c.Number, Title: c.Title, State: c.State}
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// journal is the changes' journal.
var journal = record.Journal[Entry]{Table: "change_journal", Column: "change_id", Limit: 5000,
	Entry: func(l record.Line) Entry {
		return Entry{ID: l.ID, ChangeID: l.RecordID, Kind: l.Kind, AuthorID: l.AuthorID, AuthorName: l.AuthorName,
			Body: l.Body, Changes: l.Changes, CreatedAt: l.CreatedAt}
	}}

// Journal lists change id's journal, oldest first.
func (s *Service) Journal(ctx context.Context, p *auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.DB, p, id)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
