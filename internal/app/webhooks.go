package app

// webhookArea is outbound webhooks: subscriptions, the dispatch and
// delivery jobs, the delivery log.
func (a *App) webhookArea() area {
	return area{name: "webhooks"}
}
