package api

import "steward/internal/httpx"

func (a *API) registerImpact(rt *httpx.Router) {}
