package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"steward/internal/auth"
)

// FuzzCreateIncident feeds arbitrary bodies to POST /api/v1/incidents. Any
// input must get a JSON answer of 201, 400, 413 or 422, never a 500, and a
// 201 must hold a valid record.
func FuzzCreateIncident(f *testing.F) {
	for _, seed := range []string{
		`{"title":"Printer jam","impact":"high","urgency":"low"}`,
		`{"title":"<script>alert(1)</script>","description":"x","major":true}`,
		`{"title":"a","group_id":-1,"assignee_id":0}`,
		`{"title":"a","requester_id":1e30}`,
		`{"title":"\u0000\uffff","category":"` + strings.Repeat("c", 120) + `"}`,
		`{"title":null}`, `[]`, `"x"`, `{`, `{"title":"a"} trailing`, ``,
		`{"title":"ok","impact":"HIGH"}`, `{"title":"ok","urgency":5}`,
		`{"title":"a","title":"b"}`, "{\"title\":\"a\xffb\"}", "{\"t\xffitle\":\"a\"}",
	} {
		f.Add(seed)
	}
	a, _, token, _ := fuzzApp(f, auth.Agent)
	h := a.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/incidents", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d with a non-JSON body %q", rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case http.StatusCreated:
			title, _ := out["title"].(string)
			if title == "" || len([]rune(title)) > 200 || out["number"] == nil {
				t.Fatalf("accepted an invalid record: %s", rec.Body.String())
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			if out["error"] == nil {
				t.Fatalf("error without an error object: %s", rec.Body.String())
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
