package schedule

import (
	"context"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Range limits of the change calendar.
const (
	MaxRange     = 100 * 24 * time.Hour // a month view with its edges, a quarter's list
	MaxFeedRange = 400 * 24 * time.Hour
	// MaxCalendarChanges bounds the changes one range lists.
	MaxCalendarChanges = 5000
)

// CalendarQuery asks for the change calendar in [From, To), optionally
// only what concerns one service or one CI.
type CalendarQuery struct {
	From, To  time.Time
	ServiceID int64
	CIID      int64
}

// Check validates a range no longer than max.
func (q CalendarQuery) Check(max time.Duration) error {
	v := domainerr.NewInvalid()
	if q.From.IsZero() {
		v.Add("from", "is required")
	}
	if q.To.IsZero() {
		v.Add("to", "is required")
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		switch {
		case !q.To.After(q.From):
			v.Add("to", "must be after from")
		case q.To.Sub(q.From) > max:
			v.Add("to", "the range may span at most %d days", int(max/(24*time.Hour)))
		}
	}
	if q.ServiceID < 0 {
		v.Add("service_id", "must be a positive whole number")
	}
	if q.CIID < 0 {
		v.Add("ci_id", "must be a positive whole number")
	}
	return v.Err()
}

// CalendarChange is a change as the calendar shows it.
type CalendarChange struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	Title      string    `json:"title"`
	Type       string    `json:"type"`
	State      string    `json:"state"`
	Start      time.Time `json:"planned_start"`
	End        time.Time `json:"planned_end"`
	AssigneeID *int64    `json:"assignee_id"`
	// Clashes says, for the calendar's own eyes, why this change clashes
	// with another change or a freeze shown in the same range.
	Clashes []string `json:"-"`
}

// ChangeCalendar is what happens in a range.
type ChangeCalendar struct {
	From               time.Time           `json:"from"`
	To                 time.Time           `json:"to"`
	Changes            []CalendarChange    `json:"changes"`
	FreezePeriods      []FreezePeriod      `json:"freeze_periods"`
	MaintenanceWindows []MaintenanceWindow `json:"maintenance_windows"`
	// Truncated is true when more changes fall in the range than listed.
	Truncated bool `json:"truncated"`
}

// Calendar lists the changes planned in the range (all but cancelled and
// rejected ones, closed ones too: the calendar is also the record of
// what was done), the freeze periods and the maintenance windows. With a
// service or CI, only the changes touching it, the freezes covering it
// and its own maintenance window.
func (s *Service) Calendar(ctx context.Context, q store.Querier, cq CalendarQuery, max time.Duration) (ChangeCalendar, error) {
	if err := cq.Check(max); err != nil {
		return ChangeCalendar{}, err
	}
	out := ChangeCalendar{From: cq.From.UTC(), To: cq.To.UTC()}
	var err error
	if out.Changes, out.Truncated, err = calendarChanges(ctx, q, cq); err != nil {
		return out, err
	}
	freezes, err := ListFreezes(ctx, q, cq.From, cq.To, 1000)
	if err != nil {
		return out, err
	}
	out.FreezePeriods = []FreezePeriod{}
	for _, f := range freezes {
		if cq.ServiceID == 0 && cq.CIID == 0 || f.Covers(nonzero(cq.ServiceID), nonzero(cq.CIID)) {
			out.FreezePeriods = append(out.FreezePeriods, f)
		}
	}
	owners, err := listMaintenanceOwners(ctx, q, cq.ServiceID, cq.CIID)
	if err != nil {
		return out, err
	}
	if out.MaintenanceWindows, err = s.maintenanceWindows(ctx, q, owners, cq.From, cq.To); err != nil {
		return out, err
	}
	return out, nil
}

func nonzero(id int64) []int64 {
	if id == 0 {
		return nil
	}
	return []int64{id}
}

