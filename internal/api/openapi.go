package api

import (
	_ "embed"
	"net/http"
)

// openapiDoc is the OpenAPI 3.1 description of this API, kept true by
// TestOpenAPIDescribesEveryRoute.
//
//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the document, for tests and tools.
func OpenAPI() []byte { return openapiDoc }

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openapiDoc)
}
