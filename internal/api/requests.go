package api

import "steward/internal/httpx"

func (a *API) registerRequests(rt *httpx.Router) {}
