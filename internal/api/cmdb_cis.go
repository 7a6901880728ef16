package api

import "steward/internal/httpx"

func (a *API) registerCIs(rt *httpx.Router) {}
