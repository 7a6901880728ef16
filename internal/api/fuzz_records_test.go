package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"steward/internal/auth"
)

// FuzzRecordBodies feeds arbitrary bodies to every API route that names a
// record (POST, PUT and PATCH with a path parameter: comments, notes,
// approvals, state changes, links), as an admin, with a record of each kind
// in place so the body is read rather than refused for a missing record.
// Whatever comes in, the answer is a status the caller can act on, never a
// 500, and a JSON body that parses.
func FuzzRecordBodies(f *testing.F) {
	a, _, token, _ := fuzzApp(f, auth.Admin)
	h := a.Handler()
	send := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", `"1"`)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	// One record of each kind that can be made from a plain body: every
	// path parameter below is then "1", the first of its kind (a {ref}
	// takes an id as well as a number).
	made := 0
	for pass := 0; pass < 2; pass++ { // the second finds the services and customers the first made
		for _, r := range a.Routes {
			if r.Method != http.MethodPost || !strings.HasPrefix(r.Pattern, "/api/v1/") || strings.Contains(r.Pattern, "{") {
				continue
			}
			for _, body := range []string{
				`{"title":"Fuzz"}`, `{"name":"Fuzz"}`, `{"title":"Fuzz","description":"Fuzz"}`,
				`{"title":"Fuzz","type":"normal"}`, `{"title":"Fuzz","type":"minor"}`, `{"title":"Fuzz","customer_id":1}`,
				`{"title":"Fuzz","body":"Fuzz","audience":"agents"}`, `{"title":"Fuzz","type":"policy"}`,
				`{"title":"Fuzz","impact":3,"likelihood":3,"owner_id":1}`, `{"title":"Fuzz","review_due":"2030-01-01"}`,
				`{"name":"Fuzz","service_ids":[1]}`, `{"title":"Fuzz","service_id":1}`, `{"name":"Fuzz","service_id":1}`,
			} {
				if pass == 1 && made > 0 && send("GET", r.Pattern+"/1", "").Code == http.StatusOK {
					break // made in the first pass
				}
				rec := send("POST", r.Pattern, body)
				if rec.Code == http.StatusCreated {
					made++
					break
				}
			}
		}
	}

	var routes []string
	for _, r := range a.Routes {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
		default:
			continue
		}
		if !strings.HasPrefix(r.Pattern, "/api/v1/") || !strings.Contains(r.Pattern, "{") {
			continue
		}
		routes = append(routes, r.Method+" "+firstRecord(r.Pattern))
	}
	// Without records every route would answer 404 before reading its
	// body; enough of them must find theirs for the run to mean anything.
	found := 0
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		if send(method, path, `{}`).Code != http.StatusNotFound {
			found++
		}
	}
	if made < 15 || found < len(routes)/2 {
		f.Fatalf("made %d records; %d of %d record routes found theirs", made, found, len(routes))
	}

	for i := range routes {
		f.Add(uint8(i), `{}`)
		f.Add(uint8(i), `{"body":"x","state":"resolved","decision":"approve","type":"related","target":"INC-1"}`)
	}
	for i, seed := range []string{`{"a":1,"a":2}`, `[]`, `{`, `null`, `{"body":"` + strings.Repeat("b", 70000) + `"}`,
		"{\"body\":\"a\xffb\"}", `{"id":1e400,"version":-1}`} {
		f.Add(uint8(i), seed)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		method, path, _ := strings.Cut(routes[int(which)%len(routes)], " ")
		answersSanely(t, method, path, body, send(method, path, body))
	})
}

// firstRecord puts "1" for every path parameter of pattern.
func firstRecord(pattern string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.IndexByte(pattern[i:], '}')
		b.WriteString(pattern[:i])
		b.WriteString("1")
		pattern = pattern[i+j+1:]
	}
}
