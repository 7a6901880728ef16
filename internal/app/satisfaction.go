package app

// satisfactionArea is what customers feel: surveys after resolution,
// complaints (CMP-) and service reviews with customers.
func (a *App) satisfactionArea() area {
	return area{name: "satisfaction"}
}
