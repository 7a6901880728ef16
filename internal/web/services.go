package web

import "steward/internal/httpx"

func (wb *Web) registerServices(rt *httpx.Router) {}
