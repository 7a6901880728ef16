// Package schedule is where changes meet time: freeze periods,
// maintenance windows, the change calendar and its iCalendar feed, and
// the conflicts a change's window has with all of them and with other
// changes.
package schedule

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"steward/internal/calendar"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// The kinds of conflict a change's window can have.
const (
	// SameCI: another change touches the same CI in an overlapping window.
	SameCI = "same_ci"
	// RelatedCI: another change in an overlapping window touches a CI
	// that this change's CIs impact, or that impacts them.
	RelatedCI = "related_ci"
	// Freeze: the window overlaps a freeze period over its services or CIs.
	Freeze = "freeze"
	// OutsideMaintenance: the window is not inside the maintenance window
	// of an affected service or CI that has one.
	OutsideMaintenance = "outside_maintenance_window"
	// AssigneeBusy: the assignee implements another change in an
	// overlapping window.
	AssigneeBusy = "assignee_busy"
)

// Conflict is one reason a change's window clashes with something.
type Conflict struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Change is the other change's number, ChangeID its id.
	Change   string `json:"change,omitempty"`
	ChangeID int64  `json:"-"`
	FreezeID int64  `json:"freeze_id,omitempty"`
	CIID     int64  `json:"ci_id,omitempty"`
}

// Window is what conflict detection needs to know of a change: its
// half-open window [Start, End), what it touches and who implements it.
// ChangeID is 0 for a change not saved yet; other changes are compared
// with it, never itself.
type Window struct {
	ChangeID   int64
	Start, End time.Time
	CIs        []int64
	Services   []int64
	AssigneeID int64
}

// Calendars compiles the business calendars maintenance windows name
// (the SLA engine's cache does).
type Calendars interface {
	Calendar(ctx context.Context, q store.Querier, id int64) (*calendar.Calendar, error)
}

