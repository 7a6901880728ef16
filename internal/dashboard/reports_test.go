package dashboard_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"steward/internal/dashboard"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/servicereport"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// A monthly report arrives as PDF without anyone building it: once due,
// the job produces it from the snapshots, keeps it as a run with its
// file, moves the due date on and tells its audience, staff and the
// customer's people each their own report.
func TestDueMonthlyReportArrivesAsPDF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDesk(t, e.DB)
		s := newService(e.DB)
		s.Reports.Now = s.Now
		d.incident(t, d.custA, 2, may(4), 10)
		d.incident(t, d.custB, 2, may(6), 30)
		title, metric, period, per := "Time to fix", "incident.mttr_hours", "month", true
		if _, err := s.CreateDefinition(ctx, admin, dashboard.Input{Title: &title, Metric: &metric, Period: &period, PerCustomer: &per}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		str := func(v string) *string { return &v }
		kpis, tables, roles, custs := []string{"time-to-fix"}, []string{"major-incidents"}, []string{"agent"}, []int64{d.custA}

		var inv *domainerr.Invalid
		_, err := s.Reports.Create(ctx, admin, servicereport.Input{Name: str("Nobody's report"), OwnerID: &d.agent, NextDue: str("2026-06-01"),
			ScheduledInput: servicereport.ScheduledInput{Format: str("pdf"), KPIs: &kpis}})
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields["audience"], "needs an audience") {
			t.Errorf("a scheduled report without an audience: %v", err)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM report_definitions"); n != 0 {
			t.Errorf("the report without an audience was stored: %d definitions", n)
		}

		def, err := s.Reports.Create(ctx, admin, servicereport.Input{Name: str("Monthly service report"), OwnerID: &d.agent,
			Frequency: str("monthly"), NextDue: str("2026-06-01"), ScheduledInput: servicereport.ScheduledInput{Format: str("pdf"),
				KPIs: &kpis, Tables: &tables, AudienceRoles: &roles, AudienceCustomers: &custs}})
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.ProduceDueReports(ctx)
		if err != nil || n != 2 {
			t.Fatalf("produced %d runs, %v; want one for staff and one for Acme", n, err)
		}
		runs, err := s.Reports.Runs(ctx, e.DB, def.ID, 10)
		if err != nil || len(runs) != 2 {
			t.Fatalf("runs: %+v, %v", runs, err)
		}
		var staffRun, acmeRun servicereport.Run
		for _, r := range runs {
			if r.CustomerID == nil {
				staffRun = r
			} else if *r.CustomerID == d.custA {
				acmeRun = r
			}
		}
		if staffRun.PeriodFrom != "2026-05-01" || staffRun.PeriodTo != "2026-05-31" || staffRun.FileType != "application/pdf" {
			t.Errorf("the staff run: %+v", staffRun)
		}
		staffPDF := fileOf(t, s, dashboard.Viewer{UserID: d.agent, Role: "agent"}, staffRun.ID)
		if !bytes.HasPrefix(staffPDF, []byte("%PDF")) || !bytes.Contains(staffPDF, []byte("Time to fix")) || !bytes.Contains(staffPDF, []byte("20 hours")) {
			t.Errorf("the staff PDF lacks its heading or the mean of 10 h and 30 h: %.300q", staffPDF)
		}
		acmePDF := fileOf(t, s, dashboard.Viewer{UserID: d.requesterA, Role: "requester", CustomerID: d.custA}, acmeRun.ID)
		if !bytes.Contains(acmePDF, []byte("for Acme")) || !bytes.Contains(acmePDF, []byte("10 hours")) || bytes.Contains(acmePDF, []byte("20 hours")) {
			t.Errorf("Acme's PDF is not Acme's figures alone")
		}
		// Another organisation's people may not open Acme's report, nor the staff one.
		other := dashboard.Viewer{UserID: 99, Role: "requester", CustomerID: d.custB}
		for _, id := range []int64{acmeRun.ID, staffRun.ID} {
			if _, err := s.RunFile(ctx, other, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Globex opened run %d: %v", id, err)
			}
		}

		got, err := s.Reports.Get(ctx, e.DB, def.ID)
		if err != nil || got.NextDue != "2026-07-01" {
			t.Errorf("next due %q, %v", got.NextDue, err)
		}
		if n, err := s.ProduceDueReports(ctx); err != nil || n != 0 {
			t.Errorf("the report was produced again: %d, %v", n, err)
		}
		for who, want := range map[int64]int64{d.agent: staffRun.ID, d.requesterA: acmeRun.ID} {
			list, _, err := notify.List(ctx, e.DB, who, notify.Filter{})
			if err != nil || len(list) != 1 || list[0].Kind != dashboard.ReportKind ||
				list[0].Link != "/report-runs/"+itoa(want)+"/file" {
				t.Errorf("user %d's notifications: %+v, %v", who, list, err)
			}
		}
		var audited int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'report_definition' AND action = 'produce'").Scan(&audited); err != nil || audited != 1 {
			t.Errorf("production audited %d times, %v", audited, err)
		}
	})
}

func fileOf(t *testing.T, s *dashboard.Service, v dashboard.Viewer, run int64) []byte {
	t.Helper()
	f, err := s.RunFile(context.Background(), v, run)
	if err != nil {
		t.Fatalf("run %d for %+v: %v", run, v, err)
	}
	return f.Body
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
