package web

import (
	"errors"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/capacity"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

// capacityPages are capacity and demand's pages: the overview of series
// against their thresholds, a series with its chart, plans and demand.
type capacityPages struct {
	wb  *Web
	svc *capacity.Service
}

// maxCSVBytes bounds an uploaded file of samples.
const maxCSVBytes = 8 << 20

// CapacityPages are the pages over svc.
func CapacityPages(svc *capacity.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := capacityPages{wb: wb, svc: svc}
		rt.Handle("GET /capacity", capacity.PermRead, h.overview)
		wb.uploadUpTo(rt, "POST /capacity/upload", capacity.PermWrite, maxCSVBytes, h.upload)
		rt.Handle("GET /capacity/series/{id}", capacity.PermRead, h.series)
		wb.post(rt, "POST /capacity/series/{id}", capacity.PermWrite, h.saveSeries)
		rt.Handle("GET /capacity/demand", capacity.PermRead, h.demand)
		h.registerPlans(rt)
		wb.assurance = append(wb.assurance, h.serviceCard)
	}
}

type capacityView struct {
	Rows      []capacity.Standing
	Counts    map[string]int
	ServiceID int64
	Services  []option
	CanWrite  bool
	F         *fieldErrors
	Error     string
}

func (h capacityPages) overview(w http.ResponseWriter, r *http.Request) {
	h.showOverview(w, r, http.StatusOK, nil, "")
}

func (h capacityPages) showOverview(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors, msg string) {
	p := httpx.Principal(r)
	v := capacityView{CanWrite: p.Can(capacity.PermWrite), F: fe, Error: msg, Counts: map[string]int{}}
	if s := r.URL.Query().Get("service"); s != "" {
		v.ServiceID, _ = strconv.ParseInt(s, 10, 64)
	}
	rows, err := h.svc.Overview(r.Context(), p, v.ServiceID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Rows = rows
	for _, s := range rows {
		v.Counts[s.Level()]++
	}
	if v.Services, err = h.serviceOptions(r); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, status, "capacity", page{Title: "Capacity", Active: "capacity", Data: v})
}

func (h capacityPages) serviceOptions(r *http.Request) ([]option, error) {
	list, err := h.svc.Services(r.Context())
	out := make([]option, 0, len(list))
	for _, s := range list {
		out = append(out, option{ID: s.ID, Name: s.Name})
	}
	return out, err
}

func (h capacityPages) upload(w http.ResponseWriter, r *http.Request) {
	tx := h.wb.clockOf(r).text()
	fail := func(msg string, fields map[string]string) {
		h.showOverview(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "upload", Errs: fields}, msg)
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		fail("", map[string]string{"file": tx.T("web.capacity.choose_file")})
		return
	}
	defer file.Close()
	res, err := h.svc.IngestCSV(r.Context(), httpx.Principal(r), file)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/capacity", "capacity_uploaded:"+strconv.Itoa(res.Accepted)+":"+strconv.Itoa(res.Duplicates))
	case errors.As(err, &inv):
		lines := make([]string, 0, len(inv.Fields))
		for k, m := range inv.Fields {
			lines = append(lines, k+" "+m)
		}
		sort.Strings(lines)
		if len(lines) > 10 {
			lines = append(lines[:10], "…")
		}
		msg := inv.Message
		if msg == "" {
			msg = tx.T("web.capacity.not_taken")
		}
		fail(msg+": "+strings.Join(lines, "; "), map[string]string{"file": tx.T("web.capacity.fix_lines")})
	default:
		h.wb.fail(w, r, err)
	}
}

type capSeriesView struct {
	S        capacity.Series
	Forecast capacity.Forecast
	Chart    capChart
	Plans    []capacity.Plan
	CanWrite bool
	F        *fieldErrors
}

// capChart is a chart's figures as the page hands them to capacity.js:
// instants in Unix seconds, history and forecast values (empty where the
// other one is drawn) and the thresholds.
type capChart struct {
	X, Y, F   string
	Warn, Act string
	Unit      string
}

func capChartOf(f capacity.Forecast, sr capacity.Series) capChart {
	var x, y, fc []string
	for _, p := range f.History {
		x, y, fc = append(x, strconv.FormatInt(p.At.Unix(), 10)), append(y, num(p.Value)), append(fc, "")
	}
	// The forecast starts at the last peak, so the two lines meet.
	if n := len(fc); n > 0 && len(f.Ahead) > 0 {
		fc[n-1] = y[n-1]
	}
	for _, p := range shownAhead(f) {
		x, y, fc = append(x, strconv.FormatInt(p.At.Unix(), 10)), append(y, ""), append(fc, num(p.Value))
	}
	c := capChart{X: strings.Join(x, ","), Y: strings.Join(y, ","), F: strings.Join(fc, ","), Unit: sr.Unit}
	if sr.WarnAt != nil {
		c.Warn = num(*sr.WarnAt)
	}
	if sr.ActAt != nil {
		c.Act = num(*sr.ActAt)
	}
	return c
}

