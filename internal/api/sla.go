package api

import "steward/internal/httpx"

func (a *API) registerSLA(rt *httpx.Router) {
	a.registerSLAReports(rt)
}
