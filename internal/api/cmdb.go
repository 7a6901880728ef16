package api

import (
	"steward/internal/httpx"
)

// CMDBRoutes are configuration management's API routes: CIs, types, relationships, impact, assets, baselines and imports.
var CMDBRoutes Routes = (*API).registerCMDB

// registerCMDB adds configuration and asset management.
func (a *API) registerCMDB(rt *httpx.Router) {
	a.registerCIs(rt)      // ci-types, cis, relationships, history, incident links (cmdb_cis.go)
	a.registerImpact(rt)   // impact analysis (cmdb_impact.go)
	a.registerCIAssets(rt) // baselines, verifications, assets (cmdb_assets.go)
	a.registerCIImport(rt) // import and export (cmdb_import.go)
}
