package web

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

// EventPages are event management's pages: the alert console, alerts and
// unmapped devices (events_console.go), integrations
// (events_integrations.go) and the processing settings
// (events_settings.go).
func EventPages(svc *event.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		alertConsolePages(wb, rt, svc)
		integrationPages(wb, rt, svc)
		eventSettingsPages(wb, rt, svc)
	}
}
