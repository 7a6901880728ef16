package app

// capacityArea is capacity and demand (8.4.2, 8.4.3): utilisation samples, thresholds, forecasts and plans.
func (a *App) capacityArea() area {
	return area{name: "capacity"}
}
