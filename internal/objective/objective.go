// Package objective keeps the service management objectives (ISO/IEC
// 20000-1 clause 6.2): each a target on one of the measures Steward
// computes (package kpi), owned by someone, due by a date. Progress is
// computed from the records whenever it is read, never typed in.
package objective

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/kpi"
	"steward/internal/store"
)

// Service keeps the objectives.
type Service struct {
	DB  *store.DB
	Now func() time.Time // the clock; time.Now when nil
	// Loc is the organisation's time zone: an objective's dates are its
	// days, and its series is cut into its weeks and months, as KPI
	// periods are. UTC when nil.
	Loc *time.Location
}

// location is the organisation's time zone.
func (s *Service) location() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

// NewService builds the objectives on db.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

const dateOnly = "2006-01-02"

// Directions say which side of the target is good.
var Directions = []string{"at_least", "at_most"}

// Objective is a target on a metric over a trailing period.
type Objective struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	OwnerID     *int64    `json:"owner_id"`
	OwnerName   string    `json:"owner_name"`
	MetricKey   string    `json:"metric_key"`
	MetricTitle string    `json:"metric_title"`
	Unit        string    `json:"unit"`
	PeriodDays  int       `json:"period_days"`
	Target      float64   `json:"target"`
	Direction   string    `json:"direction"`
	Baseline    *float64  `json:"baseline"`
	StartsOn    string    `json:"starts_on"`
	DueOn       string    `json:"due_on"`
	Status      string    `json:"status"`
	Progress    Progress  `json:"progress"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int       `json:"version"`
}

// Progress is where an objective stands: the metric over the period
// ending today (or on the due date, once past), and what that means.
type Progress struct {
	// State is on_track, off_track, achieved, missed, no_data or withdrawn.
	State string    `json:"state"`
	Value float64   `json:"value"`
	N     int       `json:"n"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	// Percent is how far the value is towards the target, 0 to 100.
	Percent float64 `json:"percent"`
	Link    string  `json:"link,omitempty"`
}

// Meets reports whether value satisfies the objective's target.
func (o Objective) Meets(value float64) bool {
	if o.Direction == "at_most" {
		return value <= o.Target
	}
	return value >= o.Target
}

// TargetWords is the target as a reader says it: "at least 95 %".
func (o Objective) TargetWords() string {
	w := "at least "
	if o.Direction == "at_most" {
		w = "at most "
	}
	return w + Number(o.Target) + " " + o.Unit
}

