package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"steward/internal/audit"
	"steward/internal/calendar"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// DefaultCalendarID is the built-in round-the-clock calendar, created with
// the schema. A goal that names no calendar (calendar_id 0 or absent) uses it.
const DefaultCalendarID int64 = 1

// BusinessCalendar is a stored calendar: the spec users write plus the
// record's bookkeeping.
type BusinessCalendar struct {
	ID int64 `json:"id"`
	calendar.Spec
	// Builtin marks the 24x7 calendar, which can be neither changed nor deleted.
	Builtin   bool      `json:"builtin"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`
}

// HolidayImport is the outcome of importing an iCalendar file.
type HolidayImport struct {
	Added      int              `json:"added"`
	Duplicates int              `json:"duplicates"` // already in the calendar or twice in the file
	Recomputed int              `json:"timers_recomputed"`
	Calendar   BusinessCalendar `json:"calendar"`
}

const calendarCols = "id, name, time_zone, windows, holidays, builtin, created_at, updated_at, version"

func scanCalendar(row interface{ Scan(...any) error }) (BusinessCalendar, error) {
	var c BusinessCalendar
	var win, hols string
	var created, updated store.Time
	if err := row.Scan(&c.ID, &c.Name, &c.TimeZone, &win, &hols, &c.Builtin, &created, &updated, &c.Version); err != nil {
		return c, store.ScanErr(err)
	}
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	if err := json.Unmarshal([]byte(win), &c.Windows); err != nil {
		return c, fmt.Errorf("calendar %d: windows: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(hols), &c.Holidays); err != nil {
		return c, fmt.Errorf("calendar %d: holidays: %w", c.ID, err)
	}
	c.Spec.Normalize()
	return c, nil
}

// GetCalendar loads one calendar.
func GetCalendar(ctx context.Context, q store.Querier, id int64) (BusinessCalendar, error) {
	return scanCalendar(q.QueryRow(ctx, "SELECT "+calendarCols+" FROM calendars WHERE id = ?", id))
}

// ListCalendars returns calendars ordered by name, after the keyset (name, id).
func ListCalendars(ctx context.Context, q store.Querier, afterName string, afterID int64, limit int) ([]BusinessCalendar, error) {
	rows, err := q.Query(ctx, "SELECT "+calendarCols+" FROM calendars WHERE (name > ? OR (name = ? AND id > ?)) ORDER BY name, id LIMIT ?",
		afterName, afterName, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []BusinessCalendar{}
	for rows.Next() {
		c, err := scanCalendar(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CalendarNames maps every calendar's id to its name, for forms.
func CalendarNames(ctx context.Context, q store.Querier) (map[int64]string, error) {
	return names(ctx, q, "SELECT id, name FROM calendars ORDER BY name LIMIT 5000")
}

func names(ctx context.Context, q store.Querier, query string) (map[int64]string, error) {
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

func checkSpec(spec *calendar.Spec) error {
	spec.Normalize()
	return spec.Validate()
}

func specJSON(spec calendar.Spec) (win, hols string) {
	w, _ := json.Marshal(spec.Windows)
	h, _ := json.Marshal(spec.Holidays)
	return string(w), string(h)
}

func nameTaken(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return domainerr.Field("name", "a calendar named %q already exists", name)
	}
	return err
}

// CreateCalendar stores a new calendar.
func (s *Service) CreateCalendar(ctx context.Context, actor audit.Actor, spec calendar.Spec) (BusinessCalendar, error) {
	if err := checkSpec(&spec); err != nil {
		return BusinessCalendar{}, err
	}
	now := store.TS(s.now())
	win, hols := specJSON(spec)
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := store.ScanErr(tx.QueryRow(ctx, `INSERT INTO calendars (name, time_zone, windows, holidays, builtin, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, spec.Name, spec.TimeZone, win, hols, false, now, now).Scan(&id))
		if err != nil {
			return nameTaken(err, spec.Name)
		}
		return audit.Record(ctx, tx, actor, "create", "calendar", id, spec)
	})
	if err != nil {
		return BusinessCalendar{}, err
	}
	return GetCalendar(ctx, s.DB, id)
}

// UpdateCalendar replaces a calendar's spec and recomputes the open timers
// that use it; it returns how many were recomputed. ifVersion 0 skips the
// concurrency check.
func (s *Service) UpdateCalendar(ctx context.Context, actor audit.Actor, id int64, spec calendar.Spec, ifVersion int) (BusinessCalendar, int, error) {
	if err := checkSpec(&spec); err != nil {
		return BusinessCalendar{}, 0, err
	}
	var recomputed int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.changeableCalendar(ctx, tx, id, ifVersion)
		if err != nil {
			return err
		}
		recomputed, err = s.saveCalendar(ctx, tx, actor, cur, spec)
		return err
	})
	if err != nil {
		return BusinessCalendar{}, 0, err
	}
	c, err := GetCalendar(ctx, s.DB, id)
	return c, recomputed, err
}

// changeableCalendar loads a calendar for a change, refusing the built-in
// one and stale versions.
func (s *Service) changeableCalendar(ctx context.Context, tx *store.Tx, id int64, ifVersion int) (BusinessCalendar, error) {
	cur, err := GetCalendar(ctx, tx, id)
	if err != nil {
		return cur, err
	}
	if cur.Builtin {
		return cur, domainerr.Conflictf("the built-in %s calendar cannot be changed or deleted; create a calendar of your own instead", cur.Name)
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return cur, domainerr.ErrStale
	}
	return cur, nil
}

// saveCalendar writes spec over cur, audits the difference and
// recomputes the open timers that use the calendar.
func (s *Service) saveCalendar(ctx context.Context, tx *store.Tx, actor audit.Actor, cur BusinessCalendar, spec calendar.Spec) (int, error) {
	win, hols := specJSON(spec)
	res, err := tx.Exec(ctx, `UPDATE calendars SET name = ?, time_zone = ?, windows = ?, holidays = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ?`, spec.Name, spec.TimeZone, win, hols, store.TS(s.now()), cur.ID, cur.Version)
	if err != nil {
		return 0, nameTaken(err, spec.Name)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if n != 1 {
		return 0, domainerr.ErrStale
	}
	if err := audit.Record(ctx, tx, actor, "update", "calendar", cur.ID, calendarChanges(cur.Spec, spec)); err != nil {
		return 0, err
	}
	return s.RecomputeCalendar(ctx, tx, cur.ID)
}

// calendarChanges lists what changed for the audit trail: old and new
// values, and for holidays those added and removed.
func calendarChanges(old, next calendar.Spec) map[string]any {
	ch := map[string]any{}
	if old.Name != next.Name {
		ch["name"] = [2]string{old.Name, next.Name}
	}
	if old.TimeZone != next.TimeZone {
		ch["time_zone"] = [2]string{old.TimeZone, next.TimeZone}
	}
	ow, _ := json.Marshal(old.Windows)
	nw, _ := json.Marshal(next.Windows)
	if string(ow) != string(nw) {
		ch["windows"] = [2][]calendar.Window{old.Windows, next.Windows}
	}
	added, removed := holidayDiff(old.Holidays, next.Holidays)
	if len(added) > 0 {
		ch["holidays_added"] = added
	}
	if len(removed) > 0 {
		ch["holidays_removed"] = removed
	}
	return ch
}

func holidayDiff(old, next []calendar.Holiday) (added, removed []calendar.Holiday) {
	in := func(list []calendar.Holiday) map[calendar.Holiday]int {
		m := map[calendar.Holiday]int{}
		for _, h := range list {
			m[h]++
		}
		return m
	}
	om, nm := in(old), in(next)
	for _, h := range next {
		if om[h] > 0 {
			om[h]--
		} else {
			added = append(added, h)
		}
	}
	for _, h := range old {
		if nm[h] > 0 {
			nm[h]--
		} else {
			removed = append(removed, h)
		}
	}
	return added, removed
}

// ImportHolidays reads an iCalendar file (see calendar.ParseICS) in the
// calendar's zone and appends its holidays, skipping those the calendar
// already has. Errors in the file are reported on the field "file". The
// file is read before the write transaction begins, so that a large one
// does not hold up other writers.
func (s *Service) ImportHolidays(ctx context.Context, actor audit.Actor, id int64, r io.Reader, ifVersion int) (HolidayImport, error) {
	var out HolidayImport
	before, err := GetCalendar(ctx, s.DB, id)
	if err != nil {
		return out, err
	}
	loc, err := calendar.LoadZone(before.TimeZone)
	if err != nil {
		return out, domainerr.Field("time_zone", "%s", err)
	}
	parsed, err := calendar.ParseICS(r, loc)
	var ie *calendar.ICSError
	if errors.As(err, &ie) {
		return out, domainerr.Field("file", "%s", ie.Error())
	} else if err != nil {
		return out, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.changeableCalendar(ctx, tx, id, ifVersion)
		if err != nil {
			return err
		}
		if cur.TimeZone != before.TimeZone {
			// The file was read in a zone the calendar no longer has.
			return domainerr.ErrStale
		}
		spec := cur.Spec
		spec.Holidays = append([]calendar.Holiday(nil), cur.Holidays...)
		seen := map[calendar.Holiday]bool{}
		for _, h := range spec.Holidays {
			seen[h] = true
		}
		for _, h := range parsed {
			if seen[h] {
				out.Duplicates++
				continue
			}
			seen[h] = true
			spec.Holidays = append(spec.Holidays, h)
			out.Added++
		}
		if err := checkSpec(&spec); err != nil {
			return err
		}
		if out.Added == 0 {
			return nil
		}
		out.Recomputed, err = s.saveCalendar(ctx, tx, actor, cur, spec)
		return err
	})
	if err != nil {
		return HolidayImport{}, err
	}
	out.Calendar, err = GetCalendar(ctx, s.DB, id)
	return out, err
}

// DeleteCalendar removes a calendar that no definition's goal uses.
func (s *Service) DeleteCalendar(ctx context.Context, actor audit.Actor, id int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.changeableCalendar(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		users, err := definitionsUsingCalendar(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return domainerr.Conflictf("calendar %q is used by the goals of %d definition(s), such as %q; change those goals first",
				cur.Name, len(users), users[0])
		}
		_, err = tx.Exec(ctx, "DELETE FROM calendars WHERE id = ?", id)
		if errors.Is(err, store.ErrReferenced) {
			return domainerr.Conflictf("calendar %q is still in use: by timers, or as the maintenance window of a service or CI", cur.Name)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "calendar", id, map[string]any{"name": cur.Name})
	})
}

// definitionsUsingCalendar names the definitions with a goal on calendar id.
func definitionsUsingCalendar(ctx context.Context, q store.Querier, id int64) ([]string, error) {
	// The pattern only narrows the rows; the goals are then read exactly.
	rows, err := q.Query(ctx, "SELECT name, goals FROM sla_definitions WHERE goals LIKE ? ORDER BY id",
		`%"calendar_id":`+strconv.FormatInt(id, 10)+`%`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, raw string
		if err := rows.Scan(&name, &raw); err != nil {
			return nil, err
		}
		var goals []Goal
		if err := json.Unmarshal([]byte(raw), &goals); err != nil {
			return nil, fmt.Errorf("definition %q: goals: %w", name, err)
		}
		for _, g := range goals {
			if g.CalendarID == id {
				out = append(out, name)
				break
			}
		}
	}
	return out, rows.Err()
}
