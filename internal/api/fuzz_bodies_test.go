package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"steward/internal/auth"
)

// FuzzCreateBodies feeds arbitrary bodies to every API route that takes a
// body and names no record (POST and PUT without a path parameter: every
// create, the settings, imports, searches), as an admin. Whatever comes in,
// the answer is JSON with a status the caller can act on, never a 500.
func FuzzCreateBodies(f *testing.F) {
	a, _, token, _ := fuzzApp(f, auth.Admin)
	var routes []string
	for _, r := range a.Routes {
		if (r.Method == http.MethodPost || r.Method == http.MethodPut) && strings.HasPrefix(r.Pattern, "/api/v1/") && !strings.Contains(r.Pattern, "{") {
			routes = append(routes, r.Method+" "+r.Pattern)
		}
	}
	if len(routes) < 10 {
		f.Fatalf("only %d routes take a body: %v", len(routes), routes)
	}
	for i := range routes {
		for _, seed := range []string{`{}`, `{"name":"x","title":"y","kind":"sla"}`, `{"a":1,"a":2}`, `[]`, `{`, `null`,
			`{"name":"` + strings.Repeat("n", 300) + `"}`, "{\"name\":\"a\xffb\"}", `{"id":1e400}`, `{"customer_id":-1,"group_id":"x"}`} {
			f.Add(uint8(i), seed)
		}
	}
	h := a.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		method, path, _ := strings.Cut(routes[int(which)%len(routes)], " ")
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		answersSanely(t, method, path, body, rec)
	})
}

// answersSanely fails a fuzzed call answered with a 500, or with a JSON
// content type over a body that is not JSON.
func answersSanely(t *testing.T, method, path, body string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s %s: status %d for %q: %s", method, path, rec.Code, body, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(ct, "application/json") && rec.Body.Len() > 0 {
		var out any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: status %d with a body that is not JSON: %q", method, path, rec.Code, rec.Body.String())
		}
	}
}
