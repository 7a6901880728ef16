package api

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

func eventSettingsRoutes(a *API, rt *httpx.Router, svc *event.Service) {}
