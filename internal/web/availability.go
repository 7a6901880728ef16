package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/availability"
	"steward/internal/csvsafe"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/risk"
	"steward/internal/sms"
	"steward/internal/store"
)

// availabilityPages are the availability report, targets and outages.
type availabilityPages struct {
	wb    *Web
	svc   *availability.Service
	risks *risk.Service
}

// AvailabilityPages are availability's pages over svc; risks raised from
// the report go to the register in risks.
func AvailabilityPages(svc *availability.Service, risks *risk.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := availabilityPages{wb: wb, svc: svc, risks: risks}
		rt.Handle("GET /availability", availability.PermRead, h.report)
		rt.Handle("GET /availability.csv", availability.PermRead, h.reportCSV)
		rt.Handle("GET /availability/services/{id}/target", availability.PermWrite, h.targetForm)
		wb.post(rt, "POST /availability/services/{id}/target", availability.PermWrite, h.saveTarget)
		wb.post(rt, "POST /availability/services/{id}/risk", sms.PermWrite, h.raiseRisk)
		h.registerOutages(rt)
		wb.assurance = append(wb.assurance, h.serviceCard)
	}
}

// availRow is one service on the report.
type availRow struct {
	availability.Figures
	ChartX, ChartY string
	Risks          []availability.LinkedRisk
	CanChange      bool
}

func (r availRow) AvailText() string  { return pctText(r.Availability) }
func (r availRow) TargetText() string { return pctText(r.Target) }
func (r availRow) DownText() string   { return minutesText(r.DowntimeMinutes) }
func (r availRow) AgreedText() string { return minutesText(r.AgreedMinutes) }
func (r availRow) MaintText() string  { return minutesText(r.MaintenanceMinutes) }
func (r availRow) MTRSText() string {
	if r.MTRSMinutes == nil {
		return "—"
	}
	return minutesText(*r.MTRSMinutes)
}
func (r availRow) MTBFText() string {
	if r.MTBFHours == nil {
		return "—"
	}
	if *r.MTBFHours >= 48 {
		return fmt.Sprintf("%.1f days", *r.MTBFHours/24)
	}
	return fmt.Sprintf("%.1f h", *r.MTBFHours)
}

type availView struct {
	From, To  string // the period as the viewer entered it, to included
	ServiceID int64
	Services  []option
	Rows      []availRow
	Below     int
	Bucket    string
	Query     string
	CanRaise  bool
	Error     string
	Presets   []availPreset
}

type availPreset struct {
	Label, Query string
	Current      bool
}

// period reads the report's period from the query: dates in the viewer's
// zone, to included; the last 30 days without them.
func (h availabilityPages) period(r *http.Request) (from, to time.Time, fromS, toS string, err error) {
	loc := h.wb.clockOf(r).loc
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	fromS, toS = strings.TrimSpace(r.FormValue("from")), strings.TrimSpace(r.FormValue("to"))
	if fromS == "" && toS == "" {
		fromS, toS = today.AddDate(0, 0, -29).Format(time.DateOnly), today.Format(time.DateOnly)
	}
	v, tx := domainerr.NewInvalid(), h.wb.clockOf(r).text()
	from, e1 := time.ParseInLocation(time.DateOnly, fromS, loc)
	if e1 != nil {
		v.Add("from", "%s", tx.T("web.availability.date_such_as"))
	}
	last, e2 := time.ParseInLocation(time.DateOnly, toS, loc)
	if e2 != nil {
		v.Add("to", "%s", tx.T("web.availability.date_such_as"))
	}
	return from, last.AddDate(0, 0, 1), fromS, toS, v.Err()
}

func presets(tx i18n.Text, loc *time.Location, service int64, from, to string) []availPreset {
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	var out []availPreset
	for _, p := range []struct {
		label string
		days  int
	}{{"web.availability.last_30_days", 30}, {"web.availability.last_90_days", 90}, {"web.availability.last_12_months", 365}} {
		f, t := today.AddDate(0, 0, 1-p.days).Format(time.DateOnly), today.Format(time.DateOnly)
		out = append(out, availPreset{Label: tx.T(p.label), Query: periodQuery(service, f, t), Current: f == from && t == to})
	}
	return out
}

