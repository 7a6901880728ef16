package app

import (
	"steward/internal/api"
	"steward/internal/cost"
	"steward/internal/demo"
	"steward/internal/web"
)

// costArea is budgeting and accounting (8.4.1): service costs, budgets and the cost of downtime.
func (a *App) costArea() area {
	// Asset costs follow each service's upstream in the CMDB. Time on
	// tickets is not recorded by the product: a.Costs.Effort stays nil
	// and the cost-benefit view says so.
	a.Costs.CMDB = a.CMDB
	return area{name: "cost", demo: &demo.Costs,
		api:   api.CostRoutes(a.Costs),
		pages: web.CostPages(a.Costs),
		nav: []web.NavEntry{
			{Menu: "Assurance", Label: "Costs & budgets", Href: "/costs", Perm: cost.PermRead, Lit: []string{"costs"}},
			{Menu: "Assurance", Label: "Cost-benefit", Href: "/costs/benefit", Perm: cost.PermRead, Lit: []string{"cost-benefit"}},
		}}
}
