package request

import (
	"context"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/patch"
	"steward/internal/store"
)

// TaskState is where a fulfilment task is.
type TaskState string

const (
	// TaskPending waits for the tasks of an earlier order to finish.
	TaskPending   TaskState = "pending"
	TaskOpen      TaskState = "open"
	TaskDone      TaskState = "done"
	TaskCancelled TaskState = "cancelled"
)

func (t TaskState) finished() bool { return t == TaskDone || t == TaskCancelled }

// NoteVisibility says who reads a task's note.
type NoteVisibility string

const (
	// NoteInternal is for the service desk only; every note starts so.
	NoteInternal NoteVisibility = "internal"
	// NoteRequester is shown to the requester too.
	NoteRequester NoteVisibility = "requester"
)

func (n NoteVisibility) valid() bool { return n == NoteInternal || n == NoteRequester }

// Task is one piece of fulfilment work.
type Task struct {
	ID           int64     `json:"id"`
	RequestID    int64     `json:"request_id"`
	Name         string    `json:"name"`
	Order        int       `json:"order"`
	State        TaskState `json:"state"`
	GroupID      *int64    `json:"group_id"`
	GroupName    string    `json:"group_name,omitempty"`
	AssigneeID   *int64    `json:"assignee_id"`
	AssigneeName string    `json:"assignee_name,omitempty"`
	Note         string    `json:"note"`
	// NoteVisibility says whether the requester reads the note too; an
	// internal note reaches them as "".
	NoteVisibility NoteVisibility `json:"note_visibility"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	OpenedAt       *time.Time     `json:"opened_at"`
	FinishedAt     *time.Time     `json:"finished_at"`
	Version        int            `json:"version"`
}

// NewTask is a task the service desk adds to a request. Without an order
// it joins the tasks open now (or starts a new last stage when none is).
type NewTask struct {
	Name       string `json:"name"`
	Order      *int   `json:"order"`
	GroupID    *int64 `json:"group_id"`
	AssigneeID *int64 `json:"assignee_id"`
	Note       string `json:"note"`
	// NoteVisibility is internal unless the requester should read the note.
	NoteVisibility *NoteVisibility `json:"note_visibility"`
}

// TaskPatch changes a task; state moves open -> done, and pending or open
// -> cancelled.
type TaskPatch struct {
	Name       *string            `json:"name"`
	State      *TaskState         `json:"state"`
	GroupID    patch.Field[int64] `json:"group_id"`
	AssigneeID patch.Field[int64] `json:"assignee_id"`
	Note       *string            `json:"note"`
	// NoteVisibility shows the note to the requester, or hides it again.
	NoteVisibility *NoteVisibility `json:"note_visibility"`
}

// MaxTasks bounds the tasks of one request.
const MaxTasks = 100

const taskCols = `t.id, t.request_id, t.name, t.stage, t.state, t.group_id, COALESCE(g.name, ''), t.assignee_id,
	COALESCE(a.name, ''), t.note, t.note_visibility, t.created_at, t.updated_at, t.opened_at, t.finished_at, t.version`

const taskFrom = ` FROM request_tasks t LEFT JOIN support_groups g ON g.id = t.group_id LEFT JOIN users a ON a.id = t.assignee_id`

func scanTask(row interface{ Scan(...any) error }) (Task, error) {
	var t Task
	var created, updated, opened, finished store.Time
	err := row.Scan(&t.ID, &t.RequestID, &t.Name, &t.Order, &t.State, &t.GroupID, &t.GroupName, &t.AssigneeID,
		&t.AssigneeName, &t.Note, &t.NoteVisibility, &created, &updated, &opened, &finished, &t.Version)
	if err != nil {
		return t, store.ScanErr(err)
	}
	t.CreatedAt, t.UpdatedAt, t.OpenedAt, t.FinishedAt = created.Time, updated.Time, timePtr(opened), timePtr(finished)
	return t, nil
}

func tasksOf(ctx context.Context, q store.Querier, requestID int64) ([]Task, error) {
	rows, err := q.Query(ctx, "SELECT "+taskCols+taskFrom+" WHERE t.request_id = ? ORDER BY t.stage, t.id LIMIT ?", requestID, MaxTasks+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func unfinishedTasks(ctx context.Context, q store.Querier, requestID int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM request_tasks WHERE request_id = ? AND state IN ('pending', 'open')", requestID).Scan(&n)
	return n, err
}

// Tasks lists a request's tasks by order, as p may see them: only staff
// read internal notes.
func (s *Service) Tasks(ctx context.Context, p *auth.Principal, requestID int64) ([]Task, error) {
	if _, err := s.Get(ctx, p, requestID); err != nil {
		return nil, err
	}
	tasks, err := tasksOf(ctx, s.DB, requestID)
	if err != nil || p.IsStaff() {
		return tasks, err
	}
	for i := range tasks {
		if tasks[i].NoteVisibility != NoteRequester {
			tasks[i].Note = ""
		}
	}
	return tasks, nil
}

// startFulfilment creates the item's tasks for a request entering
// fulfilment and opens the first stage.
func (s *Service) startFulfilment(ctx context.Context, tx *store.Tx, r Request, now time.Time) error {
	rows, err := tx.Query(ctx, "SELECT name, group_id, stage FROM catalog_task_templates WHERE item_id = ? ORDER BY seq", r.ItemID)
	if err != nil {
		return err
	}
	var tmpl []TaskTemplate
	for rows.Next() {
		var t TaskTemplate
		if err := rows.Scan(&t.Name, &t.GroupID, &t.Order); err != nil {
			rows.Close()
			return err
		}
		tmpl = append(tmpl, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tmpl {
		if _, err := insertTask(ctx, tx, r.ID, Task{Name: t.Name, Order: t.Order, GroupID: t.GroupID}, now); err != nil {
			return err
		}
	}
	return s.advance(ctx, tx, r.ID, now)
}

func insertTask(ctx context.Context, tx *store.Tx, requestID int64, t Task, now time.Time) (int64, error) {
	var id int64
	if t.NoteVisibility == "" {
		t.NoteVisibility = NoteInternal
	}
	err := tx.QueryRow(ctx, `INSERT INTO request_tasks (request_id, name, stage, state, group_id, assignee_id, note,
		note_visibility, created_at, updated_at, version) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
		requestID, t.Name, t.Order, t.GroupID, t.AssigneeID, t.Note, string(t.NoteVisibility), store.TS(now), store.TS(now)).Scan(&id)
	return id, store.ScanErr(err)
}

