package bench_test

import (
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
	"steward/internal/bench"
	"steward/internal/config"
	"steward/internal/demo"
	"steward/internal/store/storetest"
)

// demoServer serves the demo organisation (its agreements and catalogue)
// and returns its URL and an admin's API token.
func demoServer(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	e := storetest.SQLite(t)
	cfg := config.Config{DataDir: e.Dir, CookieSecure: "auto", LogLevel: "error", LogFormat: "text"}
	a := app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := demo.Load(ctx, e.DB, a.Incidents); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadSLA(ctx, e.DB, a.SLA); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadRequests(ctx, e.DB, a.Requests); err != nil {
		t.Fatal(err)
	}
	var admin int64
	if err := e.DB.QueryRow(ctx, "SELECT id FROM users WHERE email = ?", "admin@steward.demo").Scan(&admin); err != nil {
		t.Fatal(err)
	}
	secret, _, err := auth.CreateToken(ctx, e.DB, audit.System, admin, "bench")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, secret
}

// Every write scenario succeeds against a real server, and the server
// reports its cost per request.
func TestWriteScenariosAgainstTheDemo(t *testing.T) {
	url, token := demoServer(t)
	for _, s := range []bench.Scenario{bench.CreateSLA, bench.Comment, bench.Patch, bench.Order} {
		t.Run(string(s), func(t *testing.T) {
			res, err := bench.Run(context.Background(), bench.Config{URL: url, Token: token, Clients: 4,
				Duration: time.Minute, Requests: 40, Scenario: s, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != 40 || res.Errors != 0 {
				t.Fatalf("%d requests, %d errors: %v %v", res.Requests, res.Errors, res.Statuses, res.FirstErrors)
			}
			if res.Costs == nil || res.Costs.Statements <= 0 || res.Costs.Commits <= 0 || res.Costs.Allocs <= 0 {
				t.Fatalf("costs per request not read from /metrics: %+v", res.Costs)
			}
		})
	}
}

// The create-sla scenario raises incidents that three SLA timers measure:
// the customer's response and resolution and the service desk's OLA.
func TestCreateSLAStartsThreeTimers(t *testing.T) {
	url, token := demoServer(t)
	if _, err := bench.Run(context.Background(), bench.Config{URL: url, Token: token, Clients: 2,
		Duration: time.Minute, Requests: 6, Scenario: bench.CreateSLA, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", url+"/api/v1/incidents?sort=-created_at&limit=6", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			Number string            `json:"number"`
			SLA    []json.RawMessage `json:"sla"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 6 {
		t.Fatalf("%d incidents listed", len(page.Items))
	}
	for _, it := range page.Items {
		if len(it.SLA) != 3 {
			t.Errorf("%s has %d SLA timers, want 3", it.Number, len(it.SLA))
		}
	}
}

// The probe writes rows and reports a rate.
func TestProbeWrites(t *testing.T) {
	res, err := bench.Probe(context.Background(), t.TempDir(), 200*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows == 0 || res.Rows != res.Commits*10 || res.PerSecond <= 0 {
		t.Fatalf("probe: %+v", res)
	}
}
