package demo

import (
	"context"
	"time"

	"steward/internal/audit"
	"steward/internal/calendar"
	"steward/internal/schedule"
	"steward/internal/sla"
	"steward/internal/store"
)

// loadSchedule puts the change calendar in use: a year-end freeze over
// everything, a freeze on Payroll around its month-end run, and the ERP's
// maintenance window (Sunday nights, after its Saturday batch), also on
// a few of the CIs named after it.
func loadSchedule(ctx context.Context, db *store.DB, slas *sla.Service) error {
	svc := schedule.NewService(db, nil, slas)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Now().In(berlin)
	year := now.Year()
	if now.Month() == time.January && now.Day() < 4 {
		year--
	}
	freezes := []struct {
		name       string
		start, end time.Time
		service    string
	}{
		{"Year-end freeze", time.Date(year, 12, 18, 18, 0, 0, 0, berlin), time.Date(year+1, 1, 4, 8, 0, 0, 0, berlin), ""},
		{"Payroll month-end run", monthEnd(now, berlin, -2), monthEnd(now, berlin, 1), "Payroll"},
	}
	for _, f := range freezes {
		in := schedule.FreezeInput{Name: &f.name, Start: &f.start, End: &f.end}
		if f.service != "" {
			var id int64
			if err := db.QueryRow(ctx, "SELECT id FROM services WHERE name = ?", f.service).Scan(&id); err != nil {
				return store.ScanErr(err)
			}
			in.ServiceIDs = &[]int64{id}
		}
		if _, err := svc.CreateFreeze(ctx, audit.System, in); err != nil {
			return err
		}
	}
	cal, err := slas.CreateCalendar(ctx, audit.System, calendar.Spec{Name: "ERP maintenance (Sunday nights)", TimeZone: "Europe/Berlin",
		Windows: []calendar.Window{{Weekday: "sunday", Start: "00:00", End: "06:00"}}})
	if err != nil {
		return err
	}
	var erp int64
	if err := db.QueryRow(ctx, "SELECT id FROM services WHERE name = 'ERP'").Scan(&erp); err != nil {
		return store.ScanErr(err)
	}
	if _, err := svc.SetServiceMaintenance(ctx, audit.System, erp, cal.ID); err != nil {
		return err
	}
	rows, err := db.Query(ctx, "SELECT id FROM cis WHERE name LIKE 'ERP %' ORDER BY id LIMIT 3")
	if err != nil {
		return err
	}
	var cis []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		cis = append(cis, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range cis {
		if _, err := svc.SetCIMaintenance(ctx, audit.System, id, cal.ID); err != nil {
			return err
		}
	}
	return nil
}

// monthEnd is 08:00 on the last day of now's month, moved by days.
func monthEnd(now time.Time, loc *time.Location, days int) time.Time {
	last := time.Date(now.Year(), now.Month()+1, 0, 8, 0, 0, 0, loc)
	return last.AddDate(0, 0, days)
}
