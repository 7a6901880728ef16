package app

// dashboardArea is measurement and reporting: KPI snapshots on a
// schedule, dashboards, and service reports produced and delivered by
// the job queue.
func (a *App) dashboardArea() area {
	return area{name: "dashboards"}
}