// Number writes a figure with at most one decimal.
func Number(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

// Input creates an objective or, with nil fields left alone, changes one.
type Input struct {
	Title       *string  `json:"title"`
	Description *string  `json:"description"`
	OwnerID     *int64   `json:"owner_id"`
	MetricKey   *string  `json:"metric_key"`
	PeriodDays  *int     `json:"period_days"`
	Target      *float64 `json:"target"`
	Direction   *string  `json:"direction"`
	Baseline    *float64 `json:"baseline"`
	StartsOn    *string  `json:"starts_on"`
	DueOn       *string  `json:"due_on"`
	// Status is active or withdrawn; achieved and missed are computed.
	Status *string `json:"status"`
}

const cols = `o.id, o.title, o.description, o.owner_id, COALESCE(u.name, ''), o.metric_key, o.period_days, o.target, o.direction,
	o.baseline, o.starts_on, o.due_on, o.status, o.created_at, o.updated_at, o.version FROM objectives o LEFT JOIN users u ON u.id = o.owner_id`

func scan(row interface{ Scan(...any) error }) (Objective, error) {
	var o Objective
	var cr, up store.Time
	err := row.Scan(&o.ID, &o.Title, &o.Description, &o.OwnerID, &o.OwnerName, &o.MetricKey, &o.PeriodDays, &o.Target, &o.Direction,
		&o.Baseline, &o.StartsOn, &o.DueOn, &o.Status, &cr, &up, &o.Version)
	o.CreatedAt, o.UpdatedAt = cr.Time, up.Time
	if m, ok := kpi.Get(o.MetricKey); ok {
		o.MetricTitle, o.Unit = m.Title, m.Unit
	}
	return o, store.ScanErr(err)
}

// Get loads one objective with its progress.
func (s *Service) Get(ctx context.Context, id int64) (Objective, error) {
	o, err := scan(s.DB.QueryRow(ctx, "SELECT "+cols+" WHERE o.id = ?", id))
	if err != nil {
		return o, err
	}
	o.Progress, err = s.progress(ctx, o)
	return o, err
}

// MaxList bounds a list of objectives.
const MaxList = 200

// List lists the objectives, soonest due first, with their progress.
func (s *Service) List(ctx context.Context) ([]Objective, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+cols+" ORDER BY o.status = 'withdrawn', o.due_on, o.id LIMIT ?", MaxList)
	if err != nil {
		return nil, err
	}
	out := []Objective{}
	for rows.Next() {
		o, err := scan(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Progress, err = s.progress(ctx, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// progress computes the metric over the period ending today, or ending
// on the due date once that has passed.
func (s *Service) progress(ctx context.Context, o Objective) (Progress, error) {
	if o.Status == "withdrawn" {
		return Progress{State: "withdrawn"}, nil
	}
	m, ok := kpi.Get(o.MetricKey)
	if !ok {
		return Progress{State: "no_data"}, nil
	}
	now := s.now()
	end, past := now, false
	if due, ok := o.dueEnd(s.location()); ok && !now.Before(due) {
		end, past = due, true
	}
	p := Progress{From: end.AddDate(0, 0, -o.PeriodDays), To: end}
	v, err := m.Compute(ctx, s.DB, p.From, p.To)
	if err != nil {
		return p, err
	}
	p.Value, p.N, p.Link = v.Value, v.N, v.Link
	switch {
	case v.NoData():
		p.State = "no_data"
	case o.Meets(v.Value) && past:
		p.State = "achieved"
	case past:
		p.State = "missed"
	case o.Meets(v.Value):
		p.State = "on_track"
	default:
		p.State = "off_track"
	}
	if !v.NoData() {
		p.Percent = 100
		switch {
		case o.Meets(v.Value):
		case o.Direction == "at_least" && o.Target > 0:
			p.Percent = math.Max(0, 100*v.Value/o.Target)
		case o.Direction == "at_most" && v.Value > 0:
			p.Percent = 100 * o.Target / v.Value
		}
	}
	return p, nil
}

// Series is the objective's metric since its start, by week for objectives
// of half a year or less, else by month.
func (s *Service) Series(ctx context.Context, o Objective) ([]kpi.Point, error) {
	m, ok := kpi.Get(o.MetricKey)
	if !ok {
		return nil, nil
	}
	from, err := time.ParseInLocation(dateOnly, o.StartsOn, s.location())
	if err != nil {
		return nil, err
	}
	to := s.now()
	if due, ok := o.dueEnd(s.location()); ok && due.Before(to) {
		to = due
	}
	if !to.After(from) {
		return nil, nil
	}
	bucket := "week"
	if to.Sub(from) > 183*24*time.Hour {
		bucket = "month"
	}
	return kpi.SeriesIn(ctx, s.DB, m, from, to, bucket, s.location())
}

// Create adds an objective.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in Input) (Objective, error) {
	o := Objective{PeriodDays: 90, Direction: "at_least", Status: "active"}
	v := domainerr.NewInvalid()
	for _, x := range []struct {
		field string
		set   bool
	}{{"title", in.Title != nil}, {"owner_id", in.OwnerID != nil}, {"metric_key", in.MetricKey != nil}, {"target", in.Target != nil},
		{"starts_on", in.StartsOn != nil}, {"due_on", in.DueOn != nil}} {
		if !x.set {
			v.Add(x.field, "is required")
		}
	}
	if err := v.Err(); err != nil {
		return o, err
	}
	apply(&o, in)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := check(ctx, tx, o); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO objectives (title, description, owner_id, metric_key, period_days, target, direction, baseline,
			starts_on, due_on, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			o.Title, o.Description, o.OwnerID, o.MetricKey, o.PeriodDays, o.Target, o.Direction, o.Baseline, o.StartsOn, o.DueOn, o.Status,
			actor.UserID(), store.TS(now), store.TS(now)).Scan(&o.ID)
		if err != nil {
			return store.Translate(store.ScanErr(err))
		}
		return audit.Record(ctx, tx, actor, "create", "objective", o.ID, auditOf(o))
	})
	if err != nil {
		return Objective{}, err
	}
	return s.Get(ctx, o.ID)
}

// Update changes the fields in given; ifVersion, when not 0, must be the
// version the caller saw.
func (s *Service) Update(ctx context.Context, actor audit.Actor, id int64, in Input, ifVersion int) (Objective, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		o, err := scan(tx.QueryRow(ctx, "SELECT "+cols+" WHERE o.id = ?", id))
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != o.Version {
			return domainerr.ErrStale
		}
		apply(&o, in)
		if err := check(ctx, tx, o); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE objectives SET title = ?, description = ?, owner_id = ?, metric_key = ?, period_days = ?, target = ?,
			direction = ?, baseline = ?, starts_on = ?, due_on = ?, status = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			o.Title, o.Description, o.OwnerID, o.MetricKey, o.PeriodDays, o.Target, o.Direction, o.Baseline, o.StartsOn, o.DueOn, o.Status,
			store.TS(s.now()), id, o.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "update", "objective", id, auditOf(o))
	})
	if err != nil {
		return Objective{}, err
	}
	return s.Get(ctx, id)
}

