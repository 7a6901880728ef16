package app

import (
	"steward/internal/api"
	"steward/internal/complaint"
	"steward/internal/demo"
	"steward/internal/httpx"
	"steward/internal/record"
	"steward/internal/satisfaction"
	"steward/internal/servicereview"
	"steward/internal/web"
)

// satisfactionArea is what customers feel: surveys after resolution,
// complaints (CMP-) and service reviews with customers. Its pages sit in
// the Service levels menu (clause 8.3, business relationship and service
// level management); requesters find their complaints on the bar, and the
// survey rules are an administrator's page.
func (a *App) satisfactionArea() area {
	// A low rating opens a complaint; a review's pack reads SLA attainment.
	a.Satisfaction.Complaints = a.Complaints
	a.ServiceReviews.SLA = a.SLA
	// A survey's e-mail carries one-click rating links.
	a.Mail.RatingLink = a.Satisfaction.RatingLink
	return area{name: "satisfaction", demo: &demo.Satisfaction,
		kinds: []*record.Kind{a.Complaints.Kind()},
		api: joinRoutes(api.SatisfactionRoutes(a.Satisfaction), api.ComplaintRoutes(a.Complaints),
			api.ServiceReviewRoutes(a.ServiceReviews)),
		pages: web.SatisfactionPages(a.Satisfaction, a.Complaints, a.ServiceReviews),
		nav: []web.NavEntry{
			{Label: "My complaints", Href: "/complaints", Perm: complaint.PermPortal, Lit: []string{"complaints"}},
			{Menu: "Service levels", Label: "Satisfaction", Href: "/satisfaction", Perm: satisfaction.PermRead, Lit: []string{"satisfaction"}},
			{Menu: "Service levels", Label: "Complaints", Href: "/complaints", Perm: satisfaction.PermRead, Lit: []string{"complaints"}},
			{Menu: "Service levels", Label: "Service reviews", Href: "/service-reviews", Perm: servicereview.PermRead, Lit: []string{"service-reviews"}},
			{Menu: "Administration", Label: "Surveys & complaints", Href: "/admin/satisfaction", Perm: satisfaction.PermAdmin, Lit: []string{"satisfaction-rules"}},
		}}
}

// joinRoutes is several areas' route sets as one.
func joinRoutes(rs ...api.Routes) api.Routes {
	return func(a *api.API, rt *httpx.Router) {
		for _, r := range rs {
			r(a, rt)
		}
	}
}
