package app

import (
	"steward/internal/api"
	"steward/internal/dashboard"
	"steward/internal/demo"
	"steward/internal/sms"
	"steward/internal/web"
)

// dashboardArea is measurement and reporting: KPI snapshots on a
// schedule, dashboards, and service reports produced and delivered by
// the job queue.
func (a *App) dashboardArea() area {
	a.Dashboards.Reports = a.ServiceReports
	return area{name: "dashboards", demo: &demo.Dashboards,
		jobs: []job{
			{kind: dashboard.SnapshotJob, run: a.Dashboards.RefreshSnapshots, every: dashboard.SnapshotEvery},
			{kind: dashboard.ReportJob, run: a.Dashboards.ProduceDue, every: dashboard.ReportEvery},
		},
		api: api.DashboardRoutes(a.Dashboards), pages: web.DashboardPages(a.Dashboards),
		// The KPI definitions' entry joins the management system's measures
		// (kpiDefinitionsNav), further along the bar.
		nav: []web.NavEntry{{Label: "Dashboard", Href: "/dashboard", Perm: dashboard.PermRead, Lit: []string{"dashboard"}}}}
}

// kpiDefinitionsNav is the KPI definitions' entry, beside the KPIs in the
// management system's menu.
var kpiDefinitionsNav = web.NavEntry{Menu: "Management system", Label: "KPI definitions", Href: "/kpi-definitions",
	Perm: sms.PermRead, Lit: []string{"kpi-definitions"}}
