// Package web serves Steward's HTML pages: server-rendered templates and
// embedded static assets, with cookie sessions and CSRF tokens.
package web

import (
	"log/slog"
	"net/http"

	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/store"
)

// Web holds what the pages need.
type Web struct {
	DB           *store.DB
	Incidents    *incident.Service
	Log          *slog.Logger
	CookieSecure string // auto, always or never
}

// Register adds every page to mux and records it in routes.
func (wb *Web) Register(mux *http.ServeMux, routes *[]httpx.Route) {}
