package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/org"
	"steward/internal/store/storetest"
)

// server is a running API over a fresh database, with a token per role.
type server struct {
	t       *testing.T
	app     *app.App
	url     string
	tokens  map[string]string // role (and "requesterB") -> bearer token
	users   map[string]int64
	custA   int64
	custB   int64
	groupID int64
}

func newServer(t *testing.T, e storetest.Engine) *server {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: e.Dir, DatabaseURL: e.URL, CookieSecure: "auto", LogLevel: "error", LogFormat: "text", AutoCloseAfter: 7 * 24 * time.Hour}
	a := app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	s := &server{t: t, app: a, url: ts.URL, tokens: map[string]string{}, users: map[string]int64{}}
	mustID := func(r org.Record, err error) int64 {
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	s.custA = mustID(org.Customers.Create(ctx, e.DB, audit.System, "Alpha Ltd"))
	s.custB = mustID(org.Customers.Create(ctx, e.DB, audit.System, "Beta plc"))
	s.groupID = mustID(org.Groups.Create(ctx, e.DB, audit.System, "Service Desk"))
	for _, u := range []struct {
		key  string
		role auth.Role
		cust int64
	}{
		{"admin", auth.Admin, 0}, {"agent", auth.Agent, 0}, {"auditor", auth.Auditor, 0},
		{"requester", auth.Requester, s.custA}, {"requesterB", auth.Requester, s.custB},
	} {
		in := auth.NewUser{Email: u.key + "@api.test", Name: u.key, Role: u.role, Password: "a-long-password"}
		if u.cust != 0 {
			in.CustomerID = &u.cust
		}
		if u.role == auth.Agent {
			in.GroupIDs = []int64{s.groupID}
		}
		user, err := auth.CreateUser(ctx, e.DB, audit.System, in)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := auth.CreateToken(ctx, e.DB, audit.System, user.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[u.key], s.users[u.key] = secret, user.ID
	}
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// errorFields returns error.fields of an error response.
func (r response) errorFields(t *testing.T) map[string]any {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error object in %s", r.body)
	}
	f, _ := e["fields"].(map[string]any)
	return f
}

// do sends a request as role ("" for anonymous). body may be a string (sent
// as is) or a value to encode.
func (s *server) do(role, method, path string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	checkResponse(s.t, req, res.StatusCode, res.Header, b)
	return response{status: res.StatusCode, header: res.Header, body: b}
}
