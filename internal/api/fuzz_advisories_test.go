package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"steward/internal/auth"
)

// FuzzImportAdvisories feeds arbitrary files to the advisory list upload.
// Whatever the file holds, the answer is 200 with what was imported or a
// 4xx naming what is wrong, always as JSON, never a 500.
func FuzzImportAdvisories(f *testing.F) {
	for _, seed := range []string{
		"id,product,affected,fixed,severity,published\nGWV-1,IoT gateway,<4.1.5,4.1.5,high,2026-02-11\n",
		"id,product,affected,fixed,severity,published,summary\nX-1,TH-200,1.x || 2.0 - 2.3.9,2.4.0,critical,2026-04-18,\"a, b\"\n",
		"id,product,affected,fixed,severity,published\nX-2,P,>=3.0 <3.2,,medium,yesterday\n",
		"id,product,affected,fixed,severity,published\nX-3,P,<<1,1,urgent,2026-13-01\n",
		"id,product\n", "", "\"unterminated\n", "id,product,affected,fixed,severity,published\n,,,,,\n",
	} {
		f.Add(seed)
	}
	a, _, token, _ := fuzzApp(f, auth.Admin)
	h := a.Handler()
	f.Fuzz(func(t *testing.T, file string) {
		req := httptest.NewRequest("POST", "/api/v1/advisories", strings.NewReader(file))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "text/csv")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || (rec.Code >= 300 && rec.Code < 400) {
			t.Fatalf("status %d for %q: %s", rec.Code, file, rec.Body.String())
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %q", rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && out["error"] == nil {
			t.Fatalf("status %d without an error: %s", rec.Code, rec.Body.String())
		}
	})
}
