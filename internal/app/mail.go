package app

// mailArea is outgoing mail: the outbox's delivery and digest jobs, the
// admin's view of the outbox, each person's mail settings and the
// password-reset pages.
func (a *App) mailArea() area {
	return area{name: "outgoing mail"}
}
