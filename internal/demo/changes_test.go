package demo_test

import (
	"context"
	"testing"

	"steward/internal/auth"
	"steward/internal/change"
)

// The demo shows change management in use: changes in several stages, a
// standard one from its template, an emergency one with its review, one
// awaiting its board, a failed one that caused an incident, and two whose
// windows overlap on the same CI.
func TestDemoChanges(t *testing.T) {
	e := loadAll(t)
	ctx := context.Background()
	svc := &change.Service{DB: e.DB}
	auditor := &auth.Principal{UserID: 1, Role: auth.Auditor}
	page, err := svc.List(ctx, auditor, change.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	states, types := map[string]int{}, map[string]int{}
	byCI := map[int64]int{}
	for _, c := range page.Items {
		states[c.State]++
		types[c.Type]++
		if c.State != change.Closed && c.PlannedStart != nil {
			for _, ci := range c.CIIDs {
				byCI[ci]++
			}
		}
		if c.ApprovedAt != nil && c.ActualStart != nil && !c.ApprovedAt.Before(*c.ActualStart) {
			t.Errorf("%s was approved after it started", c.Number)
		}
		if c.Type == change.Emergency && c.State == change.Closed && c.Review == "" {
			t.Errorf("%s is an emergency change closed without its review", c.Number)
		}
	}
	for _, s := range []string{change.Draft, change.Assessment, change.Approval, change.Scheduled, change.Closed} {
		if states[s] == 0 {
			t.Errorf("no demo change is %s (states %v)", s, states)
		}
	}
	for _, ty := range change.Types {
		if types[ty] == 0 {
			t.Errorf("no demo change is %s", ty)
		}
	}
	overlap := false
	for _, n := range byCI {
		overlap = overlap || n >= 2
	}
	if !overlap {
		t.Error("no two open demo changes share a CI")
	}
	k, err := svc.Overview(ctx, auditor, page.Items[len(page.Items)-1].CreatedAt.AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	if k.Finished < 3 || k.CausedIncidents != 1 || k.FailedOrBackedOut != 1 || k.LeadTimeHours <= 0 {
		t.Errorf("the demo's KPIs: %+v", k)
	}
	var refs int
	if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM ci_history WHERE change_ref LIKE 'CHG-%'").Scan(&refs); err != nil || refs == 0 {
		t.Errorf("no CI change names a demo change (%v)", err)
	}
}
