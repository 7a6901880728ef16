package api

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

// EventRoutes are event management's API: the senders' endpoints and the
// integrations (events_ingest.go), and the alerts and unmapped devices
// (alerts.go), and the processing settings (event_settings.go).
func EventRoutes(svc *event.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		eventIngestRoutes(a, rt, svc)
		alertRoutes(a, rt, svc)
		eventSettingsRoutes(a, rt, svc)
	}
}
