package web

import (
	"net/http"
	"strconv"
	"time"

	"steward/internal/i18n"
	"steward/internal/kpi"
)

// kpiRow is one measure on the KPI page: its figure over the window and
// its last twelve weeks.
type kpiRow struct {
	kpi.Metric
	Fig     planFigure
	Records string
	Link    string
	Trend   planSpark
}

type kpisView struct {
	Days  int
	Items []kpiRow
	Spans []int
}

// planSpark is a small bar chart of a series, drawn as SVG (the page's
// security policy allows no inline styles).
type planSpark struct {
	Bars  []planSparkBar
	Label string
}

type planSparkBar struct {
	X, Y, H float64
	NoData  bool
	Title   string
}

// planSparkOf scales a series into bars 0 to 20 high; buckets without data
// show as a faint dot.
func planSparkOf(tx i18n.Text, m kpi.Metric, pts []kpi.Point, day func(time.Time) string) planSpark {
	var s planSpark
	top := 0.0
	for _, p := range pts {
		if !p.NoData() && p.Value.Value > top {
			top = p.Value.Value
		}
	}
	if m.Unit == "%" {
		top = 100
	}
	for i, p := range pts {
		b := planSparkBar{X: float64(i) * 8, NoData: p.NoData(), Title: day(p.From) + ": " + planFigure{p.Value.Value, m.Unit, p.N, tx}.String()}
		if !p.NoData() && top > 0 {
			b.H = 2 + 18*p.Value.Value/top
		}
		if b.NoData {
			b.H = 2
		}
		b.Y = 20 - b.H
		s.Bars = append(s.Bars, b)
	}
	return s
}

func (h planningPages) kpis(w http.ResponseWriter, r *http.Request) {
	v := kpisView{Days: 90, Spans: []int{30, 90, 365}}
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 3660 {
			h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.planning_kpis.window_whole_number"))
			return
		}
		v.Days = n
	}
	ctx := r.Context()
	now := time.Now().UTC()
	ck := h.wb.clockOf(r)
	// Twelve weeks from Monday, this one the last (so far).
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	weeksBack := today.AddDate(0, 0, -((int(today.Weekday())+6)%7)-7*11)
	for _, m := range kpi.All() {
		val, err := kpi.Current(ctx, h.wb.DB, m, v.Days, now)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		pts, err := kpi.Series(ctx, h.wb.DB, m, weeksBack, now, "week")
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Items = append(v.Items, kpiRow{Metric: m, Fig: planFigure{val.Value, m.Unit, val.N, ck.text()}, Records: planRecords(ck.text(), val.N), Link: val.Link,
			Trend: planSparkOf(ck.text(), m, pts, ck.day)})
	}
	h.wb.render(w, r, http.StatusOK, "kpis", page{Title: "KPIs", Active: "kpis", Data: v})
}