func periodQuery(service int64, from, to string) string {
	v := url.Values{"from": {from}, "to": {to}}
	if service != 0 {
		v.Set("service_id", strconv.FormatInt(service, 10))
	}
	return v.Encode()
}

func (h availabilityPages) report(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	v := availView{CanRaise: p.Can(sms.PermWrite)}
	from, to, fromS, toS, err := h.period(r)
	v.From, v.To = fromS, toS
	s := r.URL.Query().Get("service_id")
	if s == "" {
		s = r.URL.Query().Get("service") // as a service's page links here
	}
	if s != "" {
		if id, perr := strconv.ParseInt(s, 10, 64); perr == nil && id > 0 {
			v.ServiceID = id
		} else {
			err = domainerr.Field("service_id", "%s", h.wb.clockOf(r).text().T("web.availability.choose_service"))
		}
	}
	v.Query = periodQuery(v.ServiceID, fromS, toS)
	v.Presets = presets(h.wb.clockOf(r).text(), h.wb.clockOf(r).loc, v.ServiceID, fromS, toS)
	status := http.StatusOK
	v.Services, err = h.serviceOptions(r, err)
	var bad *domainerr.Invalid
	if errors.As(err, &bad) {
		v.Error, status = bad.Error(), http.StatusUnprocessableEntity
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Error == "" {
		if err := h.fillReport(r, p, &v, from, to); err != nil {
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) {
				h.wb.fail(w, r, err)
				return
			}
			v.Error, status = inv.Error(), http.StatusUnprocessableEntity
		}
	}
	h.wb.render(w, r, status, "availability", page{Title: h.wb.clockOf(r).text().T("web.availability.title"), Active: "availability", Data: v})
}

// serviceOptions lists the services for the filter; a period already
// found wrong is passed through.
func (h availabilityPages) serviceOptions(r *http.Request, prev error) ([]option, error) {
	var inv *domainerr.Invalid
	if prev != nil && !errors.As(prev, &inv) {
		return nil, prev
	}
	// prev, a wrong period, goes back with the options.
	rows, err := h.wb.DB.Query(r.Context(), "SELECT id, name FROM services WHERE status <> 'retired' ORDER BY lower(name), id LIMIT ?", maxChoices)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, prev
}

func (h availabilityPages) fillReport(r *http.Request, p *auth.Principal, v *availView, from, to time.Time) error {
	rep, err := h.svc.Report(r.Context(), p, availability.ReportQuery{ServiceID: v.ServiceID, From: from, To: to})
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(rep.Services))
	for _, f := range rep.Services {
		ids = append(ids, f.ServiceID)
	}
	risks := map[int64][]availability.LinkedRisk{}
	if p.Can(sms.PermRead) {
		if risks, err = availability.LinkedRisks(r.Context(), h.wb.DB, ids); err != nil {
			return err
		}
	}
	v.Bucket = rep.Bucket
	for _, f := range rep.Services {
		row := availRow{Figures: f, Risks: risks[f.ServiceID],
			CanChange: p.Can(availability.PermAny) || (p.Can(availability.PermWrite) && f.OwnerID != nil && *f.OwnerID == p.UserID)}
		var xs, ys []string
		for _, pt := range f.Series {
			xs = append(xs, strconv.FormatInt(pt.Start.Unix(), 10))
			y := ""
			if pt.Availability != nil {
				y = strconv.FormatFloat(*pt.Availability, 'f', 3, 64)
			}
			ys = append(ys, y)
		}
		row.ChartX, row.ChartY = strings.Join(xs, ","), strings.Join(ys, ",")
		if f.Status == availability.Below {
			v.Below++
		}
		v.Rows = append(v.Rows, row)
	}
	return nil
}

