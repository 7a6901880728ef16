package app

// securityArea is information security (8.7.3): security incidents, controls and vulnerability exposure.
func (a *App) securityArea() area {
	return area{name: "security"}
}
