// Package improvement keeps the register of opportunities for improvement
// (ISO/IEC 20000-1 clause 10.2): each evaluated against criteria,
// approved or rejected, prioritised, carried out and, where one of
// Steward's measures fits, measured before and after.
package improvement

import (
	"context"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/kpi"
	"steward/internal/store"
)

// Service keeps the register.
type Service struct {
	DB  *store.DB
	Now func() time.Time // the clock; time.Now when nil
}

// NewService builds the register on db.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// The codes of an improvement, as stored.
var (
	Sources    = []string{"suggestion", "audit", "nonconformity", "management_review", "incident", "problem", "complaint", "customer"}
	Priorities = []string{"high", "medium", "low"}
	Statuses   = []string{"proposed", "approved", "rejected", "in_progress", "done"}
)

// MeasureDays is the period a measurement covers: the days before the
// approval (the baseline) or before the end (the result).
const MeasureDays = 90

// Machine is the improvement's life: status x action -> status.
var Machine = map[string]map[string]string{
	"proposed":    {"approve": "approved", "reject": "rejected"},
	"approved":    {"start": "in_progress", "reject": "rejected"},
	"in_progress": {"finish": "done"},
	"rejected":    {},
	"done":        {},
}

// Actions lists the actions the machine knows, in the order offered.
var Actions = []string{"approve", "reject", "start", "finish"}

