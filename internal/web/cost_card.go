package web

import (
	"net/http"
	"net/url"
	"strconv"

	"steward/internal/cost"
	"steward/internal/httpx"
)

// serviceCard is the cost card of a service's page: this year's actual
// cost against its budget.
func (h costPages) serviceCard(r *http.Request, serviceID int64) (*assuranceCard, error) {
	p := httpx.Principal(r)
	if !p.Can(cost.PermRead) {
		return nil, nil
	}
	ctx, tx := r.Context(), h.wb.clockOf(r).text()
	year := cost.PeriodAt(cost.Year, h.svc.Today())
	c := &assuranceCard{ID: "assurance-costs", Area: tx.T("web.cost_card.area"), LinkText: tx.T("web.cost_card.link"),
		Href: "/costs/services/" + strconv.FormatInt(serviceID, 10) + "?" + url.Values{"from": {year.Label}, "to": {year.Label}}.Encode()}
	cur, err := cost.AccountingCurrency(ctx, h.wb.DB)
	if err != nil {
		return nil, err
	}
	rep, err := h.svc.Report(ctx, p, cost.ReportQuery{ServiceID: serviceID, From: year, To: year})
	switch {
	case cost.IsRateMissing(err):
		c.Empty = rateMessage(err)
		return c, nil
	case err != nil:
		return nil, err
	case len(rep.Services) == 0 || len(rep.Services[0].Rows) == 0:
		c.Empty = tx.T("web.cost_card.empty")
		return c, nil
	}
	row := rep.Services[0].Rows[0]
	if row.Actual == 0 && row.Budget == nil {
		c.Empty = tx.T("web.cost_card.nothing", "Year", year.Label)
		return c, nil
	}
	l := costRow(tx, row, cur)
	c.Figure = tx.T("web.cost_card.figure", "Amount", l.Actual, "Year", year.Label)
	if row.Budget == nil {
		c.Lines = append(c.Lines, tx.T("web.cost_card.no_budget", "Year", year.Label))
		return c, nil
	}
	c.Lines = append(c.Lines, tx.T("web.cost_card.budget", "Amount", l.Budget))
	if l.Over {
		c.Flag = tx.T("web.cost_card.over")
		c.Lines = append(c.Lines, tx.T("web.cost_card.over_by", "Amount", cost.Format(-*row.Variance, cur)))
	} else {
		c.Lines = append(c.Lines, tx.T("web.cost_card.left", "Amount", l.Variance))
	}
	return c, nil
}
