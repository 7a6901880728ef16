package sla

import (
	"io"
	"strconv"
	"time"

	"steward/internal/csvsafe"
)

// WriteCSV writes the report as CSV: one line per row, a blank line, then
// one line per breach with its ticket. Cells follow the csvsafe rule, so
// no agreement name runs as a formula in a spreadsheet.
func WriteCSV(w io.Writer, rep Report) error {
	cw := csvsafe.NewWriter(w)
	cw.Write([]string{"period", "agreement", "agreement_kind", "ticket_kind", "metric", "priority", "tickets", "met",
		"breached", "percent_met", "completed", "avg_business_seconds", "p90_business_seconds"})
	for _, row := range rep.Rows {
		cw.Write([]string{rep.Period.Label, row.AgreementName, row.AgreementKind, string(row.TicketKind),
			string(row.Metric), row.Priority, strconv.Itoa(row.Tickets), strconv.Itoa(row.Met), strconv.Itoa(row.Breached),
			strconv.FormatFloat(row.PercentMet, 'f', 1, 64), strconv.Itoa(row.Completed),
			strconv.FormatInt(row.AvgSeconds, 10), strconv.FormatInt(row.P90Seconds, 10)})
	}
	cw.Write(nil)
	cw.Write([]string{"breach", "agreement", "ticket", "metric", "priority", "cycle", "target_seconds",
		"elapsed_business_seconds", "breached_at", "open"})
	for _, row := range rep.Rows {
		for _, b := range row.Breaches {
			cw.Write([]string{"breach", row.AgreementName, b.Ref, string(row.Metric), row.Priority,
				strconv.Itoa(b.Cycle), strconv.FormatInt(b.TargetSeconds, 10), strconv.FormatInt(b.ElapsedSeconds, 10),
				b.BreachedAt.UTC().Format(time.RFC3339), strconv.FormatBool(b.Open)})
		}
	}
	cw.Flush()
	return cw.Error()
}