// advance opens the pending tasks of the lowest unfinished order, once
// every task before them is finished, and fulfils the request when its
// last task is done.
func (s *Service) advance(ctx context.Context, tx *store.Tx, requestID int64, now time.Time) error {
	tasks, err := tasksOf(ctx, tx, requestID)
	if err != nil {
		return err
	}
	stage, done := -1, false
	for _, t := range tasks {
		if !t.State.finished() && (stage < 0 || t.Order < stage) {
			stage = t.Order
		}
		done = done || t.State == TaskDone
	}
	r, err := getLocked(ctx, tx, requestID)
	if err != nil {
		return err
	}
	if stage < 0 {
		if done && r.State == InFulfilment {
			next := r
			next.State = Fulfilled
			return s.commit(ctx, tx, nil, r, &next, "Every task is finished", now)
		}
		return nil
	}
	for _, t := range tasks {
		if t.State != TaskPending || t.Order != stage {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE request_tasks SET state = 'open', opened_at = ?, updated_at = ?, version = version + 1
			WHERE id = ?`, store.TS(now), store.TS(now), t.ID); err != nil {
			return err
		}
		change := []Change{{Field: "state", Old: string(TaskPending), New: string(TaskOpen)}}
		if err := appendJournal(ctx, tx, requestID, nil, "task", t.Name, change, now); err != nil {
			return err
		}
		if err := s.tellTaskOpen(ctx, tx, r, t); err != nil {
			return err
		}
	}
	return nil
}

// tellTaskOpen tells the task's assignee, else its group's members, that
// the task is theirs to do now.
func (s *Service) tellTaskOpen(ctx context.Context, tx *store.Tx, r Request, t Task) error {
	var to []int64
	if t.AssigneeID != nil {
		to = []int64{*t.AssigneeID}
	} else if t.GroupID != nil {
		var err error
		if to, err = auth.GroupMemberIDs(ctx, tx, *t.GroupID); err != nil {
			return err
		}
	}
	return notify.Add(ctx, tx, to, "task_open", "Task to do: "+t.Name, r.Number+" "+r.Title, link(r)+"#tasks")
}

// AddTask adds a task to a request in fulfilment.
func (s *Service) AddTask(ctx context.Context, p *auth.Principal, requestID int64, in NewTask) (Task, error) {
	if !p.Can(PermUpdate) {
		return Task{}, domainerr.ErrForbidden
	}
	in.Name = strings.TrimSpace(in.Name)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", in.Name, true, domainerr.MaxTitle)
	domainerr.Text(v, "note", in.Note, false, domainerr.MaxText)
	checkNoteVisibility(in.NoteVisibility, v)
	if in.Order != nil && (*in.Order < 1 || *in.Order > MaxOrder) {
		v.Add("order", "must be from 1 to %d", MaxOrder)
	}
	if err := s.checkGroup(ctx, "group_id", in.GroupID, v); err != nil {
		return Task{}, err
	}
	if err := auth.CheckWorker(ctx, s.DB, v, "assignee_id", in.AssigneeID); err != nil {
		return Task{}, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := getLocked(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if r.State != InFulfilment {
			return domainerr.Conflictf("tasks can be added only while %s is in fulfilment; it is %s", r.Number, r.State)
		}
		tasks, err := tasksOf(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if len(tasks) >= MaxTasks {
			v.Add("name", "%s already has %d tasks, the most a request may have", r.Number, MaxTasks)
		}
		if err := v.Err(); err != nil {
			return err
		}
		t := Task{Name: in.Name, GroupID: in.GroupID, AssigneeID: in.AssigneeID, Note: in.Note, Order: defaultOrder(tasks)}
		if in.NoteVisibility != nil {
			t.NoteVisibility = *in.NoteVisibility
		}
		if in.Order != nil {
			t.Order = *in.Order
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if id, err = insertTask(ctx, tx, requestID, t, now); err != nil {
			return err
		}
		change := []Change{{Field: "state", New: string(TaskPending)}, {Field: "order", New: strconv.Itoa(t.Order)}}
		if err := appendJournal(ctx, tx, requestID, p, "task", t.Name, change, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "request_task", id, map[string]any{"request_id": requestID, "task": in}); err != nil {
			return err
		}
		return s.advance(ctx, tx, requestID, now)
	})
	if err != nil {
		return Task{}, err
	}
	return scanTask(s.DB.QueryRow(ctx, "SELECT "+taskCols+taskFrom+" WHERE t.id = ?", id))
}

// defaultOrder puts a new task beside the tasks open now, or after the
// last stage when nothing is unfinished.
func defaultOrder(tasks []Task) int {
	stage, last := -1, 0
	for _, t := range tasks {
		if !t.State.finished() && (stage < 0 || t.Order < stage) {
			stage = t.Order
		}
		last = max(last, t.Order)
	}
	if stage > 0 {
		return stage
	}
	return min(last+1, MaxOrder)
}

// UpdateTask changes one task of a request; finishing the last one fulfils
// the request. With ifVersion other than 0 a task that moved on is refused
// with ErrStale.
func (s *Service) UpdateTask(ctx context.Context, p *auth.Principal, requestID, taskID int64, pt TaskPatch, ifVersion int) (Task, error) {
	if !p.Can(PermUpdate) {
		return Task{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := getLocked(ctx, tx, requestID)
		if err != nil {
			return err
		}
		cur, err := scanTask(tx.QueryRow(ctx, "SELECT "+taskCols+taskFrom+" WHERE t.id = ? AND t.request_id = ?", taskID, requestID))
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		if r.State != InFulfilment {
			return domainerr.Conflictf("tasks can be changed only while %s is in fulfilment; it is %s", r.Number, r.State)
		}
		if cur.State.finished() {
			return domainerr.Conflictf("the task %q is %s and can no longer be changed", cur.Name, cur.State)
		}
		next, err := s.applyTask(ctx, tx, cur, pt)
		if err != nil {
			return err
		}
		changes := taskDiff(cur, next)
		if len(changes) == 0 {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if next.State.finished() {
			next.FinishedAt = &now
		}
		res, err := tx.Exec(ctx, `UPDATE request_tasks SET name = ?, state = ?, group_id = ?, assignee_id = ?, note = ?,
			note_visibility = ?, updated_at = ?, finished_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			next.Name, string(next.State), next.GroupID, next.AssigneeID, next.Note, string(next.NoteVisibility),
			store.TS(now), store.OptTS(next.FinishedAt), cur.ID, cur.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domainerr.ErrStale
		}
		if err := appendJournal(ctx, tx, requestID, p, "task", next.Name, changes, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "request_task", cur.ID, changes); err != nil {
			return err
		}
		if next.State.finished() {
			return s.advance(ctx, tx, requestID, now)
		}
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	return scanTask(s.DB.QueryRow(ctx, "SELECT "+taskCols+taskFrom+" WHERE t.id = ?", taskID))
}

func (s *Service) applyTask(ctx context.Context, tx *store.Tx, cur Task, pt TaskPatch) (Task, error) {
	next := cur
	v := domainerr.NewInvalid()
	if pt.Name != nil {
		next.Name = strings.TrimSpace(*pt.Name)
		domainerr.Text(v, "name", next.Name, true, domainerr.MaxTitle)
	}
	if pt.Note != nil {
		next.Note = *pt.Note
		domainerr.Text(v, "note", next.Note, false, domainerr.MaxText)
	}
	checkNoteVisibility(pt.NoteVisibility, v)
	if pt.NoteVisibility != nil {
		next.NoteVisibility = *pt.NoteVisibility
	}
	if pt.GroupID.Set {
		next.GroupID = pt.GroupID.Ptr()
		if err := s.checkGroup(ctx, "group_id", next.GroupID, v); err != nil {
			return next, err
		}
	}
	if pt.AssigneeID.Set {
		next.AssigneeID = pt.AssigneeID.Ptr()
		if err := auth.CheckWorker(ctx, tx, v, "assignee_id", next.AssigneeID); err != nil {
			return next, err
		}
	}
	if pt.State != nil && *pt.State != cur.State {
		next.State = *pt.State
		switch {
		case next.State == TaskDone && cur.State == TaskPending:
			v.Add("state", "the task waits for the tasks of an earlier order; it can be done once it is open")
		case next.State != TaskDone && next.State != TaskCancelled:
			v.Add("state", "can only move to done or cancelled")
		}
	}
	return next, v.Err()
}

func taskDiff(a, b Task) []Change {
	var out []Change
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	add("name", a.Name, b.Name)
	add("state", string(a.State), string(b.State))
	add("group_id", idStr(a.GroupID), idStr(b.GroupID))
	add("assignee_id", idStr(a.AssigneeID), idStr(b.AssigneeID))
	add("note", a.Note, b.Note)
	add("note_visibility", string(a.NoteVisibility), string(b.NoteVisibility))
	return out
}

func checkNoteVisibility(n *NoteVisibility, v *domainerr.Invalid) {
	if n != nil && !n.valid() {
		v.Add("note_visibility", "must be internal or requester")
	}
}
