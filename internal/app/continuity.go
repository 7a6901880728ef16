package app

// continuityArea is continuity (8.7.2): requirements, plans, tests and invocations.
func (a *App) continuityArea() area {
	return area{name: "continuity"}
}
