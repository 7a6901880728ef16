package dashboard_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/dashboard"
	"steward/internal/servicereport"
	"steward/internal/store/storetest"
)

// trendStroke is the colour the report's charts draw a KPI's line in.
const trendStroke = "0.122 0.416 0.776 RG"

// segment is a straight line of a path in a PDF's content: "12.34 56.78 l".
var segment = regexp.MustCompile(`(?m)^-?[\d.]+ -?[\d.]+ l$`)

// trendLines lists, per line drawn in the trend colour, how many points
// it joins.
func trendLines(pdf []byte) []int {
	var out []int
	parts := strings.Split(string(pdf), trendStroke)
	for _, p := range parts[1:] {
		// The stroke colour is set once per chart; its lines run until
		// the colour changes.
		if end := strings.Index(p, " RG"); end >= 0 {
			p = p[:end]
		}
		for _, path := range strings.Split(p, "\nS\n") {
			if n := len(segment.FindAllString(path, -1)); n > 0 {
				out = append(out, n+1)
			}
		}
	}
	return out
}

// A report's PDF draws each KPI's trend as a chart: a line through one
// point per period with data, in each KPI's own chart, beside the
// figures in words. STEWARD_TEST_REPORT_PDF names a file to keep the
// PDF in, to look at.
func TestReportPDFDrawsEachKPIsTrend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDesk(t, e.DB)
		s := newService(e.DB)
		s.Reports.Now = s.Now
		// Incidents in January to May: one, two, three, four, five a month.
		for m := 1; m <= 5; m++ {
			for i := 0; i < m; i++ {
				d.incident(t, d.custA, 2, time.Date(2026, time.Month(m), 3+i, 9, 0, 0, 0, time.UTC), float64(2*m+i))
			}
		}
		target := 8.0
		for _, k := range []struct {
			title, metric string
			target        *float64
		}{{"Time to fix", "incident.mttr_hours", &target}, {"Incidents raised", "incident.opened", nil}, {"Changes backed out", "change.backed_out_pct", nil}} {
			title, metric, period := k.title, k.metric, "month"
			if _, err := s.CreateDefinition(ctx, admin, dashboard.Input{Title: &title, Metric: &metric, Period: &period, Target: k.target}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		str := func(v string) *string { return &v }
		kpis, tables, roles := []string{"time-to-fix", "incidents-raised", "changes-backed-out"}, []string{"open-incidents"}, []string{"agent"}
		def, err := s.Reports.Create(ctx, admin, servicereport.Input{Name: str("Monthly service report"), OwnerID: &d.agent,
			Frequency: str("monthly"), NextDue: str("2026-06-01"), ScheduledInput: servicereport.ScheduledInput{Format: str("pdf"),
				KPIs: &kpis, Tables: &tables, AudienceRoles: &roles}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProduceDueReports(ctx); err != nil {
			t.Fatal(err)
		}
		runs, err := s.Reports.Runs(ctx, e.DB, def.ID, 1)
		if err != nil || len(runs) != 1 {
			t.Fatal(runs, err)
		}
		pdf := fileOf(t, s, dashboard.Viewer{UserID: d.agent, Role: "agent"}, runs[0].ID)
		if out := os.Getenv("STEWARD_TEST_REPORT_PDF"); out != "" && e.URL == "" {
			if err := os.WriteFile(out, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Contains(pdf, []byte("(Trends)")) {
			t.Error("the PDF has no Trends section")
		}
		// Time to fix and incidents raised have data in January to May:
		// a line through five points each; no change was backed out, so
		// its chart has no line but says there is no data.
		lines := trendLines(pdf)
		if len(lines) != 2 || lines[0] != 5 || lines[1] != 5 {
			t.Errorf("lines drawn in the trend colour, by points joined: %v; want two of 5", lines)
		}
		if got := bytes.Count(pdf, []byte("(No data in these periods)")); got != 1 {
			t.Errorf("%d charts say they have no data; want the backed-out changes' one", got)
		}
		// The target is drawn dashed across its chart.
		if !regexp.MustCompile(`\[[\d.]+ [\d.]+\] [\d.]+ d\n[\d.]+ [\d.]+ m [\d.]+ [\d.]+ l S`).Match(pdf) {
			t.Error("no dashed target line")
		}
		for _, label := range []string{"(Time to fix)", "(Incidents raised)", "(Jun 2025)", "(May 2026)"} {
			if !bytes.Contains(pdf, []byte(label)) {
				t.Errorf("the charts lack %s", label)
			}
		}
	})
}
