package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"steward/internal/api"
	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/org"
)

// oaOpsRoutes are the routes outside /api/ that the document describes too.
var oaOpsRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIApp builds a real node on a temporary database, for its route table
// and its handler.
func openAPIApp(t *testing.T) *app.App {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: t.TempDir(), LogLevel: "error", LogFormat: "text", CookieSecure: "auto"}
	log := slog.New(slog.DiscardHandler)
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return app.New(cfg, db, log)
}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// oaRouter loads the document with kin-openapi once, validating it as a
// whole, and routes requests to its operations.
var oaRouter = sync.OnceValues(func() (routers.Router, error) {
	openapi3filter.RegisterBodyDecoder("text/csv", oaCSV)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return gorillamux.NewRouter(doc)
})

// checkResponse fails the test when an answer disagrees with the document:
// an undocumented status, a content type the operation does not declare, or
// a body (or header) its schema refuses. The harness calls it for every
// answer, so each API test checks the document as it goes. Requests to
// paths the document does not describe must get 404 or 405.
func checkResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	router, err := oaRouter()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		var re *routers.RouteError
		if errors.As(err, &re) && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
			return
		}
		t.Errorf("openapi: %s %s answered %d but is not described: %v", req.Method, req.URL.Path, status, err)
		return
	}
	op := req.Method + " " + route.Path
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		t.Errorf("openapi: %s (%s) answered %d against the document: %v\nbody: %s", op, route.Operation.OperationID, status, err, oaClip(body))
		return
	}
	// kin-openapi accepts any body where the document declares none.
	if r := route.Operation.Responses.Status(status); r != nil && len(r.Value.Content) == 0 && len(bytes.TrimSpace(body)) > 0 {
		t.Errorf("openapi: %s (%s) answered %d with a body, the document declares none: %s", op, route.Operation.OperationID, status, oaClip(body))
	}
}

// oaCSV reads a CSV body as its text, as the document's string schemas
// describe it. kin-openapi's own decoder wants one width throughout; the SLA
// report's CSV holds two tables of different widths, a blank line apart, so
// here each record may have its own width, and the quoting must still hold.
func oaCSV(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	if _, err := r.ReadAll(); err != nil {
		return nil, err
	}
	return string(raw), nil
}

func oaClip(b []byte) []byte {
	if len(b) > 2000 {
		return append(b[:2000:2000], "..."...)
	}
	return b
}

func oaDescribed(r httpx.Route) bool {
	return strings.HasPrefix(r.Pattern, "/api/") || oaOpsRoutes[r.Pattern]
}

