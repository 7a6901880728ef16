package web

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

// EventPages are event management's pages: the alert console, alerts,
// unmapped devices and integrations.
func EventPages(svc *event.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {}
}