func (h availabilityPages) reportCSV(w http.ResponseWriter, r *http.Request) {
	from, to, fromS, toS, err := h.period(r)
	var svc int64
	if s := r.URL.Query().Get("service_id"); s != "" {
		svc, _ = strconv.ParseInt(s, 10, 64)
	}
	var rep availability.Report
	if err == nil {
		rep, err = h.svc.Report(r.Context(), httpx.Principal(r), availability.ReportQuery{ServiceID: svc, From: from, To: to})
	}
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.wb.errorPage(w, r, http.StatusUnprocessableEntity, inv.Error())
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="availability-`+fromS+`-to-`+toS+`.csv"`)
	cw := csvsafe.NewWriter(w)
	cw.Write([]string{"service", "hours", "target_percent", "availability_percent", "status", "agreed_minutes", "maintenance_minutes",
		"downtime_minutes", "outages", "mtbf_hours", "mtrs_minutes", "from", "to"})
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, f := range rep.Services {
		cw.Write([]string{f.ServiceName, f.Hours, num(f.Target), num(f.Availability), f.Status,
			num(&f.AgreedMinutes), num(&f.MaintenanceMinutes), num(&f.DowntimeMinutes), strconv.Itoa(f.Outages),
			num(f.MTBFHours), num(f.MTRSMinutes), from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
}

type availTargetView struct {
	ServiceID   int64
	ServiceName string
	Target      string
	CalendarID  int64
	Calendars   []option
	F           *fieldErrors
}

func (h availabilityPages) targetForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	v := availTargetView{ServiceID: id}
	t, err := h.svc.GetTarget(r.Context(), httpx.Principal(r), id)
	switch {
	case err == nil:
		v.Target = strconv.FormatFloat(t.Percent, 'f', -1, 64)
		if t.CalendarID != nil {
			v.CalendarID = *t.CalendarID
		}
	case !errors.Is(err, store.ErrNotFound):
		h.wb.fail(w, r, err)
		return
	}
	h.showTarget(w, r, http.StatusOK, v)
}

func (h availabilityPages) showTarget(w http.ResponseWriter, r *http.Request, status int, v availTargetView) {
	ctx := r.Context()
	if err := store.ScanErr(h.wb.DB.QueryRow(ctx, "SELECT name FROM services WHERE id = ?", v.ServiceID).Scan(&v.ServiceName)); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	rows, err := h.wb.DB.Query(ctx, "SELECT id, name FROM calendars ORDER BY lower(name) LIMIT ?", maxChoices)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Calendars = append(v.Calendars, o)
	}
	h.wb.render(w, r, status, "availability_target", page{Title: h.wb.clockOf(r).text().T("web.availability.title_target"), Active: "availability", Data: v})
}

func (h availabilityPages) saveTarget(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	form, tx := domainerr.NewInvalid(), h.wb.clockOf(r).text()
	in := availability.TargetInput{Reason: r.PostFormValue("reason")}
	pctS := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.PostFormValue("target")), "%"))
	if n, err := strconv.ParseFloat(strings.ReplaceAll(pctS, ",", "."), 64); err != nil {
		form.Add("target", "%s", tx.T("web.availability.percentage_such_as"))
	} else {
		in.Percent = n
	}
	if cal, ok := formID(r, "calendar_id"); !ok {
		form.Add("calendar_id", "%s", tx.T("web.availability.choose_hours"))
	} else {
		in.CalendarID = cal
	}
	var err error
	if len(form.Fields) == 0 {
		if _, err = h.svc.SetTarget(r.Context(), httpx.Principal(r), id, in); err == nil {
			h.wb.redirect(w, r, "/availability?service_id="+strconv.FormatInt(id, 10), "availability-target-saved")
			return
		}
	}
	bad, err := planMerged(form, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := availTargetView{ServiceID: id, Target: r.PostFormValue("target"), F: &fieldErrors{Form: "target", Errs: bad.Fields, Values: r.PostForm}}
	if in.CalendarID != nil {
		v.CalendarID = *in.CalendarID
	}
	h.showTarget(w, r, http.StatusUnprocessableEntity, v)
}

func (h availabilityPages) raiseRisk(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	from, to, _, _, err := h.period(r)
	if err == nil {
		var rk risk.Risk
		if rk, err = h.svc.RaiseRisk(r.Context(), httpx.Principal(r), h.risks, id, from, to); err == nil {
			h.wb.redirect(w, r, "/risks/"+strconv.FormatInt(rk.ID, 10), "availability-risk-raised")
			return
		}
	}
	h.wb.fail(w, r, err)
}

// pctText writes a percentage, "—" for none.
func pctText(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64) + " %"
}

// minutesText writes minutes as days, hours and minutes.
func minutesText(m float64) string {
	d := time.Duration(m * float64(time.Minute)).Round(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days %d h", int(d.Hours())/24, int(d.Hours())%24)
}
