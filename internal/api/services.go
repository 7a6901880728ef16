package api

import "steward/internal/httpx"

func (a *API) registerServices(rt *httpx.Router) {}
