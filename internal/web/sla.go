package web

import "steward/internal/httpx"

func (wb *Web) registerSLA(rt *httpx.Router) {
	wb.registerSLAReports(rt)
}
