package app

import (
	"steward/internal/api"
	"steward/internal/demo"
	"steward/internal/infosec"
	"steward/internal/record"
	"steward/internal/web"
)

// securityArea is information security (8.7.3): security incidents (SEC-),
// seen by the security groups and administrators only; the controls
// register with its Statement of Applicability; and the devices and
// services exposed by published advisories, through the CMDB's impact
// analysis.
func (a *App) securityArea() area {
	a.Security.CMDB = a.CMDB
	return area{name: "security", demo: &demo.Security,
		kinds: []*record.Kind{a.Security.Kind()},
		api:   api.SecurityRoutes(a.Security),
		pages: web.SecurityPages(a.Security),
		nav: []web.NavEntry{
			{Menu: "Assurance", Label: "Security incidents", Href: "/security-incidents", Perm: infosec.PermRead, Lit: []string{"security-incidents"}},
			{Menu: "Assurance", Label: "Controls", Href: "/controls", Perm: infosec.PermControls, Lit: []string{"controls"}},
			{Menu: "Assurance", Label: "Vulnerabilities", Href: "/vulnerabilities", Perm: infosec.PermExposure, Lit: []string{"vulnerabilities"}},
			{Menu: "Administration", Label: "Security groups", Href: "/admin/security-groups", Perm: infosec.PermGroups, Lit: []string{"security-groups"}},
		}}
}
