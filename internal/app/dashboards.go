package app

import (
	"steward/internal/api"
	"steward/internal/dashboard"
	"steward/internal/sms"
	"steward/internal/web"
)

// dashboardArea is measurement and reporting: KPI snapshots on a
// schedule, dashboards, and service reports produced and delivered by
// the job queue.
func (a *App) dashboardArea() area {
	a.Dashboards.Reports = a.ServiceReports
	return area{name: "dashboards",
		jobs: []job{
			{kind: dashboard.SnapshotJob, run: a.Dashboards.RefreshSnapshots, every: dashboard.SnapshotEvery},
			{kind: dashboard.ReportJob, run: a.Dashboards.ProduceDue, every: dashboard.ReportEvery},
		},
		api: api.DashboardRoutes(a.Dashboards), pages: web.DashboardPages(a.Dashboards),
		nav: []web.NavEntry{
			{Label: "Dashboard", Href: "/dashboard", Perm: dashboard.PermRead, Lit: []string{"dashboard"}},
			{Menu: "Management system", Label: "KPI definitions", Href: "/kpi-definitions", Perm: sms.PermRead, Lit: []string{"kpi-definitions"}},
		}}
}
