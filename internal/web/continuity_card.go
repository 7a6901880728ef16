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
var verdictWords = map[string]string{continuity.Met: "met", continuity.Missed: "missed",
	continuity.NotMeasured: "not measured", continuity.NoRequirement: "no requirement"}

// serviceCard is the continuity card of a service's page: its RTO and
// RPO, the plan that covers it and how its latest test went for it.
func (h continuityPages) serviceCard(r *http.Request, serviceID int64) (*assuranceCard, error) {
	p := httpx.Principal(r)
	if !p.Can(continuity.PermRead) {
		return nil, nil
	}
	ctx := r.Context()
	c := &assuranceCard{ID: "assurance-continuity", Area: "Continuity", Href: "/continuity", LinkText: "Continuity overview"}
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
		c.Empty = "No continuity requirement, plan or test for this service."
		return c, nil
	}
	if hasReq {
		c.Figure = "RTO " + req.RTO + " · RPO " + req.RPO
	} else {
		c.Figure = "No RTO or RPO set"
	}
	if plan != nil {
		c.Lines = append(c.Lines, "Plan: "+plan.Title+" ("+plan.State+")")
		c.Href, c.LinkText = "/continuity-plans/"+strconv.FormatInt(plan.ID, 10), "Continuity plan"
	} else {
		c.Lines = append(c.Lines, "No continuity plan in force covers it.")
		c.Flag = "no plan"
	}
	if len(tests) == 0 {
		c.Lines = append(c.Lines, "Never tested.")
		return c, nil
	}
	t := tests[0]
	rto, rpo := t.Verdict, t.Verdict
	for _, o := range t.Outcomes {
		if o.ServiceID == serviceID {
			rto, rpo = o.RTOVerdict, o.RPOVerdict
		}
	}
	c.Lines = append(c.Lines, "Last test "+h.wb.clockOf(r).date(t.HeldOn)+": RTO "+verdictWords[rto]+", RPO "+verdictWords[rpo]+".")
	if rto == continuity.Missed || rpo == continuity.Missed {
		c.Flag = "last test missed"
	}
	return c, nil
}
