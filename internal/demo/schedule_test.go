package demo_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/schedule"
	"steward/internal/store/storetest"
)

// The demo's change calendar has a year-end freeze over everything, a
// freeze on Payroll, and the ERP's Sunday-night maintenance window on the
// service and on CIs of it.
func TestDemoSchedule(t *testing.T) {
	e := loadAll(t)
	ctx := context.Background()
	list, err := schedule.ListFreezes(ctx, e.DB, time.Time{}, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]schedule.FreezePeriod{}
	for _, f := range list {
		names[f.Name] = f
	}
	if f, ok := names["Year-end freeze"]; !ok || !f.Everything() || f.Start.Month() != time.December {
		t.Errorf("year-end freeze: %+v", f)
	}
	if f, ok := names["Payroll month-end run"]; !ok || len(f.ServiceIDs) != 1 {
		t.Errorf("payroll freeze: %+v", f)
	}
	if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM services s JOIN calendars k ON k.id = s.maintenance_calendar_id
		WHERE s.name = 'ERP' AND k.name LIKE 'ERP maintenance%'`); n != 1 {
		t.Errorf("ERP has %d maintenance windows", n)
	}
	if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM cis WHERE maintenance_calendar_id IS NOT NULL`); n == 0 {
		t.Error("no CI has a maintenance window")
	}
}