func calendarChanges(ctx context.Context, q store.Querier, cq CalendarQuery) ([]CalendarChange, bool, error) {
	longest, err := longestWindow(ctx, q)
	if err != nil {
		return nil, false, err
	}
	sql := `SELECT c.id, c.title, c.type, c.state, c.planned_start, c.planned_end, c.assignee_id FROM changes c
		WHERE c.planned_start IS NOT NULL AND c.state NOT IN ('cancelled', 'rejected')
		AND c.planned_start >= ? AND c.planned_start < ? AND c.planned_end > ?`
	a := []any{store.TS(cq.From.Add(-longest)), store.TS(cq.To), store.TS(cq.From)}
	if cq.ServiceID != 0 {
		sql += ` AND EXISTS (SELECT 1 FROM change_services cs WHERE cs.change_id = c.id AND cs.service_id = ?)`
		a = append(a, cq.ServiceID)
	}
	if cq.CIID != 0 {
		sql += ` AND EXISTS (SELECT 1 FROM record_cis rc WHERE rc.kind = 'change' AND rc.record_id = c.id AND rc.ci_id = ?)`
		a = append(a, cq.CIID)
	}
	sql += ` ORDER BY c.planned_start, c.id LIMIT ?`
	a = append(a, MaxCalendarChanges+1)
	rows, err := q.Query(ctx, sql, a...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []CalendarChange{}
	for rows.Next() {
		var c CalendarChange
		var st, en store.Time
		var asg *int64
		if err := rows.Scan(&c.ID, &c.Title, &c.Type, &c.State, &st, &en, &asg); err != nil {
			return nil, false, err
		}
		c.Number, c.Start, c.End, c.AssigneeID = ChangeNumber(c.ID), st.Time, en.Time, asg
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(out) > MaxCalendarChanges {
		return out[:MaxCalendarChanges], true, nil
	}
	return out, false, nil
}

// MarkClashes notes on the calendar's changes which clash with another
// change in it (the same CI or the same assignee in overlapping windows)
// or with a freeze it shows, for the views to flag; the full analysis,
// through the impact graph and maintenance windows, is Conflicts.
func (s *Service) MarkClashes(ctx context.Context, q store.Querier, cal *ChangeCalendar) error {
	var ids []int64
	for _, c := range cal.Changes {
		if c.State != "closed" {
			ids = append(ids, c.ID)
		}
	}
	cis := map[int64][]int64{}
	svcs := map[int64][]int64{}
	for _, t := range []struct {
		sql string
		m   map[int64][]int64
	}{{"SELECT record_id, ci_id FROM record_cis WHERE kind = 'change' AND record_id IN (", cis},
		{"SELECT change_id, service_id FROM change_services WHERE change_id IN (", svcs}} {
		err := inBatches(ids, func(batch []int64) error {
			rows, err := q.Query(ctx, t.sql+marks(len(batch))+")", args(batch)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, x int64
				if err := rows.Scan(&id, &x); err != nil {
					return err
				}
				t.m[id] = append(t.m[id], x)
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
	}
	list := cal.Changes
	for i := range list {
		a := &list[i]
		if a.State == "closed" {
			continue
		}
		for _, f := range cal.FreezePeriods {
			if a.Start.Before(f.End) && f.Start.Before(a.End) && f.Covers(svcs[a.ID], cis[a.ID]) {
				a.Clashes = append(a.Clashes, "During the freeze "+quote(f.Name))
			}
		}
		// Sorted by start: only the changes starting before a ends can overlap it.
		for j := i + 1; j < len(list) && list[j].Start.Before(a.End); j++ {
			b := &list[j]
			if b.State == "closed" || !b.End.After(a.Start) {
				continue
			}
			why := ""
			switch {
			case intersects(cis[a.ID], cis[b.ID]):
				why = "the same CI"
			case a.AssigneeID != nil && b.AssigneeID != nil && *a.AssigneeID == *b.AssigneeID:
				why = "the same assignee"
			default:
				continue
			}
			a.Clashes = append(a.Clashes, "Overlaps "+b.Number+" on "+why)
			b.Clashes = append(b.Clashes, "Overlaps "+a.Number+" on "+why)
		}
	}
	return nil
}
