package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"sort"
)

// The OpenAPI 3.1 description of this API is openapi.json plus one part per
// area in openapi/*.json, each holding "paths" and "components"."schemas"
// (and optionally "tags"). They are merged once at start; a path or schema
// defined twice is a build error caught by the tests. The whole is kept true
// by TestOpenAPIDescribesEveryRoute, and by the API tests: their harness
// validates every answer (status, content type, body) against it.
//
//go:embed openapi.json openapi/*.json
var openapiFiles embed.FS

var openapiDoc = mustMergeOpenAPI()

// OpenAPI returns the document, for tests and tools.
func OpenAPI() []byte { return openapiDoc }

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openapiDoc)
}

func mustMergeOpenAPI() []byte {
	b, err := mergeOpenAPI()
	if err != nil {
		panic(err)
	}
	return b
}

func mergeOpenAPI() ([]byte, error) {
	base, err := openapiFiles.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	paths, _ := doc["paths"].(map[string]any)
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	tags, _ := doc["tags"].([]any)
	parts, _ := openapiFiles.ReadDir("openapi")
	names := make([]string, 0, len(parts))
	for _, e := range parts {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		file := path.Join("openapi", name)
		raw, err := openapiFiles.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var part struct {
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
			Tags []any `json:"tags"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&part); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for p, v := range part.Paths {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("%s: path %s is already described", file, p)
			}
			paths[p] = v
		}
		for s, v := range part.Components.Schemas {
			if _, dup := schemas[s]; dup {
				return nil, fmt.Errorf("%s: schema %s is already described", file, s)
			}
			schemas[s] = v
		}
		tags = append(tags, part.Tags...)
	}
	if tags != nil {
		doc["tags"] = tags
	}
	return json.MarshalIndent(doc, "", "  ")
}
