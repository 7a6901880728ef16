package web

import "steward/internal/httpx"

func (wb *Web) registerRequests(rt *httpx.Router) {}