// shownAhead is the part of the forecast worth drawing: a quarter (two
// weeks of hours), or up to a week past the last crossing.
func shownAhead(f capacity.Forecast) []capacity.Point {
	n := 90
	if f.Resolution == capacity.Hourly {
		n = 14 * 24
	}
	for _, c := range []capacity.Crossing{f.Warn, f.Act} {
		if c.On == nil {
			continue
		}
		for i, p := range f.Ahead {
			if !p.At.Before(*c.On) && i+8 > n {
				n = i + 8
				break
			}
		}
	}
	if n > len(f.Ahead) {
		n = len(f.Ahead)
	}
	return f.Ahead[:n]
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// WarnText and ActText are the thresholds as the form shows them.
func (v capSeriesView) WarnText() string { return optNum(v.S.WarnAt) }
func (v capSeriesView) ActText() string  { return optNum(v.S.ActAt) }

// MAPE is the forecast's held-out error with one decimal, or "".
func (v capSeriesView) MAPE() string {
	if v.Forecast.MAPE == nil {
		return ""
	}
	return strconv.FormatFloat(*v.Forecast.MAPE, 'f', 1, 64)
}

func optNum(f *float64) string {
	if f == nil {
		return ""
	}
	return num(*f)
}

func (h capacityPages) series(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showSeries(w, r, http.StatusOK, id, nil)
}

func (h capacityPages) showSeries(w http.ResponseWriter, r *http.Request, status int, id int64, fe *fieldErrors) {
	p := httpx.Principal(r)
	sr, err := h.svc.Get(r.Context(), p, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	f, err := h.svc.Forecast(r.Context(), p, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := capSeriesView{S: sr, Forecast: f, Chart: capChartOf(f, sr), CanWrite: p.Can(capacity.PermWrite), F: fe}
	plans, err := h.svc.Plans(r.Context(), p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, pl := range plans {
		for _, sid := range pl.SeriesIDs {
			if sid == id {
				v.Plans = append(v.Plans, pl)
			}
		}
	}
	h.wb.render(w, r, status, "capacity_series", page{Title: sr.Label(), Active: "capacity", Data: v})
}

func (h capacityPages) saveSeries(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	form, tx := domainerr.NewInvalid(), h.wb.clockOf(r).text()
	pt := capacity.SeriesPatch{Unit: planText(r, "unit"), WarnAction: planText(r, "warn_action"), ActAction: planText(r, "act_action")}
	for _, f := range []struct {
		name  string
		dst   **float64
		clear *bool
	}{{"warn_at", &pt.WarnAt, &pt.ClearWarn}, {"act_at", &pt.ActAt, &pt.ClearAct}} {
		s := strings.TrimSpace(r.PostFormValue(f.name))
		if s == "" {
			*f.clear = true
			continue
		}
		x, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil {
			form.Add(f.name, "%s", tx.T("web.capacity.threshold_number"))
			continue
		}
		*f.dst = &x
	}
	if _, ok := r.PostForm["source_url"]; ok {
		pt.SourceURL, pt.SourceQuery = planText(r, "source_url"), planText(r, "source_query")
		if s := strings.TrimSpace(r.PostFormValue("source_step")); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				form.Add("source_step_seconds", "%s", tx.T("web.capacity.whole_seconds"))
			}
			pt.SourceStep = &n
		}
	}
	version, _ := formVersion(r)
	var err error
	if len(form.Fields) == 0 {
		if _, err = h.svc.Update(r.Context(), httpx.Principal(r), id, pt, version); err == nil {
			h.wb.redirect(w, r, "/capacity/series/"+strconv.FormatInt(id, 10), "capacity_series_saved")
			return
		}
	}
	bad, err := planMerged(form, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showSeries(w, r, http.StatusUnprocessableEntity, id, &fieldErrors{Form: "series", Errs: bad.Fields, Values: r.PostForm})
}

type capDemandView struct {
	Items []capDemand
	Weeks int
	Error string
}

type capDemand struct {
	capacity.Demand
	Chart capChart
}

// ChangePct is the trend's change over the period in whole percent.
func (d capDemand) ChangePct() string { return strconv.Itoa(int(math.Round(d.Change * 100))) }

func (h capacityPages) demand(w http.ResponseWriter, r *http.Request) {
	v := capDemandView{Weeks: 13}
	if s := r.URL.Query().Get("weeks"); s != "" {
		v.Weeks, _ = strconv.Atoi(s)
	}
	items, err := h.svc.DemandTrends(r.Context(), httpx.Principal(r), 0, v.Weeks)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Weeks, v.Error = 13, h.wb.clockOf(r).text().T("web.capacity.choose_weeks")
		items, err = h.svc.DemandTrends(r.Context(), httpx.Principal(r), 0, 13)
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	// Busiest first.
	sort.SliceStable(items, func(i, j int) bool { return items[i].Total > items[j].Total })
	for _, d := range items {
		v.Items = append(v.Items, capDemand{Demand: d, Chart: demandChart(d)})
	}
	h.wb.render(w, r, http.StatusOK, "capacity_demand", page{Title: "Demand", Active: "demand", Data: v})
}

func demandChart(d capacity.Demand) capChart {
	var x, y, fc []string
	day := func(s string) string {
		t, _ := time.Parse(time.DateOnly, s)
		return strconv.FormatInt(t.Unix(), 10)
	}
	for _, w := range d.Weeks {
		x, y, fc = append(x, day(w.Start)), append(y, strconv.Itoa(w.Total())), append(fc, "")
	}
	if n := len(fc); n > 0 && len(d.Ahead) > 0 {
		fc[n-1] = y[n-1]
	}
	for _, w := range d.Ahead {
		x, y, fc = append(x, day(w.Start)), append(y, ""), append(fc, num(w.Forecast))
	}
	return capChart{X: strings.Join(x, ","), Y: strings.Join(y, ","), F: strings.Join(fc, ","), Unit: "tickets"}
}
