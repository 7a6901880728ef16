package api

import "steward/internal/httpx"

func (a *API) registerCIImport(rt *httpx.Router) {}
