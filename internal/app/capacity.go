package app

import (
	"steward/internal/api"
	"steward/internal/capacity"
	"steward/internal/demo"
	"steward/internal/web"
)

// capacityArea is capacity and demand (8.4.2, 8.4.3): utilisation samples, thresholds, forecasts and plans.
// Series with a Prometheus source are read every few minutes by one node.
func (a *App) capacityArea() area {
	svc := capacity.NewService(a.DB, a.Log)
	return area{name: "capacity", demo: &demo.Capacity,
		jobs:  []job{{kind: capacity.PollJob, run: svc.Poll, every: capacity.PollEvery}},
		api:   api.CapacityRoutes(svc),
		pages: web.CapacityPages(svc),
		nav: []web.NavEntry{
			{Menu: "Assurance", Label: "Capacity", Href: "/capacity", Perm: capacity.PermRead, Lit: []string{"capacity"}},
			{Menu: "Assurance", Label: "Capacity plans", Href: "/capacity/plans", Perm: capacity.PermRead, Lit: []string{"capacity-plans"}},
			{Menu: "Assurance", Label: "Demand", Href: "/capacity/demand", Perm: capacity.PermRead, Lit: []string{"demand"}},
		}}
}
