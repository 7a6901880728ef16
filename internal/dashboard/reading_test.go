package dashboard

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Figures read as a person says them: a count names what it counts, a
// percentage says how many of how many records, and a period with no
// records has no figure at all (not 0 %, not off target), on the
// dashboard, in the API and in the reports.
func TestFiguresReadNaturally(t *testing.T) {
	ninety, zero := 90.0, 0.0
	open := func(v float64, n int) *Snapshot { return &Snapshot{Value: v, N: n} }
	for _, c := range []struct {
		def            Definition
		sn             *Snapshot
		figure, basis  string
		noData, closed bool
	}{
		{Definition{Metric: "incident.opened", Unit: "count"}, open(9, 9), "9 incidents", "", false, false},
		{Definition{Metric: "incident.opened", Unit: "count"}, open(1, 1), "1 incident", "", false, false},
		{Definition{Metric: "incident.major_count", Unit: "count"}, open(1, 11), "1 major incident", "of 11 incidents raised", false, false},
		{Definition{Metric: "nc.overdue_actions", Unit: "count"}, open(2, 5), "2 overdue actions", "of 5 actions", false, false},
		{Definition{Metric: "change.success_rate", Unit: "%"}, open(200.0/3, 3), "66.7 %", "2 of 3 closed changes", false, false},
		{Definition{Metric: "incident.mttr_hours", Unit: "hours"}, open(48.64, 2), "48.6 hours", "from 2 resolved incidents", false, false},
		{Definition{Metric: "satisfaction.average", Unit: "of 5"}, open(4, 1), "4 of 5", "from 1 rating", false, false},
		{Definition{Metric: "incident.within_sla", Unit: "%", Target: &ninety, HigherIsBetter: true}, open(0, 0), "—", "No records yet this period", true, false},
		{Definition{Metric: "incident.within_sla", Unit: "%"}, &Snapshot{Closed: true}, "—", "No records in this period", true, true},
		{Definition{Metric: "nc.overdue_actions", Unit: "count", Target: &zero}, nil, "—", "Not computed yet", true, false},
	} {
		r := Read(c.def, c.sn)
		if r.Figure != c.figure || r.Basis != c.basis || r.NoData != c.noData {
			t.Errorf("%s %+v reads %q · %q (no data %v), want %q · %q", c.def.Metric, c.sn, r.Figure, r.Basis, r.NoData, c.figure, c.basis)
		}
		if c.noData && c.def.Met(c.sn) != nil {
			t.Errorf("%s with no records is on or off target", c.def.Metric)
		}
	}

	// The API: no value, no verdict.
	b, err := json.Marshal(Tile{Def: Definition{Target: &ninety}, Latest: open(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, `"value":null`) || !strings.Contains(s, `"on_target":null`) {
		t.Errorf("a tile with no records in the API: %s", s)
	}
	if b, _ := json.Marshal(open(66.5, 3)); !strings.Contains(string(b), `"value":66.5`) {
		t.Errorf("a snapshot with records: %s", b)
	}

	// The reports: an early period reads as no data, neither 0 % nor off target.
	def := Definition{Key: "within-sla", Title: "Incidents resolved within SLA", Metric: "incident.within_sla", Unit: "%", Period: "month",
		Target: &ninety, HigherIsBetter: true}
	june := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	rd := reportData{Name: "Monthly", From: june, To: june.AddDate(0, 1, -1), ProducedAt: june.AddDate(0, 0, 2),
		KPIs: []reportKPI{{Def: def, Points: []Snapshot{{PeriodStart: june, PeriodEnd: june.AddDate(0, 1, 0)}}}}}
	var html, pdf bytes.Buffer
	if err := reportHTML.Execute(&html, rd); err != nil {
		t.Fatal(err)
	}
	if err := writePDF(&pdf, rd); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"HTML": html.String(), "PDF": pdf.String()} {
		// (The PDF's chart marks its scale from 0 % to 100 %.)
		if strings.Contains(body, "Off target") || name == "HTML" && zeroPercent.MatchString(body) {
			t.Errorf("the %s report reads a period with no records as 0 %% or off target: %q", name, zeroPercent.FindAllString(body, 3))
		}
		if !strings.Contains(body, "No records yet this period") {
			t.Errorf("the %s report does not say the period has no records yet", name)
		}
	}
}

// zeroPercent finds a figure of 0 % (not the 90 % of a target).
var zeroPercent = regexp.MustCompile(`(^|[^0-9.])0 %`)
