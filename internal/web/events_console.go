package web

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

func alertConsolePages(wb *Web, rt *httpx.Router, svc *event.Service) {}
