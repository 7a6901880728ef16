package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/cost"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// costPages are budgeting and accounting's pages (8.4.1): the costs of
// every service against budget, one service's costs with its records,
// the cost-benefit view and the exchange rates.
type costPages struct {
	wb  *Web
	svc *cost.Service
}

// CostPages are the cost area's pages over svc.
func CostPages(svc *cost.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := costPages{wb: wb, svc: svc}
		rt.Handle("GET /costs", cost.PermRead, h.overview)
		rt.Handle("GET /costs/report.csv", cost.PermRead, h.csv)
		rt.Handle("GET /costs/benefit", cost.PermRead, h.benefit)
		wb.post(rt, "POST /costs/sms-budgets", cost.PermAdmin, h.addSMSBudget)
		rt.Handle("GET /costs/rates", cost.PermRead, h.rates)
		wb.post(rt, "POST /costs/rates", cost.PermAdmin, h.addRate)
		wb.post(rt, "POST /costs/rates/{id}/delete", cost.PermAdmin, h.deleteRate)
		wb.post(rt, "POST /costs/currency", cost.PermAdmin, h.setCurrency)
		h.registerService(rt)
		wb.assurance = append(wb.assurance, h.serviceCard)
	}
}

// costLine is one row of figures, written for people.
type costLine struct {
	Label, Href                                       string
	Catalogue, Assets, Contracts, Other, Actual       string
	Budget, Variance, VariancePct, Downtime, DownCost string
	Over, Partial                                     bool
}

func costRow(tx i18n.Text, r cost.Row, cur string) costLine {
	l := costLine{Label: periodLabel(r.Period), Catalogue: cost.Format(r.Catalogue, cur), Assets: cost.Format(r.Assets, cur),
		Contracts: cost.Format(r.Contracts, cur), Other: cost.Format(r.Other, cur), Actual: cost.Format(r.Actual, cur),
		Downtime: hours(tx, r.DowntimeSeconds), Partial: r.BudgetMonths > 0 && r.BudgetMonths < r.Months}
	if r.Budget != nil {
		l.Budget, l.Variance, l.Over = cost.Format(*r.Budget, cur), cost.Format(*r.Variance, cur), *r.Variance < 0
		if r.VariancePercent != nil {
			l.VariancePct = strconv.FormatFloat(*r.VariancePercent, 'f', 1, 64) + " %"
		}
	}
	if r.DowntimeCost != nil {
		l.DownCost = cost.Format(*r.DowntimeCost, cur)
	}
	return l
}

// hours writes seconds of downtime as hours and minutes.
func hours(tx i18n.Text, s int64) string {
	if s == 0 {
		return tx.T("web.costs.none_measured")
	}
	m := (s + 30) / 60
	if m < 60 {
		return tx.T("web.costs.minutes", "Minutes", m)
	}
	return tx.T("web.costs.hours", "Hours", m/60, "Minutes", fmt.Sprintf("%02d", m%60))
}

// periodLabel writes a period for people: Mar 2026, Q1 2026, 2026.
func periodLabel(label string) string {
	p, err := cost.ParsePeriod(label)
	if err != nil {
		return label
	}
	switch p.Kind {
	case cost.Month:
		return p.Start.Format("Jan 2006")
	case cost.Quarter:
		return label[5:] + " " + label[:4]
	}
	return label
}

// costChart is a chart's figures for costs.js: period starts and series
// of major units (null where there is no figure).
type costChart struct {
	X      string
	Labels string
	Series string
}

type chartSeries struct {
	Label  string     `json:"label"`
	Kind   string     `json:"kind"` // bar or line
	Values []*float64 `json:"values"`
}

func chartOf(tx i18n.Text, rows []cost.Row, cur string, withDowntime bool) costChart {
	var xs, labels []string
	actual := chartSeries{Label: tx.T("web.costs.series_actual"), Kind: "bar"}
	budget := chartSeries{Label: tx.T("web.costs.series_budget"), Kind: "line"}
	down := chartSeries{Label: tx.T("web.costs.series_downtime"), Kind: "line"}
	digits := cost.Digits(cur)
	major := func(p *int64) *float64 {
		if p == nil {
			return nil
		}
		f := float64(*p)
		for range digits {
			f /= 10
		}
		return &f
	}
	for _, r := range rows {
		p, _ := cost.ParsePeriod(r.Period)
		xs = append(xs, strconv.FormatInt(p.Start.Unix(), 10))
		labels = append(labels, periodLabel(r.Period))
		actual.Values = append(actual.Values, major(&r.Actual))
		budget.Values = append(budget.Values, major(r.Budget))
		down.Values = append(down.Values, major(r.DowntimeCost))
	}
	series := []chartSeries{actual, budget}
	if withDowntime {
		series = append(series, down)
	}
	raw, _ := json.Marshal(series)
	return costChart{X: strings.Join(xs, ","), Labels: strings.Join(labels, ","), Series: string(raw)}
}

