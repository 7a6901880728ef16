package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/cost"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

type benefitLine struct {
	Label, DowntimeCost, Downtime, Unpriced, Change, ServiceCost, SMSBudget, Effort string
	Better, Worse                                                                   bool
}

type benefitView struct {
	B cost.Benefit
	// NoOutages is true when no outage was measured in any quarter.
	NoOutages bool
	// Totals over the quarters.
	DowntimeCost, ServiceCost, SMSBudget string
	Lines                                []benefitLine
	Chart                                costChart
	Budgets                              []budgetLine
	Error                                string
	CanAdmin                             bool
	Currency                             string
	F                                    *fieldErrors
	From, To                             string
}

// budgetLine is a budget written for people.
type budgetLine struct {
	ID                           int64
	Period, Amount, Note         string
	Foreign                      bool
	ServiceName, Currency, Value string
}

func (h costPages) benefit(w http.ResponseWriter, r *http.Request) {
	h.showBenefit(w, r, http.StatusOK, nil)
}

func (h costPages) showBenefit(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	p := httpx.Principal(r)
	to := cost.PeriodAt(cost.Quarter, h.svc.Today())
	from := to.Prev().Prev().Prev()
	if f, err := cost.ParsePeriod(r.URL.Query().Get("from")); err == nil && f.Kind == cost.Quarter {
		if t, err := cost.ParsePeriod(r.URL.Query().Get("to")); err == nil && t.Kind == cost.Quarter && !t.Start.Before(f.Start) {
			from, to = f, t
		}
	}
	v := benefitView{CanAdmin: p.Can(cost.PermAdmin), F: fe, From: from.Label, To: to.Label}
	b, err := h.svc.Benefit(r.Context(), p, from, to)
	switch {
	case cost.IsRateMissing(err):
		v.Error = rateMessage(err)
	case err != nil:
		h.wb.fail(w, r, err)
		return
	default:
		v.B, v.Currency = b, b.Currency
		v.Lines, v.Chart = benefitLines(h.wb.clockOf(r).text(), b)
		v.NoOutages = true
		var down, svc, sms int64
		for _, q := range b.Quarters {
			v.NoOutages = v.NoOutages && q.DowntimeSeconds == 0
			down, svc = down+q.DowntimeCost, svc+q.ServiceCost
			if q.SMSBudget != nil {
				sms += *q.SMSBudget
			}
		}
		v.DowntimeCost, v.ServiceCost, v.SMSBudget = cost.Format(down, b.Currency), cost.Format(svc, b.Currency), cost.Format(sms, b.Currency)
	}
	budgets, err := h.svc.ListBudgets(r.Context(), p, cost.BudgetFilter{SMS: true, Limit: 50})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur := v.Currency
	if cur == "" {
		cur, _ = cost.AccountingCurrency(r.Context(), h.wb.DB)
	}
	v.Currency = cur
	for _, b := range budgets {
		v.Budgets = append(v.Budgets, budgetOf(b, cur))
	}
	h.wb.render(w, r, status, "cost_benefit", page{Title: "Cost-benefit", Active: "cost-benefit", Data: v})
}

func budgetOf(b cost.Budget, cur string) budgetLine {
	return budgetLine{ID: b.ID, Period: periodLabel(b.Period), Amount: cost.Format(b.Amount, b.Currency), Note: b.Note,
		Foreign: b.Currency != cur, ServiceName: b.ServiceName, Currency: b.Currency}
}

