package app

// availabilityArea is availability (8.7.1): outages and availability against target.
func (a *App) availabilityArea() area {
	return area{name: "availability"}
}