// operations lists the document's operations as "method path".
func oaOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("document has no paths object")
	}
	ops := map[string]map[string]any{}
	for path, item := range paths {
		m, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("path %s is not an object", path)
		}
		for _, method := range oaMethods {
			if o, ok := m[method]; ok {
				ops[method+" "+path] = o.(map[string]any)
			}
		}
	}
	return ops
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	a := openAPIApp(t)
	doc := loadOpenAPI(t)
	ops := oaOperations(t, doc)

	registered := map[string]httpx.Route{}
	for _, r := range a.Routes {
		if oaDescribed(r) {
			registered[strings.ToLower(r.Method)+" "+r.Pattern] = r
		}
	}
	if len(registered) == 0 {
		t.Fatal("no API routes registered")
	}
	for key := range registered {
		if _, ok := ops[key]; !ok {
			t.Errorf("route %s is registered but not in openapi.json", key)
		}
	}
	for key := range ops {
		if _, ok := registered[key]; !ok {
			t.Errorf("openapi.json describes %s, which is not a registered route", key)
		}
	}

	ids := map[string]string{}
	for key, o := range ops {
		id, _ := o["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", key)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %q already used by %s", key, id, prev)
		}
		ids[id] = key
		if s, _ := o["summary"].(string); s == "" {
			t.Errorf("%s: no summary", key)
		}
		if tags, _ := o["tags"].([]any); len(tags) == 0 {
			t.Errorf("%s: no tags", key)
		}
		if resp, _ := o["responses"].(map[string]any); len(resp) == 0 {
			t.Errorf("%s: no responses", key)
		}

		r, ok := registered[key]
		if !ok {
			continue
		}
		// The permission and roles the document names are those the server enforces.
		if got, _ := o["x-permission"].(string); got != string(r.Permission) {
			t.Errorf("%s: x-permission %q, the route requires %q", key, got, r.Permission)
		}
		sec, hasSec := o["security"].([]any)
		public := r.Permission == auth.Public
		if public && (!hasSec || len(sec) != 0) {
			t.Errorf("%s: public route needs \"security\": []", key)
		}
		if !public && hasSec && len(sec) == 0 {
			t.Errorf("%s: route needs a token but the document says security: []", key)
		}
		if !public {
			var want []any
			for _, role := range auth.Roles {
				if (&auth.Principal{Role: role}).Can(r.Permission) {
					want = append(want, string(role))
				}
			}
			got, _ := o["x-roles"].([]any)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: x-roles %v, but the roles holding %s are %v", key, got, r.Permission, want)
			}
			desc, _ := o["description"].(string)
			if !strings.Contains(desc, string(r.Permission)) && r.Permission != auth.Authenticated {
				t.Errorf("%s: description does not name the permission %s", key, r.Permission)
			}
			if _, ok := o["responses"].(map[string]any)["401"]; !ok {
				t.Errorf("%s: a route that needs a token should document 401", key)
			}
		}
	}
}

// TestOpenAPIPathParameters checks that every {name} in a path template is
// declared as a required path parameter, and nothing else is.
func TestOpenAPIPathParameters(t *testing.T) {
	doc := loadOpenAPI(t)
	brace := regexp.MustCompile(`\{([^}]+)\}`)
	for key, o := range oaOperations(t, doc) {
		path := key[strings.Index(key, " ")+1:]
		var want []string
		for _, m := range brace.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		var got []string
		params, _ := o["parameters"].([]any)
		for _, p := range params {
			pm := oaResolve(t, doc, p)
			if pm["in"] == "path" {
				got = append(got, pm["name"].(string))
				if pm["required"] != true {
					t.Errorf("%s: path parameter %v must be required", key, pm["name"])
				}
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s: path parameters %v, template has %v", key, got, want)
		}
	}
}

// resolve follows a local $ref, if v is one.
func oaResolve(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		target, err := oaPointer(doc, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		m, _ = target.(map[string]any)
	}
	return m
}

type oaRefError string

func (e oaRefError) Error() string { return string(e) }

// pointer looks up a local JSON pointer reference such as "#/components/schemas/Incident".
func oaPointer(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, oaRefError("not a local reference")
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, oaRefError("does not resolve: " + tok + " is inside a non-object")
		}
		if cur, ok = m[tok]; !ok {
			return nil, oaRefError("does not resolve: no " + tok)
		}
	}
	return cur, nil
}

// TestWriteOpenAPI writes the merged document to the file named by
// STEWARD_OPENAPI_OUT, for CI's client generators; it does nothing otherwise.
func TestWriteOpenAPI(t *testing.T) {
	out := os.Getenv("STEWARD_OPENAPI_OUT")
	if out == "" {
		t.Skip("STEWARD_OPENAPI_OUT is not set")
	}
	if err := os.WriteFile(out, api.OpenAPI(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPIDocument checks the document's frame, that kin-openapi
// accepts it, that it is what the server serves, that every $ref resolves
// into components, and that every component is used.
func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	if _, err := oaRouter(); err != nil {
		t.Errorf("kin-openapi refuses the document: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Error("info needs title and version")
	}
	schemes, _ := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	bearer, _ := schemes["bearerAuth"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("bearerAuth must be an HTTP bearer scheme, got %v", bearer)
	}

	used := map[string]bool{}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !strings.HasPrefix(ref, "#/components/") {
					t.Errorf("%s: $ref %q does not point into components", where, ref)
				} else if _, err := oaPointer(doc, ref); err != nil {
					t.Errorf("%s: $ref %q: %v", where, ref, err)
				}
				used[ref] = true
			}
			for k, e := range x {
				walk(where+"/"+k, e)
			}
		case []any:
			for _, e := range x {
				walk(where, e)
			}
		}
	}
	walk("#", doc)
	for kind, entries := range doc["components"].(map[string]any) {
		if kind == "securitySchemes" {
			continue
		}
		for name := range entries.(map[string]any) {
			if ref := "#/components/" + kind + "/" + name; !used[ref] {
				t.Errorf("%s is never referenced", ref)
			}
		}
	}

	a := openAPIApp(t)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || string(body) != string(api.OpenAPI()) {
		t.Errorf("GET /api/v1/openapi.json: status %d, served document differs: %v", rec.Code, string(body) != string(api.OpenAPI()))
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /api/v1/openapi.json: Content-Type %q", ct)
	}
}