// span reads the page's from and to (periods of one kind); by default the
// last four quarters up to the current one.
func (h costPages) span(r *http.Request) (cost.Period, cost.Period, string) {
	tx := h.wb.clockOf(r).text()
	to := cost.PeriodAt(cost.Quarter, h.svc.Today())
	from := to.Prev().Prev().Prev()
	f, errF := cost.ParsePeriod(r.URL.Query().Get("from"))
	t, errT := cost.ParsePeriod(r.URL.Query().Get("to"))
	switch {
	case r.URL.Query().Get("from") == "" && r.URL.Query().Get("to") == "":
		return from, to, ""
	case errF != nil:
		return from, to, tx.T("web.costs.bad_from", "Problem", errF.Error())
	case errT != nil:
		return f, f, ""
	}
	if _, err := cost.Span(f, t); err != nil {
		return from, to, tx.T("web.costs.bad_to", "Problem", err.Error())
	}
	return f, t, ""
}

type costsView struct {
	From, To string
	Currency string
	Services []costLine
	Totals   []costLine
	Total    costLine
	Chart    costChart
	Error    string
	Query    string
	CanAdmin bool
}

func (h costPages) overview(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	from, to, msg := h.span(r)
	tx := h.wb.clockOf(r).text()
	v := costsView{From: from.Label, To: to.Label, Error: msg, CanAdmin: p.Can(cost.PermAdmin),
		Query: "from=" + from.Label + "&to=" + to.Label}
	rep, err := h.svc.Report(r.Context(), p, cost.ReportQuery{From: from, To: to})
	if err != nil && !cost.IsRateMissing(err) {
		h.wb.fail(w, r, err)
		return
	}
	if err != nil {
		v.Error = rateMessage(err)
	} else {
		v.Currency = rep.Currency
		var total cost.Row
		for _, sc := range rep.Services {
			l := costRow(tx, sc.Total, rep.Currency)
			l.Label, l.Href = sc.Name, "/costs/services/"+strconv.FormatInt(sc.ServiceID, 10)+"?"+v.Query
			v.Services = append(v.Services, l)
		}
		for _, t := range rep.Totals {
			v.Totals = append(v.Totals, costRow(tx, t, rep.Currency))
		}
		total = sumRows(rep.Totals)
		v.Total = costRow(tx, total, rep.Currency)
		v.Total.Label = tx.T("web.cost_service.all_periods")
		v.Chart = chartOf(tx, rep.Totals, rep.Currency, true)
	}
	h.wb.render(w, r, http.StatusOK, "costs", page{Title: "Costs & budgets", Active: "costs", Data: v})
}

// sumRows adds a report's period rows into one.
func sumRows(rows []cost.Row) cost.Row {
	var t cost.Row
	var budget int64
	for _, r := range rows {
		t.Months += r.Months
		t.Catalogue += r.Catalogue
		t.Assets += r.Assets
		t.Contracts += r.Contracts
		t.Other += r.Other
		t.Actual += r.Actual
		t.DowntimeSeconds += r.DowntimeSeconds
		t.BudgetMonths += r.BudgetMonths
		if r.Budget != nil {
			budget += *r.Budget
		}
		if r.DowntimeCost != nil {
			c := *r.DowntimeCost
			if t.DowntimeCost != nil {
				c += *t.DowntimeCost
			}
			t.DowntimeCost = &c
		}
	}
	if t.BudgetMonths > 0 {
		v := budget - t.Actual
		t.Budget, t.Variance = &budget, &v
		if budget != 0 {
			pc := math.Round(float64(v)/float64(budget)*1000) / 10
			t.VariancePercent = &pc
		}
	}
	return t
}

// rateMessage is the sentence a missing exchange rate shows.
func rateMessage(err error) string {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return sentence(inv.Fields["currency"])
	}
	return err.Error()
}

func (h costPages) csv(w http.ResponseWriter, r *http.Request) {
	from, to, _ := h.span(r)
	svc, _ := strconv.ParseInt(r.URL.Query().Get("service_id"), 10, 64)
	rep, err := h.svc.Report(r.Context(), httpx.Principal(r), cost.ReportQuery{ServiceID: max(svc, 0), From: from, To: to})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="cost-`+rep.From+`-`+rep.To+`.csv"`)
	cost.WriteCSV(w, rep)
}
