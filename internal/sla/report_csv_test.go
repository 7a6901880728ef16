package sla_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"steward/internal/sla"
)

// No cell of the report's CSV starts a spreadsheet formula, whatever an
// agreement is named.
func TestReportCSVHasNoFormulas(t *testing.T) {
	rep := sla.Report{Period: sla.Period{Label: "2026-11"}, Rows: []sla.ReportRow{{
		AgreementName: `=HYPERLINK("http://evil.example","Click")`, AgreementKind: "sla", Metric: "resolution", Priority: "P1",
		Tickets: 1, Breached: 1, Breaches: []sla.Breach{{Ref: "INC-000001", BreachedAt: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)}},
	}, {AgreementName: "@SUM(1)", AgreementKind: "ola", Metric: "response", Priority: "P2"}}}
	var buf bytes.Buffer
	if err := sla.WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && (cell[0] == '=' || cell[0] == '@' || cell[0] == '+') {
				t.Errorf("cell %q starts a formula", cell)
			}
			if cell == `'=HYPERLINK("http://evil.example","Click")` || cell == "'@SUM(1)" {
				seen++
			}
		}
	}
	if seen != 3 {
		t.Errorf("found the quoted agreement names %d times, want 3:\n%s", seen, buf.String())
	}
}
