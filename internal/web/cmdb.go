package web

import "steward/internal/httpx"

// registerCMDB adds the configuration management pages.
func (wb *Web) registerCMDB(rt *httpx.Router) {}