// Improvement is one entry of the register.
type Improvement struct {
	ID             int64      `json:"id"`
	Title          string     `json:"title"`
	Description    string     `json:"description"`
	Source         string     `json:"source"`
	SourceRef      string     `json:"source_ref"`
	Criteria       string     `json:"criteria"`
	Priority       string     `json:"priority"`
	Status         string     `json:"status"`
	OwnerID        *int64     `json:"owner_id"`
	OwnerName      string     `json:"owner_name"`
	ApprovedBy     *int64     `json:"approved_by"`
	ApprovedByName string     `json:"approved_by_name"`
	ApprovedAt     *time.Time `json:"approved_at"`
	MetricKey      string     `json:"metric_key"`
	MetricTitle    string     `json:"metric_title"`
	Unit           string     `json:"unit"`
	BaselineValue  *float64   `json:"baseline_value"`
	BaselineAt     *time.Time `json:"baseline_at"`
	ResultValue    *float64   `json:"result_value"`
	ResultAt       *time.Time `json:"result_at"`
	// Difference is result - baseline; Improved says whether that is the
	// metric's good direction. Both only when both were measured.
	Difference *float64   `json:"difference"`
	Improved   *bool      `json:"improved"`
	DueOn      string     `json:"due_on"`
	DoneAt     *time.Time `json:"done_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    int        `json:"version"`
}

// Next lists the actions open to the improvement now.
func (i Improvement) Next() []string {
	var out []string
	for _, a := range Actions {
		if _, ok := Machine[i.Status][a]; ok {
			out = append(out, a)
		}
	}
	return out
}

// Input creates an improvement or, with nil fields left alone, changes one.
type Input struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Source      *string `json:"source"`
	SourceRef   *string `json:"source_ref"`
	Criteria    *string `json:"criteria"`
	Priority    *string `json:"priority"`
	OwnerID     *int64  `json:"owner_id"`
	MetricKey   *string `json:"metric_key"`
	DueOn       *string `json:"due_on"`
}

const cols = `i.id, i.title, i.description, i.source, i.source_ref, i.criteria, i.priority, i.status, i.owner_id, COALESCE(o.name, ''),
	i.approved_by, COALESCE(a.name, ''), i.approved_at, i.metric_key, i.baseline_value, i.baseline_at, i.result_value, i.result_at,
	i.due_on, i.done_at, i.created_at, i.updated_at, i.version
	FROM improvements i LEFT JOIN users o ON o.id = i.owner_id LEFT JOIN users a ON a.id = i.approved_by`

func scan(row interface{ Scan(...any) error }) (Improvement, error) {
	var i Improvement
	var apAt, bAt, rAt, done, cr, up store.Time
	var due *string
	err := row.Scan(&i.ID, &i.Title, &i.Description, &i.Source, &i.SourceRef, &i.Criteria, &i.Priority, &i.Status, &i.OwnerID, &i.OwnerName,
		&i.ApprovedBy, &i.ApprovedByName, &apAt, &i.MetricKey, &i.BaselineValue, &bAt, &i.ResultValue, &rAt, &due, &done, &cr, &up, &i.Version)
	if err != nil {
		return i, store.ScanErr(err)
	}
	i.ApprovedAt, i.BaselineAt, i.ResultAt, i.DoneAt = opt(apAt), opt(bAt), opt(rAt), opt(done)
	i.CreatedAt, i.UpdatedAt = cr.Time, up.Time
	if due != nil {
		i.DueOn = *due
	}
	if m, ok := kpi.Get(i.MetricKey); ok {
		i.MetricTitle, i.Unit = m.Title, m.Unit
		if i.BaselineValue != nil && i.ResultValue != nil {
			d := *i.ResultValue - *i.BaselineValue
			better := m.Better(*i.BaselineValue, *i.ResultValue)
			i.Difference, i.Improved = &d, &better
		}
	}
	return i, nil
}

func opt(t store.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	x := t.Time
	return &x
}

// Get loads one improvement.
func (s *Service) Get(ctx context.Context, q store.Querier, id int64) (Improvement, error) {
	return scan(q.QueryRow(ctx, "SELECT "+cols+" WHERE i.id = ?", id))
}

// Filter narrows the register.
type Filter struct {
	Status string // a status, or "open" for proposed, approved and in progress
	Limit  int
}

// MaxList bounds a list of improvements.
const MaxList = 200

// List lists improvements: open ones first, by priority, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Improvement, error) {
	q, args := "SELECT "+cols+" WHERE 1 = 1", []any{}
	switch f.Status {
	case "":
	case "open":
		q += " AND i.status IN ('proposed', 'approved', 'in_progress')"
	default:
		if !slices.Contains(Statuses, f.Status) {
			return nil, domainerr.Field("status", "must be one of %s, or open", strings.Join(Statuses, ", "))
		}
		q, args = q+" AND i.status = ?", append(args, f.Status)
	}
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	q += ` ORDER BY CASE WHEN i.status IN ('done', 'rejected') THEN 1 ELSE 0 END,
		CASE i.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, i.id DESC LIMIT ?`
	rows, err := s.DB.Query(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Improvement{}
	for rows.Next() {
		i, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// Create proposes an improvement.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in Input) (Improvement, error) {
	i := Improvement{Source: "suggestion", Priority: "medium", Status: "proposed"}
	if in.Title == nil {
		return i, domainerr.Field("title", "is required")
	}
	apply(&i, in)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := check(ctx, tx, i); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO improvements (title, description, source, source_ref, criteria, priority, status, owner_id,
			metric_key, due_on, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			i.Title, i.Description, i.Source, i.SourceRef, i.Criteria, i.Priority, i.Status, i.OwnerID, i.MetricKey, store.OptDate(i.DueOn),
			actor.UserID(), store.TS(now), store.TS(now)).Scan(&i.ID)
		if err != nil {
			return store.Translate(store.ScanErr(err))
		}
		return audit.Record(ctx, tx, actor, "create", "improvement", i.ID, auditOf(i))
	})
	if err != nil {
		return Improvement{}, err
	}
	return s.Get(ctx, s.DB, i.ID)
}

// Update changes the fields in given; ifVersion, when not 0, must be the
// version the caller saw. The measure cannot change once a baseline was
// taken against it.
func (s *Service) Update(ctx context.Context, actor audit.Actor, id int64, in Input, ifVersion int) (Improvement, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		i, err := s.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != i.Version {
			return domainerr.ErrStale
		}
		before := i.MetricKey
		apply(&i, in)
		if i.MetricKey != before && i.ApprovedAt != nil {
			return domainerr.Field("metric_key", "cannot change after approval: the baseline was measured on it")
		}
		if err := check(ctx, tx, i); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE improvements SET title = ?, description = ?, source = ?, source_ref = ?, criteria = ?, priority = ?,
			owner_id = ?, metric_key = ?, due_on = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			i.Title, i.Description, i.Source, i.SourceRef, i.Criteria, i.Priority, i.OwnerID, i.MetricKey, store.OptDate(i.DueOn),
			store.TS(s.now()), id, i.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "update", "improvement", id, auditOf(i))
	})
	if err != nil {
		return Improvement{}, err
	}
	return s.Get(ctx, s.DB, id)
}

// Act moves an improvement on by action (approve, reject, start, finish).
// Approval needs evaluation criteria and records who approved when, and
// the measure's baseline; finishing records the measure's result.
func (s *Service) Act(ctx context.Context, actor audit.Actor, id int64, action string, ifVersion int) (Improvement, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		i, err := s.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != i.Version {
			return domainerr.ErrStale
		}
		to, ok := Machine[i.Status][action]
		if !ok {
			if !slices.Contains(Actions, action) {
				return domainerr.Field("action", "must be one of %s", strings.Join(Actions, ", "))
			}
			return domainerr.Conflictf("an improvement that is %s cannot be %s", strings.ReplaceAll(i.Status, "_", " "), pastTense[action])
		}
		now := s.now()
		set, args := "status = ?", []any{to}
		var measured *float64
		if action == "approve" || action == "finish" {
			if action == "approve" && strings.TrimSpace(i.Criteria) == "" {
				return domainerr.Field("criteria", "describe how the improvement will be evaluated before approving it")
			}
			if m, ok := kpi.Get(i.MetricKey); ok {
				v, err := m.Compute(ctx, tx, now.AddDate(0, 0, -MeasureDays), now)
				if err != nil {
					return err
				}
				if !v.NoData() {
					measured = &v.Value
				}
			}
		}
		switch action {
		case "approve":
			set += ", approved_by = ?, approved_at = ?, baseline_value = ?, baseline_at = ?"
			args = append(args, actor.UserID(), store.TS(now), measured, nullIf(measured, now))
		case "finish":
			set += ", done_at = ?, result_value = ?, result_at = ?"
			args = append(args, store.TS(now), measured, nullIf(measured, now))
		}
		res, err := tx.Exec(ctx, "UPDATE improvements SET "+set+", updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
			append(args, store.TS(now), id, i.Version)...)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, action, "improvement", id, map[string]any{"from": i.Status, "to": to, "measured": measured})
	})
	if err != nil {
		return Improvement{}, err
	}
	return s.Get(ctx, s.DB, id)
}

var pastTense = map[string]string{"approve": "approved", "reject": "rejected", "start": "started", "finish": "finished"}

func nullIf(v *float64, t time.Time) any {
	if v == nil {
		return nil
	}
	return store.TS(t)
}

func apply(i *Improvement, in Input) {
	text := func(dst, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	text(&i.Title, in.Title)
	text(&i.Description, in.Description)
	text(&i.Source, in.Source)
	text(&i.SourceRef, in.SourceRef)
	text(&i.Criteria, in.Criteria)
	text(&i.Priority, in.Priority)
	text(&i.MetricKey, in.MetricKey)
	text(&i.DueOn, in.DueOn)
	i.MetricTitle, i.Unit = "", ""
	if m, ok := kpi.Get(i.MetricKey); ok {
		i.MetricTitle, i.Unit = m.Title, m.Unit
	}
	if in.OwnerID != nil {
		i.OwnerID = nil
		if *in.OwnerID != 0 {
			id := *in.OwnerID
			i.OwnerID = &id
		}
	}
}

func check(ctx context.Context, q store.Querier, i Improvement) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", i.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", i.Description, false, domainerr.MaxText)
	domainerr.Text(v, "source_ref", i.SourceRef, false, domainerr.MaxName)
	domainerr.Text(v, "criteria", i.Criteria, false, domainerr.MaxText)
	if !slices.Contains(Sources, i.Source) {
		v.Add("source", "must be one of %s", strings.Join(Sources, ", "))
	}
	if !slices.Contains(Priorities, i.Priority) {
		v.Add("priority", "must be high, medium or low")
	}
	if i.MetricKey != "" {
		if _, ok := kpi.Get(i.MetricKey); !ok {
			v.Add("metric_key", "choose a measure from the list, or none")
		}
	}
	if i.DueOn != "" {
		if _, err := time.Parse("2006-01-02", i.DueOn); err != nil {
			v.Add("due_on", "must be a date such as 2026-12-31")
		}
	}
	if i.OwnerID != nil {
		var n int
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE id = ? AND active = ? AND role <> 'requester'", *i.OwnerID, true).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add("owner_id", "no active member of staff with id %d", *i.OwnerID)
		}
	}
	return v.Err()
}

func auditOf(i Improvement) map[string]any {
	return map[string]any{"title": i.Title, "source": i.Source, "source_ref": i.SourceRef, "criteria": i.Criteria, "priority": i.Priority,
		"owner_id": i.OwnerID, "measure": i.MetricTitle, "due_on": i.DueOn}
}
