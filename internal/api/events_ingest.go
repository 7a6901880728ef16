package api

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

func eventIngestRoutes(a *API, rt *httpx.Router, svc *event.Service) {}
