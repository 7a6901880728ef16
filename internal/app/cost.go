package app

// costArea is budgeting and accounting (8.4.1): service costs, budgets and the cost of downtime.
func (a *App) costArea() area {
	return area{name: "cost"}
}
