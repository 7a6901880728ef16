package schedule

import (
	"context"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// MaintenanceOwner is a service or CI with a maintenance window: the
// working time of a business calendar.
type MaintenanceOwner struct {
	ServiceID    int64  `json:"service_id,omitempty"`
	CIID         int64  `json:"ci_id,omitempty"`
	Name         string `json:"name"`
	CalendarID   int64  `json:"calendar_id"`
	CalendarName string `json:"calendar_name"`
}

func (m MaintenanceOwner) what() string {
	if m.CIID != 0 {
		return "CI"
	}
	return "service"
}

// MaintenanceWindow is one stretch of a maintenance window in a range.
type MaintenanceWindow struct {
	MaintenanceOwner
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// maintenanceOwners reads which of these services and CIs have a
// maintenance window.
func maintenanceOwners(ctx context.Context, q store.Querier, services, cis []int64) ([]MaintenanceOwner, error) {
	var out []MaintenanceOwner
	for _, t := range []struct {
		table string
		ids   []int64
		ci    bool
	}{{"services", services, false}, {"cis", cis, true}} {
		err := inBatches(t.ids, func(batch []int64) error {
			rows, err := q.Query(ctx, `SELECT x.id, x.name, k.id, k.name FROM `+t.table+` x JOIN calendars k ON k.id = x.maintenance_calendar_id
				WHERE x.id IN (`+marks(len(batch))+`) ORDER BY x.id`, args(batch)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var m MaintenanceOwner
				var id int64
				if err := rows.Scan(&id, &m.Name, &m.CalendarID, &m.CalendarName); err != nil {
					return err
				}
				if t.ci {
					m.CIID = id
				} else {
					m.ServiceID = id
				}
				out = append(out, m)
			}
			return rows.Err()
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MaxMaintenanceOwners bounds how many services and CIs the calendar shows
// maintenance windows for when it is not filtered to one.
const MaxMaintenanceOwners = 50

// listMaintenanceOwners reads the services and CIs with a maintenance
// window, the named one only when serviceID or ciID is given.
func listMaintenanceOwners(ctx context.Context, q store.Querier, serviceID, ciID int64) ([]MaintenanceOwner, error) {
	switch {
	case serviceID != 0 || ciID != 0:
		var svc, ci []int64
		if serviceID != 0 {
			svc = []int64{serviceID}
		}
		if ciID != 0 {
			ci = []int64{ciID}
		}
		return maintenanceOwners(ctx, q, svc, ci)
	}
	var out []MaintenanceOwner
	for _, t := range []struct {
		table string
		ci    bool
	}{{"services", false}, {"cis", true}} {
		rows, err := q.Query(ctx, `SELECT x.id, x.name, k.id, k.name FROM `+t.table+` x JOIN calendars k ON k.id = x.maintenance_calendar_id
			WHERE x.maintenance_calendar_id IS NOT NULL ORDER BY x.name, x.id LIMIT ?`, MaxMaintenanceOwners)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var m MaintenanceOwner
			var id int64
			if err := rows.Scan(&id, &m.Name, &m.CalendarID, &m.CalendarName); err != nil {
				rows.Close()
				return nil, err
			}
			if t.ci {
				m.CIID = id
			} else {
				m.ServiceID = id
			}
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MaxWindowsPerOwner bounds the maintenance windows listed per service or
// CI in one range.
const MaxWindowsPerOwner = 200

// maintenanceWindows expands the owners' calendars into their working
// time between from and to.
func (s *Service) maintenanceWindows(ctx context.Context, q store.Querier, owners []MaintenanceOwner, from, to time.Time) ([]MaintenanceWindow, error) {
	out := []MaintenanceWindow{}
	if s.Calendars == nil {
		return out, nil
	}
	for _, m := range owners {
		cal, err := s.Calendars.Calendar(ctx, q, m.CalendarID)
		if err != nil {
			return nil, err
		}
		for _, iv := range cal.Intervals(from, to, MaxWindowsPerOwner) {
			out = append(out, MaintenanceWindow{MaintenanceOwner: m, Start: iv.Start, End: iv.End})
		}
	}
	return out, nil
}

// MaintenanceCalendar is the maintenance window of a service or CI: the
// calendar's id and name, 0 and "" when it has none.
func MaintenanceCalendar(ctx context.Context, q store.Querier, table string, id int64) (int64, string, error) {
	if table != "services" && table != "cis" {
		panic("schedule: maintenance calendars belong to services and cis")
	}
	var cal int64
	var name string
	err := q.QueryRow(ctx, `SELECT coalesce(x.maintenance_calendar_id, 0), coalesce(k.name, '') FROM `+table+` x
		LEFT JOIN calendars k ON k.id = x.maintenance_calendar_id WHERE x.id = ?`, id).Scan(&cal, &name)
	return cal, name, store.ScanErr(err)
}

// SetServiceMaintenance gives a service a maintenance window (calendarID),
// or takes it away (0).
func (s *Service) SetServiceMaintenance(ctx context.Context, actor audit.Actor, serviceID, calendarID int64) (MaintenanceOwner, error) {
	return s.setMaintenance(ctx, actor, "services", "service", serviceID, calendarID)
}

// SetCIMaintenance gives a CI a maintenance window (calendarID), or takes
// it away (0).
func (s *Service) SetCIMaintenance(ctx context.Context, actor audit.Actor, ciID, calendarID int64) (MaintenanceOwner, error) {
	return s.setMaintenance(ctx, actor, "cis", "ci", ciID, calendarID)
}

func (s *Service) setMaintenance(ctx context.Context, actor audit.Actor, table, entity string, id, calendarID int64) (MaintenanceOwner, error) {
	if calendarID < 0 {
		return MaintenanceOwner{}, domainerr.Field("calendar_id", "must be a calendar's id, or 0 for none")
	}
	var out MaintenanceOwner
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var name string
		var old int64
		err := tx.QueryRow(ctx, "SELECT name, coalesce(maintenance_calendar_id, 0) FROM "+table+" WHERE id = ?", id).Scan(&name, &old)
		if err != nil {
			return store.ScanErr(err)
		}
		var cal any
		if calendarID != 0 {
			var calName string
			err := tx.QueryRow(ctx, "SELECT name FROM calendars WHERE id = ?", calendarID).Scan(&calName)
			if err = store.ScanErr(err); err == store.ErrNotFound {
				return domainerr.Field("calendar_id", "no calendar with id %d", calendarID)
			} else if err != nil {
				return err
			}
			cal, out.CalendarName = calendarID, calName
		}
		if _, err := tx.Exec(ctx, "UPDATE "+table+" SET maintenance_calendar_id = ? WHERE id = ?", cal, id); err != nil {
			return store.Translate(err)
		}
		out.Name, out.CalendarID = name, calendarID
		if table == "cis" {
			out.CIID = id
		} else {
			out.ServiceID = id
		}
		return audit.Record(ctx, tx, actor, "maintenance_window", entity, id, map[string]any{"from_calendar_id": old, "calendar_id": calendarID})
	})
	return out, err
}
