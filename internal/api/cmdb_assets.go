package api

import "steward/internal/httpx"

func (a *API) registerCIAssets(rt *httpx.Router) {}
