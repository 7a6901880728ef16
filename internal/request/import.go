package request

import (
	"context"
	"strconv"

	"steward/internal/approval"
	"steward/internal/jobs"
	"steward/internal/store"
)

// Import writes a complete request as given, with its own timestamps,
// approvals, tasks and journal, inside tx. It is for demo data and moving
// history in from another tool: the caller vouches for the data, so only
// the database constraints check it. A fulfilled request gets its
// auto-close job.
func (s *Service) Import(ctx context.Context, tx *store.Tx, r *Request, createdBy int64, approvals []ApprovalRecord, tasks []Task, entries []Entry) error {
	if r.Answers == nil {
		r.Answers = map[string]any{}
	}
	if r.Form.Fields == nil {
		r.Form.Fields = []Field{}
	}
	if err := insert(ctx, tx, r, createdBy); err != nil {
		return err
	}
	as := make([]approval.Approval, len(approvals))
	for i, a := range approvals {
		as[i] = approval.Approval{ApproverID: a.ApproverID, GroupID: a.GroupID, State: a.State, Comment: a.Comment,
			DecidedBy: a.DecidedBy, DecidedByName: a.DecidedByName, CreatedAt: a.CreatedAt, DecidedAt: a.DecidedAt}
	}
	if err := importApprovals(ctx, tx, r.ID, as); err != nil {
		return err
	}
	for _, t := range tasks {
		if t.NoteVisibility == "" {
			t.NoteVisibility = NoteInternal
		}
		if _, err := tx.Exec(ctx, `INSERT INTO request_tasks (request_id, name, stage, state, group_id, assignee_id, note,
			note_visibility, created_at, updated_at, opened_at, finished_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
			r.ID, t.Name, t.Order, string(t.State), t.GroupID, t.AssigneeID, t.Note, string(t.NoteVisibility), store.TS(t.CreatedAt),
			store.TS(t.UpdatedAt), store.OptTS(t.OpenedAt), store.OptTS(t.FinishedAt)); err != nil {
			return err
		}
	}
	for _, e := range entries {
		e.RequestID = r.ID
		if _, err := journal.Insert(ctx, tx, e.line()); err != nil {
			return err
		}
	}
	if r.State == Fulfilled && r.FulfilledAt != nil && s.AutoCloseAfter > 0 {
		return jobs.Enqueue(ctx, tx, AutoCloseJob, "request:"+strconv.FormatInt(r.ID, 10),
			r.FulfilledAt.Add(s.AutoCloseAfter), map[string]int64{"request_id": r.ID})
	}
	return nil
}