func apply(o *Objective, in Input) {
	text := func(dst, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	text(&o.Title, in.Title)
	text(&o.Description, in.Description)
	text(&o.MetricKey, in.MetricKey)
	text(&o.Direction, in.Direction)
	text(&o.StartsOn, in.StartsOn)
	text(&o.DueOn, in.DueOn)
	text(&o.Status, in.Status)
	if in.OwnerID != nil {
		id := *in.OwnerID
		o.OwnerID = &id
	}
	if in.PeriodDays != nil {
		o.PeriodDays = *in.PeriodDays
	}
	if in.Target != nil {
		o.Target = *in.Target
	}
	if in.Baseline != nil {
		b := *in.Baseline
		o.Baseline = &b
	}
	if m, ok := kpi.Get(o.MetricKey); ok {
		o.MetricTitle, o.Unit = m.Title, m.Unit
	}
}

func check(ctx context.Context, q store.Querier, o Objective) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", o.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", o.Description, false, domainerr.MaxText)
	m, ok := kpi.Get(o.MetricKey)
	if !ok {
		v.Add("metric_key", "choose a measure from the list")
	}
	if o.PeriodDays < 1 || o.PeriodDays > 3660 {
		v.Add("period_days", "must be from 1 to 3660 days")
	}
	checkFigure(v, "target", o.Target, m, ok)
	if o.Baseline != nil {
		checkFigure(v, "baseline", *o.Baseline, m, ok)
	}
	if !slices.Contains(Directions, o.Direction) {
		v.Add("direction", "must be at_least or at_most")
	}
	if !slices.Contains([]string{"active", "withdrawn"}, o.Status) {
		v.Add("status", "must be active or withdrawn")
	}
	start, serr := time.Parse(dateOnly, o.StartsOn)
	if serr != nil {
		v.Add("starts_on", "must be a date such as 2026-01-01")
	}
	due, derr := time.Parse(dateOnly, o.DueOn)
	if derr != nil {
		v.Add("due_on", "must be a date such as 2026-12-31")
	}
	if serr == nil && derr == nil && !due.After(start) {
		v.Add("due_on", "must be after the start")
	}
	if o.OwnerID == nil || *o.OwnerID <= 0 {
		v.Add("owner_id", "is required: every objective has an owner")
	} else {
		var n int
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE id = ? AND active = ? AND role <> 'requester'", *o.OwnerID, true).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add("owner_id", "no active member of staff with id %d", *o.OwnerID)
		}
	}
	return v.Err()
}

func checkFigure(v *domainerr.Invalid, field string, f float64, m kpi.Metric, known bool) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		v.Add(field, "must be a number")
	case f < 0:
		v.Add(field, "cannot be negative")
	case known && m.Unit == "%" && f > 100:
		v.Add(field, "is a percentage: at most 100")
	}
}

// dueEnd is the end of the due day on the organisation's calendar (loc):
// the records of the day itself count, and the objective is decided when
// it is over.
func (o Objective) dueEnd(loc *time.Location) (time.Time, bool) {
	due, err := time.ParseInLocation(dateOnly, o.DueOn, loc)
	return due.AddDate(0, 0, 1).UTC(), err == nil
}

func auditOf(o Objective) map[string]any {
	return map[string]any{"title": o.Title, "owner_id": o.OwnerID, "measure": o.MetricTitle, "period_days": o.PeriodDays,
		"target": o.Target, "direction": o.Direction, "baseline": o.Baseline, "starts_on": o.StartsOn, "due_on": o.DueOn, "status": o.Status}
}
