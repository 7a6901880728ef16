package app

import (
	"steward/internal/api"
	"steward/internal/continuity"
	"steward/internal/demo"
	"steward/internal/web"
)

// continuityArea is continuity (8.7.2): requirements, plans, tests and
// invocations. Plans read their dependencies from the CMDB; a test's
// actions can be raised as improvements.
func (a *App) continuityArea() area {
	svc := continuity.NewService(a.DB, a.Log)
	svc.CMDB, svc.Improvements = a.CMDB, a.Improvements
	return area{name: "continuity", demo: &demo.Continuity,
		api:   api.ContinuityRoutes(svc),
		pages: web.ContinuityPages(svc),
		nav: []web.NavEntry{
			{Menu: "Assurance", Label: "Continuity", Href: "/continuity", Perm: continuity.PermRead, Lit: []string{"continuity"}},
			{Menu: "Assurance", Label: "Continuity plans", Href: "/continuity-plans", Perm: continuity.PermRead, Lit: []string{"continuity-plans"}},
		}}
}