func benefitLines(tx i18n.Text, b cost.Benefit) ([]benefitLine, costChart) {
	cur := b.Currency
	var lines []benefitLine
	var xs, labels []string
	series := []chartSeries{{Label: tx.T("web.costs.series_downtime"), Kind: "bar"}, {Label: tx.T("web.cost_benefit.series_sms_budget"), Kind: "line"}}
	major := func(n int64) *float64 {
		f := float64(n)
		for range cost.Digits(cur) {
			f /= 10
		}
		return &f
	}
	for _, q := range b.Quarters {
		l := benefitLine{Label: periodLabel(q.Period), DowntimeCost: cost.Format(q.DowntimeCost, cur), Downtime: hours(tx, q.DowntimeSeconds),
			ServiceCost: cost.Format(q.ServiceCost, cur), Effort: tx.T("web.cost_benefit.not_recorded")}
		if q.UnpricedDowntimeSeconds > 0 {
			l.Unpriced = hours(tx, q.UnpricedDowntimeSeconds)
		}
		if q.DowntimeChange != nil {
			l.Change = strconv.FormatFloat(*q.DowntimeChange, 'f', 1, 64) + " %"
			if *q.DowntimeChange > 0 {
				l.Change = "+" + l.Change
			}
			l.Better, l.Worse = *q.DowntimeChange < 0, *q.DowntimeChange > 0
		}
		if q.SMSBudget != nil {
			l.SMSBudget = cost.Format(*q.SMSBudget, cur)
		}
		if q.TicketSeconds != nil {
			l.Effort = hours(tx, *q.TicketSeconds)
		}
		lines = append(lines, l)
		p, _ := cost.ParsePeriod(q.Period)
		xs = append(xs, strconv.FormatInt(p.Start.Unix(), 10))
		labels = append(labels, l.Label)
		series[0].Values = append(series[0].Values, major(q.DowntimeCost))
		var sms *float64
		if q.SMSBudget != nil {
			sms = major(*q.SMSBudget)
		}
		series[1].Values = append(series[1].Values, sms)
	}
	raw, _ := json.Marshal(series)
	return lines, costChart{X: strings.Join(xs, ","), Labels: strings.Join(labels, ","), Series: string(raw)}
}

// formAmount reads an amount in major units for a currency field.
func formAmount(r *http.Request, v *domainerr.Invalid, name, curField string) (*int64, string) {
	cur, err := cost.CheckCurrency(r.PostFormValue(curField))
	if err != nil {
		v.Add(curField, "%s", err)
		return nil, ""
	}
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		v.Add(name, "is required")
		return nil, cur
	}
	n, err := cost.ParseMajor(s, cur)
	if err != nil {
		v.Add(name, "%s", err)
		return nil, cur
	}
	return &n, cur
}

func (h costPages) addSMSBudget(w http.ResponseWriter, r *http.Request) {
	v := domainerr.NewInvalid()
	amount, cur := formAmount(r, v, "amount", "currency")
	in := cost.BudgetInput{Period: r.PostFormValue("period"), Amount: amount, Currency: cur, Note: r.PostFormValue("note")}
	var err error
	if len(v.Fields) == 0 {
		if _, err = h.svc.CreateBudget(r.Context(), httpx.Principal(r), in); err == nil {
			h.wb.redirect(w, r, "/costs/benefit#sms-budget", "saved")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showBenefit(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "sms", Errs: bad.Fields, Values: r.PostForm})
}

type ratesView struct {
	Currency string
	Rates    []cost.Rate
	CanAdmin bool
	F        *fieldErrors
}

func (h costPages) rates(w http.ResponseWriter, r *http.Request) {
	h.showRates(w, r, http.StatusOK, nil)
}

func (h costPages) showRates(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	p := httpx.Principal(r)
	list, err := h.svc.ListRates(r.Context(), p)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur, err := cost.AccountingCurrency(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for i := range list {
		list[i].Period = periodLabel(list[i].Period)
	}
	h.wb.render(w, r, status, "cost_rates", page{Title: "Currency & exchange rates", Active: "costs",
		Data: ratesView{Currency: cur, Rates: list, CanAdmin: p.Can(cost.PermAdmin), F: fe}})
}

func (h costPages) addRate(w http.ResponseWriter, r *http.Request) {
	in := cost.RateInput{From: r.PostFormValue("from_currency"), Period: r.PostFormValue("period"), Rate: r.PostFormValue("rate")}
	_, err := h.svc.SetRate(r.Context(), httpx.Principal(r), in)
	if err == nil {
		h.wb.redirect(w, r, "/costs/rates", "saved")
		return
	}
	h.formFailed(w, r, err, "rate", h.showRates)
}

func (h costPages) deleteRate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.DeleteRate(r.Context(), httpx.Principal(r), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/costs/rates", "deleted")
}

func (h costPages) setCurrency(w http.ResponseWriter, r *http.Request) {
	_, err := h.svc.SetCurrency(r.Context(), httpx.Principal(r), r.PostFormValue("currency"))
	if err == nil {
		h.wb.redirect(w, r, "/costs/rates", "saved")
		return
	}
	h.formFailed(w, r, err, "currency", h.showRates)
}

// formFailed shows a form's field errors on its page again, or fails.
func (h costPages) formFailed(w http.ResponseWriter, r *http.Request, err error, form string,
	show func(http.ResponseWriter, *http.Request, int, *fieldErrors)) {
	bad, err := planMerged(domainerr.NewInvalid(), err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	show(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: form, Errs: bad.Fields, Values: r.PostForm})
}
