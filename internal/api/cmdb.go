package api

import (
	"steward/internal/cmdb"
	"steward/internal/httpx"
)

// registerCMDB adds configuration and asset management.
func (a *API) registerCMDB(rt *httpx.Router) {
	if a.CMDB == nil {
		a.CMDB = cmdb.NewService(a.DB, a.Log)
	}
	a.registerCIs(rt)      // ci-types, cis, relationships, history, incident links (cmdb_cis.go)
	a.registerImpact(rt)   // impact analysis (cmdb_impact.go)
	a.registerCIAssets(rt) // baselines, verifications, assets (cmdb_assets.go)
	a.registerCIImport(rt) // import and export (cmdb_import.go)
}