// oaJSONFields lists the JSON names of a struct's fields, and those that are
// always present (no omitempty), following embedded structs.
func oaJSONFields(t reflect.Type) (all, always []string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			a, b := oaJSONFields(f.Type)
			all, always = append(all, a...), append(always, b...)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

func oaSchemaFields(t *testing.T, doc map[string]any, name string) (props, required []string, closed bool) {
	t.Helper()
	s := oaResolve(t, doc, doc["components"].(map[string]any)["schemas"].(map[string]any)[name])
	if s == nil {
		t.Fatalf("no schema %s", name)
	}
	parts := []map[string]any{s}
	if all, ok := s["allOf"].([]any); ok {
		parts = nil
		for _, p := range all {
			parts = append(parts, oaResolve(t, doc, p))
		}
	}
	for _, p := range parts {
		for k := range p["properties"].(map[string]any) {
			props = append(props, k)
		}
		req, _ := p["required"].([]any)
		for _, r := range req {
			required = append(required, r.(string))
		}
	}
	sort.Strings(props)
	sort.Strings(required)
	return props, required, s["additionalProperties"] == false
}

// oaTokenCreated mirrors the answer of POST /api/v1/tokens.
type oaTokenCreated struct {
	auth.Token
	Secret string `json:"token"`
}

// TestOpenAPISchemasMatchTypes keeps the schemas in step with the Go types
// the server encodes and decodes: same field names, answers' always-present
// fields required, and request bodies closed to unknown fields.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"Incident":     api.IncidentWithSLA{},
		"JournalEntry": incident.Entry{},
		"Change":       incident.Change{},
		"Record":       org.Record{},
		"User":         auth.User{},
		"Token":        auth.Token{},
		"TokenCreated": oaTokenCreated{},
		"AuditEntry":   audit.Entry{},
	} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) {
			t.Errorf("schema %s has properties %v, the type encodes %v", name, props, all)
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v, the type always encodes %v", name, required, always)
		}
	}
	requests := map[string][]string{
		// The handlers' own small inputs are unexported; their fields are named here.
		"CommentInput": {"body", "kind"},
		"NameInput":    {"name"},
		"TokenInput":   {"name"},
	}
	for name, v := range map[string]any{
		"NewIncident":   incident.NewIncident{},
		"IncidentPatch": incident.Patch{},
		"NewUser":       auth.NewUser{},
		"UserPatch":     auth.UserPatch{},
	} {
		requests[name], _ = oaJSONFields(reflect.TypeOf(v))
	}
	for name, want := range requests {
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) {
			t.Errorf("schema %s has properties %v, the server reads %v", name, props, want)
		}
		if !closed {
			t.Errorf("schema %s must set additionalProperties: false (the server refuses unknown fields)", name)
		}
	}
	props, required, closed := oaSchemaFields(t, doc, "PriorityMatrix")
	levels := []string{"high", "low", "medium"}
	if !slices.Equal(props, levels) || !slices.Equal(required, levels) || !closed {
		t.Errorf("PriorityMatrix must require exactly high, medium, low and nothing else")
	}
}
