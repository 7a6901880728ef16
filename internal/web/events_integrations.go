package web

import (
	"steward/internal/event"
	"steward/internal/httpx"
)

func integrationPages(wb *Web, rt *httpx.Router, svc *event.Service) {}
