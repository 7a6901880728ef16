package web

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

func eventSettingsPages(wb *Web, rt *httpx.Router, svc *event.Service) {}