// Service finds conflicts and keeps freeze periods and maintenance
// windows.
type Service struct {
	DB *store.DB
	// CMDB answers which CIs impact or are impacted by others.
	CMDB *cmdb.Service
	// Calendars compiles maintenance calendars.
	Calendars Calendars
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// NewService builds a Service.
func NewService(db *store.DB, cm *cmdb.Service, cals Calendars) *Service {
	return &Service{DB: db, CMDB: cm, Calendars: cals, Now: time.Now}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return s.Now().UTC().Truncate(time.Microsecond)
}

// Limits on a window conflict detection is asked about.
const (
	MaxWindowCIs      = 1000
	MaxWindowServices = 1000
)

// occupant is another change whose window overlaps.
type occupant struct {
	id, assignee int64
	title        string
	cis          []int64
}

// Conflicts lists what w clashes with, read through q so that a caller
// inside a transaction sees its own writes. A window without a start or
// an end clashes with nothing. Other changes occupy their planned window
// unless closed, cancelled or rejected (drafts too); windows are
// half-open, so one ending at 12:00 and one starting at 12:00 do not
// overlap.
func (s *Service) Conflicts(ctx context.Context, q store.Querier, w Window) ([]Conflict, error) {
	out := []Conflict{}
	if w.Start.IsZero() || w.End.IsZero() {
		return out, nil
	}
	v := domainerr.NewInvalid()
	if !w.End.After(w.Start) {
		v.Add("planned_end", "must be after the planned start")
	}
	if len(w.CIs) > MaxWindowCIs {
		v.Add("ci_ids", "at most %d", MaxWindowCIs)
	}
	if len(w.Services) > MaxWindowServices {
		v.Add("service_ids", "at most %d", MaxWindowServices)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	w.CIs, w.Services = uniq(w.CIs), uniq(w.Services)
	occ, err := occupants(ctx, q, w)
	if err != nil {
		return nil, err
	}
	names := newNamer()
	cs, err := s.changeConflicts(ctx, w, occ, names)
	if err != nil {
		return nil, err
	}
	out = append(out, cs...)
	fz, err := freezeConflicts(ctx, q, w)
	if err != nil {
		return nil, err
	}
	out = append(out, fz...)
	mw, err := s.maintenanceConflicts(ctx, q, w)
	if err != nil {
		return nil, err
	}
	out = append(out, mw...)
	if err := names.fill(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// occupants reads the changes whose windows overlap w's, with their CIs.
func occupants(ctx context.Context, q store.Querier, w Window) ([]*occupant, error) {
	longest, err := longestWindow(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, title, coalesce(assignee_id, 0) FROM changes
		WHERE planned_start IS NOT NULL AND state NOT IN ('closed', 'cancelled', 'rejected')
		AND planned_start >= ? AND planned_start < ? AND planned_end > ? AND id <> ? ORDER BY planned_start, id`,
		store.TS(w.Start.Add(-longest)), store.TS(w.End), store.TS(w.Start), w.ChangeID)
	if err != nil {
		return nil, err
	}
	var out []*occupant
	byID := map[int64]*occupant{}
	for rows.Next() {
		o := &occupant{}
		if err := rows.Scan(&o.id, &o.title, &o.assignee); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
		byID[o.id] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]int64, len(out))
	for i, o := range out {
		ids[i] = o.id
	}
	err = inBatches(ids, func(batch []int64) error {
		rows, err := q.Query(ctx, "SELECT record_id, ci_id FROM record_cis WHERE kind = 'change' AND record_id IN ("+marks(len(batch))+")", args(batch)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var rid, ci int64
			if err := rows.Scan(&rid, &ci); err != nil {
				return err
			}
			byID[rid].cis = append(byID[rid].cis, ci)
		}
		return rows.Err()
	})
	for _, o := range out {
		sort.Slice(o.cis, func(i, j int) bool { return o.cis[i] < o.cis[j] })
	}
	return out, err
}

// changeConflicts compares w with the other changes in its window: the
// same CI, a CI related through the impact graph, the same assignee.
func (s *Service) changeConflicts(ctx context.Context, w Window, occ []*occupant, names *namer) ([]Conflict, error) {
	mine := map[int64]bool{}
	for _, id := range w.CIs {
		mine[id] = true
	}
	want := map[int64]bool{}
	for _, o := range occ {
		for _, ci := range o.cis {
			if !mine[ci] {
				want[ci] = true
			}
		}
	}
	var reach map[int64]cmdb.Reach
	if len(want) > 0 && len(w.CIs) > 0 && s.CMDB != nil {
		var err error
		if reach, err = s.CMDB.Reached(ctx, w.CIs, want, 0); err != nil {
			return nil, err
		}
	}
	var out []Conflict
	for _, o := range occ {
		num := ChangeNumber(o.id)
		var nearest *cmdb.Reach
		var nearCI int64
		for _, ci := range o.cis {
			if mine[ci] {
				out = append(out, Conflict{Kind: SameCI, Change: num, ChangeID: o.id, CIID: ci,
					Reason: fmt.Sprintf("%s %s also works on %s in an overlapping window.", num, quote(o.title), names.ci(ci))})
				continue
			}
			if r, ok := reach[ci]; ok && (nearest == nil || r.Depth < nearest.Depth) {
				nearest, nearCI = &r, ci
			}
		}
		if nearest != nil {
			rel := "which %s, touched by this change, depends on"
			if nearest.Down {
				rel = "which depends on %s, touched by this change"
			}
			hops := ""
			if nearest.Depth > 1 {
				hops = fmt.Sprintf(" (through %d relationships)", nearest.Depth)
			}
			out = append(out, Conflict{Kind: RelatedCI, Change: num, ChangeID: o.id, CIID: nearCI,
				Reason: fmt.Sprintf("%s %s works in an overlapping window on %s, "+rel+"%s.",
					num, quote(o.title), names.ci(nearCI), names.ci(nearest.From), hops)})
		}
		if w.AssigneeID != 0 && o.assignee == w.AssigneeID {
			out = append(out, Conflict{Kind: AssigneeBusy, Change: num, ChangeID: o.id,
				Reason: fmt.Sprintf("%s implements %s %s in an overlapping window.", names.user(o.assignee), num, quote(o.title))})
		}
	}
	return out, nil
}

// freezeConflicts lists the freeze periods overlapping w that cover its
// services or CIs.
func freezeConflicts(ctx context.Context, q store.Querier, w Window) ([]Conflict, error) {
	list, err := ListFreezes(ctx, q, w.Start, w.End, 1000)
	if err != nil {
		return nil, err
	}
	var out []Conflict
	for _, f := range list {
		if !f.Covers(w.Services, w.CIs) {
			continue
		}
		scope := "every service and CI"
		if !f.Everything() {
			scope = "services or CIs this change touches"
		}
		out = append(out, Conflict{Kind: Freeze, FreezeID: f.ID,
			Reason: fmt.Sprintf("The window overlaps the freeze period %s, which covers %s.", quote(f.Name), scope)})
	}
	return out, nil
}

// maintenanceConflicts lists the services and CIs of w whose maintenance
// window does not hold all of w's window.
func (s *Service) maintenanceConflicts(ctx context.Context, q store.Querier, w Window) ([]Conflict, error) {
	owners, err := maintenanceOwners(ctx, q, w.Services, w.CIs)
	if err != nil {
		return nil, err
	}
	var out []Conflict
	for _, m := range owners {
		if s.Calendars == nil {
			break
		}
		cal, err := s.Calendars.Calendar(ctx, q, m.CalendarID)
		if err != nil {
			return nil, err
		}
		if cal.Elapsed(w.Start, w.End) == w.End.Sub(w.Start) {
			continue
		}
		c := Conflict{Kind: OutsideMaintenance,
			Reason: fmt.Sprintf("The window is not inside the maintenance window of %s %s (calendar %s).", m.what(), quote(m.Name), quote(m.CalendarName))}
		if m.CIID != 0 {
			c.CIID = m.CIID
		}
		out = append(out, c)
	}
	return out, nil
}

// namer looks up the names of the CIs and people conflicts mention, all
// at once after the conflicts are found: reasons hold placeholders until
// then.
type namer struct {
	cis, users map[int64]string
}

func newNamer() *namer { return &namer{cis: map[int64]string{}, users: map[int64]string{}} }

func (n *namer) ci(id int64) string {
	n.cis[id] = ""
	return fmt.Sprintf("\x00ci:%d\x00", id)
}

func (n *namer) user(id int64) string {
	n.users[id] = ""
	return fmt.Sprintf("\x00user:%d\x00", id)
}

func (n *namer) fill(ctx context.Context, q store.Querier, list []Conflict) error {
	for _, t := range []struct {
		sql string
		m   map[int64]string
	}{{"SELECT id, name FROM cis WHERE id IN (", n.cis}, {"SELECT id, name FROM users WHERE id IN (", n.users}} {
		ids := make([]int64, 0, len(t.m))
		for id := range t.m {
			ids = append(ids, id)
		}
		err := inBatches(ids, func(batch []int64) error {
			rows, err := q.Query(ctx, t.sql+marks(len(batch))+")", args(batch)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					return err
				}
				t.m[id] = name
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
	}
	var pairs []string
	for id, name := range n.cis {
		if name == "" {
			name = fmt.Sprintf("CI %d", id)
		}
		pairs = append(pairs, fmt.Sprintf("\x00ci:%d\x00", id), quote(name))
	}
	for id, name := range n.users {
		if name == "" {
			name = fmt.Sprintf("user %d", id)
		}
		pairs = append(pairs, fmt.Sprintf("\x00user:%d\x00", id), name)
	}
	r := strings.NewReplacer(pairs...)
	for i := range list {
		list[i].Reason = r.Replace(list[i].Reason)
	}
	return nil
}
