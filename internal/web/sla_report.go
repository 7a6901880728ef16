package web

import (
	"net/http"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/sla"
	"steward/internal/ticket"
)

// registerSLAReports adds the breaching-soon queue and the SLA report.
func (wb *Web) registerSLAReports(rt *httpx.Router) {
	rt.Handle("GET /sla/breaching", auth.SLARead, wb.breachingSoon)
	rt.Handle("GET /reports/sla", auth.ReportRead, wb.slaReport)
	rt.Handle("GET /reports/sla.csv", auth.ReportRead, wb.slaReportCSV)
	wb.registerUnmeasured(rt)
}

type breachingView struct {
	Within string
	Kind   string
	Items  []sla.Soon
	Now    time.Time
}

var horizons = []string{"1h", "4h", "8h", "24h", "72h"}

func (wb *Web) breachingSoon(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := breachingView{Within: q.Get("within"), Kind: q.Get("kind")}
	if !oneOfStr(v.Within, horizons) {
		v.Within = "4h"
	}
	if v.Kind != string(ticket.Incident) && v.Kind != string(ticket.Request) {
		v.Kind = ""
	}
	d, _ := time.ParseDuration(v.Within)
	svc := wb.slaService()
	items, err := svc.BreachingSoon(r.Context(), d, ticket.Kind(v.Kind), sla.MaxSoon)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Items, v.Now = items, svc.Now().UTC()
	wb.render(w, r, http.StatusOK, "sla_breaching", page{Title: wb.clockOf(r).text().T("web.sla_report.breaching"), Active: "breaching", Data: v})
}

func oneOfStr(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type reportView struct {
	Period   string
	TimeZone string
	Kind     string
	Error    string
	Report   *sla.Report
	Periods  []string
	Zones    []string
	CSVQuery string
}

// reportPeriods offers the last twelve months and last four quarters.
func reportPeriods(now time.Time) []string {
	var out []string
	m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 12; i++ {
		out = append(out, m.AddDate(0, -i, 0).Format("2006-01"))
	}
	q := (int(now.Month()) - 1) / 3
	y := now.Year()
	for i := 0; i < 4; i++ {
		out = append(out, strconv.Itoa(y)+"-Q"+strconv.Itoa(q+1))
		if q--; q < 0 {
			q, y = 3, y-1
		}
	}
	return out
}

func (wb *Web) reportFilter(r *http.Request) (reportView, sla.ReportFilter, error) {
	q := r.URL.Query()
	now := time.Now().UTC()
	v := reportView{Period: q.Get("period"), TimeZone: q.Get("tz"), Kind: q.Get("kind"), Periods: reportPeriods(now),
		Zones: []string{"UTC", "Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata"}}
	if v.Period == "" {
		v.Period = now.Format("2006-01")
	}
	if v.TimeZone == "" {
		v.TimeZone = "UTC"
	}
	if v.Kind != string(ticket.Incident) && v.Kind != string(ticket.Request) {
		v.Kind = ""
	}
	f := sla.ReportFilter{Kind: ticket.Kind(v.Kind)}
	p, err := sla.ParsePeriod(v.Period, v.TimeZone)
	f.Period = p
	v.CSVQuery = "period=" + v.Period + "&tz=" + v.TimeZone + "&kind=" + v.Kind
	return v, f, err
}

func (wb *Web) slaReport(w http.ResponseWriter, r *http.Request) {
	v, f, err := wb.reportFilter(r)
	if err != nil {
		v.Error = err.Error()
		wb.render(w, r, http.StatusBadRequest, "sla_report", page{Title: wb.clockOf(r).text().T("web.sla_report.title"), Active: "report", Data: v})
		return
	}
	rep, err := wb.slaService().Report(r.Context(), f)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Report = &rep
	wb.render(w, r, http.StatusOK, "sla_report", page{Title: wb.clockOf(r).text().T("web.sla_report.title_period", "Period", rep.Period.Label), Active: "report", Data: v})
}

func (wb *Web) slaReportCSV(w http.ResponseWriter, r *http.Request) {
	_, f, err := wb.reportFilter(r)
	if err != nil {
		wb.errorPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := wb.slaService().Report(r.Context(), f)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="sla-report-`+rep.Period.Label+`.csv"`)
	sla.WriteCSV(w, rep)
}

// businessDuration shows business seconds as hours and minutes: 27h 05m.
func businessDuration(secs int64) string {
	neg := secs < 0
	if neg {
		secs = -secs
	}
	h, m := secs/3600, (secs%3600)/60
	s := strconv.FormatInt(h, 10) + "h " + pad2(m) + "m"
	if h == 0 {
		s = strconv.FormatInt(m, 10) + "m " + pad2(secs%60) + "s"
	}
	if neg {
		return "−" + s
	}
	return s
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
