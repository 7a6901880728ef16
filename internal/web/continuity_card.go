package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/continuity"
	"steward/internal/httpx"
	"steward/internal/store"
)

// verdictWords say a test's verdict for one figure on a service's page.
var verdictWords = map[string]string{continuity.Met: "web.continuity_card.met", continuity.Missed: "web.continuity_card.missed",
	continuity.NotMeasured: "web.continuity_card.not_measured", continuity.NoRequirement: "web.continuity_card.no_requirement"}

// serviceCard is the continuity card of a service's page: its RTO and
// RPO, the plan that covers it and how its latest test went for it.
func (h continuityPages) serviceCard(r *http.Request, serviceID int64) (*assuranceCard, error) {
	p := httpx.Principal(r)
	if !p.Can(continuity.PermRead) {
		return nil, nil
	}
	ctx, clk := r.Context(), h.wb.clockOf(r)
	tx := clk.text()
	c := &assuranceCard{ID: "assurance-continuity", Area: tx.T("web.continuity_card.area"), Href: "/continuity", LinkText: tx.T("web.continuity_card.link")}
	req, err := h.svc.Requirement(ctx, p, serviceID)
	hasReq := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	plans, err := h.svc.Plans(ctx, p, continuity.PlanFilter{ServiceID: serviceID, Limit: 20})
	if err != nil {
		return nil, err
	}
	var plan *continuity.Plan
	for i := range plans {
		if plans[i].State == continuity.Retired {
			continue
		}
		if plan == nil || plans[i].State == continuity.Approved && plan.State != continuity.Approved {
			plan = &plans[i]
		}
	}
	tests, err := h.svc.Tests(ctx, p, continuity.TestFilter{ServiceID: serviceID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if !hasReq && plan == nil && len(tests) == 0 {
		c.Empty = tx.T("web.continuity_card.empty")
		return c, nil
	}
	if hasReq {
		c.Figure = tx.T("web.continuity_card.figure", "RTO", req.RTO, "RPO", req.RPO)
	} else {
		c.Figure = tx.T("web.continuity_card.no_figure")
	}
	if plan != nil {
		c.Lines = append(c.Lines, tx.T("web.continuity_card.plan", "Title", plan.Title, "State", plan.State))
		c.Href, c.LinkText = "/continuity-plans/"+strconv.FormatInt(plan.ID, 10), tx.T("web.continuity_card.plan_link")
	} else {
		c.Lines = append(c.Lines, tx.T("web.continuity_card.no_plan"))
		c.Flag = tx.T("web.continuity_card.flag_no_plan")
	}
	if len(tests) == 0 {
		c.Lines = append(c.Lines, tx.T("web.continuity_card.never_tested"))
		return c, nil
	}
	t := tests[0]
	rto, rpo := t.Verdict, t.Verdict
	for _, o := range t.Outcomes {
		if o.ServiceID == serviceID {
			rto, rpo = o.RTOVerdict, o.RPOVerdict
		}
	}
	c.Lines = append(c.Lines, tx.T("web.continuity_card.last_test", "Date", clk.date(t.HeldOn), "RTO", tx.T(verdictWords[rto]), "RPO", tx.T(verdictWords[rpo])))
	if rto == continuity.Missed || rpo == continuity.Missed {
		c.Flag = tx.T("web.continuity_card.flag_missed")
	}
	return c, nil
}
