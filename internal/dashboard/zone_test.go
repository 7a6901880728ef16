package dashboard_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"steward/internal/dashboard"
	"steward/internal/servicereport"
	"steward/internal/store/storetest"
)

// An organisation in Berlin counts its own months and days: an incident
// raised half an hour into 1 June, Berlin time (22:30 UTC on 31 May),
// belongs to June's figure and to 1 June's, not to May's; one raised at
// 23:30 on 31 May, Berlin time, stays in May. The report for May covers
// Berlin's May and says so in Berlin's time.
func TestPeriodsFollowTheOrganisationsTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database here:", err)
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDesk(t, e.DB)
		s := newService(e.DB)
		s.Loc = berlin
		s.Reports.Now = s.Now
		lateMay := time.Date(2026, 5, 31, 23, 30, 0, 0, berlin) // 21:30 UTC
		earlyJune := time.Date(2026, 6, 1, 0, 30, 0, 0, berlin) // 22:30 UTC on 31 May
		d.incident(t, d.custA, 2, lateMay, 1)
		d.incident(t, d.custA, 2, earlyJune, 1)
		d.incident(t, d.custA, 2, earlyJune.Add(time.Hour), 1)
		for _, def := range []struct{ title, period string }{{"Opened per month", "month"}, {"Opened per day", "day"}} {
			title, metric, period := def.title, "incident.opened", def.period
			if _, err := s.CreateDefinition(ctx, admin, dashboard.Input{Title: &title, Metric: &metric, Period: &period}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		mayStart := time.Date(2026, 5, 1, 0, 0, 0, 0, berlin)
		juneStart := time.Date(2026, 6, 1, 0, 0, 0, 0, berlin)
		if may := snapshot(t, s, "opened-per-month", 0, mayStart); may.Value != 1 || !may.PeriodEnd.Equal(juneStart) {
			t.Errorf("Berlin's May: %v incidents up to %s; want the one of 23:30 on 31 May, ending at %s", may.Value, may.PeriodEnd, juneStart.UTC())
		}
		if june := snapshot(t, s, "opened-per-month", 0, juneStart); june.Value != 2 {
			t.Errorf("Berlin's June: %v incidents; want the two raised after its midnight", june.Value)
		}
		if day := snapshot(t, s, "opened-per-day", 0, juneStart); day.Value != 2 || !day.PeriodStart.Equal(juneStart) {
			t.Errorf("Berlin's 1 June: %v incidents from %s", day.Value, day.PeriodStart)
		}
		if got := s.PeriodLabel("month", juneStart); got != "June 2026" {
			t.Errorf("June's label: %q", got)
		}

		str := func(v string) *string { return &v }
		kpis, roles := []string{"opened-per-month"}, []string{"agent"}
		def, err := s.Reports.Create(ctx, admin, servicereport.Input{Name: str("May in Berlin"), OwnerID: &d.agent, Frequency: str("monthly"),
			NextDue: str("2026-06-01"), ScheduledInput: servicereport.ScheduledInput{Format: str("csv"), KPIs: &kpis, AudienceRoles: &roles}})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.ProduceDueReports(ctx); err != nil || n != 1 {
			t.Fatalf("produced %d, %v", n, err)
		}
		runs, err := s.Reports.Runs(ctx, e.DB, def.ID, 1)
		if err != nil || len(runs) != 1 {
			t.Fatal(runs, err)
		}
		csv := fileOf(t, s, dashboard.Viewer{UserID: d.agent, Role: "agent"}, runs[0].ID)
		if !bytes.Contains(csv, []byte("opened-per-month,Opened per month,2026-05-01,1,")) || bytes.Contains(csv, []byte("2026-04-30")) {
			t.Errorf("the report's May is not Berlin's May:\n%s", csv)
		}
	})
}

// When the organisation's zone changes, the months computed already keep
// their figures, no hour is counted twice, and one month is open: Berlin's
// June, from where the UTC May computed before ends.
func TestChangingTheZoneKeepsHistoryWithoutOverlaps(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database here:", err)
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDesk(t, e.DB)
		s := newService(e.DB)
		d.incident(t, d.custA, 2, may(4), 1)
		title, metric, period := "Opened", "incident.opened", "month"
		def, err := s.CreateDefinition(ctx, admin, dashboard.Input{Title: &title, Metric: &metric, Period: &period})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		s.Loc = berlin
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		pts, err := s.Series(ctx, e.DB, def.ID, 0, today.AddDate(-2, 0, 0), today.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for i, p := range pts {
			if !p.Closed {
				open++
				if !p.PeriodStart.Equal(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) || !p.PeriodEnd.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, berlin)) {
					t.Errorf("the open month is %s to %s, not from the end of May as computed to Berlin's 1 July", p.PeriodStart, p.PeriodEnd)
				}
			}
			if i > 0 && p.PeriodStart.Before(pts[i-1].PeriodEnd) {
				t.Errorf("months overlap: %s-%s and %s-%s", pts[i-1].PeriodStart, pts[i-1].PeriodEnd, p.PeriodStart, p.PeriodEnd)
			}
			if p.PeriodStart.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) && (p.Value != 1 || !p.Closed) {
				t.Errorf("May as computed before the change: %+v", p)
			}
		}
		if open != 1 {
			t.Errorf("%d open months", open)
		}
	})
}
