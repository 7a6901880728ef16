package cost

import (
	"io"
	"strconv"

	"steward/internal/csvsafe"
)

// WriteCSV writes a report as CSV: one line per service and period, then
// one line per period for all services. Amounts are in the accounting
// currency's major units (1234.56), downtime in hours.
func WriteCSV(w io.Writer, rep Report) error {
	cw := csvsafe.NewWriter(w)
	cw.Write([]string{"service_id", "service", "period", "currency", "catalogue", "assets", "contracts", "other", "actual",
		"budget", "variance", "variance_percent", "downtime_hours", "downtime_cost"})
	line := func(id, name string, r Row) {
		amount := func(p *int64) string {
			if p == nil {
				return ""
			}
			return MajorString(*p, rep.Currency)
		}
		pc := ""
		if r.VariancePercent != nil {
			pc = strconv.FormatFloat(*r.VariancePercent, 'f', 1, 64)
		}
		cw.Write([]string{id, name, r.Period, rep.Currency, amount(&r.Catalogue), amount(&r.Assets), amount(&r.Contracts), amount(&r.Other),
			amount(&r.Actual), amount(r.Budget), amount(r.Variance), pc, strconv.FormatFloat(float64(r.DowntimeSeconds)/3600, 'f', 2, 64),
			amount(r.DowntimeCost)})
	}
	for _, sc := range rep.Services {
		for _, r := range sc.Rows {
			line(strconv.FormatInt(sc.ServiceID, 10), sc.Name, r)
		}
	}
	if len(rep.Services) > 1 {
		for _, r := range rep.Totals {
			line("", "All services", r)
		}
	}
	cw.Flush()
	return cw.Error()
}
