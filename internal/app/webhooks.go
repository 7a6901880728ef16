package app

import (
	"context"
	"time"

	"steward/internal/api"
	"steward/internal/web"
	"steward/internal/webhook"
)

// webhookArea is outbound webhooks: subscriptions, the dispatch and
// delivery runner, the delivery log and its purge.
func (a *App) webhookArea() area {
	return area{name: "webhooks",
		jobs: []job{{kind: webhook.PurgeJob, run: a.Webhooks.Purge, every: time.Hour}},
		run:  []func(context.Context){a.Webhooks.Run},
		api:  api.WebhookRoutes(a.Webhooks), pages: web.WebhookPages(a.Webhooks),
		nav: []web.NavEntry{{Menu: "Administration", Label: "Webhooks", Href: "/webhooks", Perm: webhook.PermRead, Lit: []string{"webhooks"}}}}
}
