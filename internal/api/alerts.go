package api

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

func alertRoutes(a *API, rt *httpx.Router, svc *event.Service) {}
