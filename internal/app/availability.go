package app

import (
	"steward/internal/demo"
	"time"

	"steward/internal/api"
	"steward/internal/availability"
	"steward/internal/web"
)

// availabilityArea is availability (8.7.1): outages and availability
// against target. Agreed hours are the SLA engine's business calendars;
// outages reach services through the CMDB's impact analysis; a service
// review's pack shows the customer's services' availability.
func (a *App) availabilityArea() area {
	a.Availability.Calendars = a.SLA
	a.Availability.Impact = a.CMDB
	a.ServiceReviews.Availability = a.Availability.PackFigure
	return area{name: "availability", demo: &demo.Availability,
		jobs:  []job{{kind: availability.DeriveJob, run: a.Availability.RunDerive, every: 5 * time.Minute}},
		api:   api.AvailabilityRoutes(a.Availability),
		pages: web.AvailabilityPages(a.Availability, a.Risks),
		nav: []web.NavEntry{
			{Menu: "Assurance", Label: "Availability", Href: "/availability", Perm: availability.PermRead, Lit: []string{"availability"}},
			{Menu: "Assurance", Label: "Outages", Href: "/outages", Perm: availability.PermRead, Lit: []string{"outages"}},
		}}
}
