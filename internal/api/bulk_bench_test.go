package api_test

// A bulk edit of 500 open incidents through the API, as an agent's queue
// page sends it: every row checked, journaled and audited as if edited
// alone. SQLite runs in a temporary folder; PostgreSQL, when
// STEWARD_TEST_POSTGRES_URL is set, in a fresh schema.
//
//	go test -run '^$' -bench BulkEdit500 -benchtime 20x ./internal/api/

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// bulkSize is the number of incidents one edit names.
const bulkSize = 500

// bulkBench is a server with bulkSize open incidents, two support groups
// and an agent in each, so that every edit can move the incidents to the
// other pair and change something on every row.
type bulkBench struct {
	url    string
	token  string
	refs   []string
	groups [2]int64
	agents [2]int64
	turn   int
}

func newBulkBench(b *testing.B, e storetest.Engine) *bulkBench {
	b.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: e.Dir, DatabaseURL: e.URL, CookieSecure: "auto", LogLevel: "error", LogFormat: "text", AutoCloseAfter: 7 * 24 * time.Hour}
	a := app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(a.Handler())
	b.Cleanup(ts.Close)
	bb := &bulkBench{url: ts.URL}
	for i := range bb.groups {
		g, err := org.Groups.Create(ctx, e.DB, audit.System, fmt.Sprintf("Desk %d", i+1))
		if err != nil {
			b.Fatal(err)
		}
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: fmt.Sprintf("agent%d@bulk.test", i+1),
			Name: fmt.Sprintf("Agent %d", i+1), Role: auth.Agent, Password: "a-long-password", GroupIDs: []int64{g.ID}})
		if err != nil {
			b.Fatal(err)
		}
		bb.groups[i], bb.agents[i] = g.ID, u.ID
	}
	admin, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "admin@bulk.test", Name: "Admin", Role: auth.Admin, Password: "a-long-password"})
	if err != nil {
		b.Fatal(err)
	}
	if bb.token, _, err = auth.CreateToken(ctx, e.DB, audit.System, admin.ID, "bench"); err != nil {
		b.Fatal(err)
	}
	for i := range bulkSize {
		var inc struct{ Number string }
		bb.post(b, "/api/v1/incidents", map[string]any{"title": fmt.Sprintf("Badge reader %d at the side door rejects cards", i)}, http.StatusCreated, &inc)
		bb.refs = append(bb.refs, inc.Number)
	}
	return bb
}

// post sends body as JSON and decodes the answer into out.
func (bb *bulkBench) post(b *testing.B, path string, body any, want int, out any) {
	raw, err := json.Marshal(body)
	if err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequest("POST", bb.url+path, bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bb.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != want {
		b.Fatalf("POST %s: %d %s", path, res.StatusCode, got)
	}
	if err := json.Unmarshal(got, out); err != nil {
		b.Fatalf("POST %s: %v", path, err)
	}
}

// edit moves every incident to the other group and its agent, and fails
// unless every row was applied.
func (bb *bulkBench) edit(b *testing.B, allOrNothing bool) {
	bb.turn++
	pair := bb.turn % 2
	var out struct {
		Applied bool
		Results []struct {
			Ref    string
			Status int
		}
	}
	bb.post(b, "/api/v1/incidents/bulk", map[string]any{"refs": bb.refs, "all_or_nothing": allOrNothing,
		"set": map[string]any{"assignee_id": bb.agents[pair], "group_id": bb.groups[pair]}}, http.StatusOK, &out)
	if !out.Applied || len(out.Results) != len(bb.refs) {
		b.Fatalf("bulk edit not applied: applied=%v, %d results", out.Applied, len(out.Results))
	}
	for _, r := range out.Results {
		if r.Status != http.StatusOK {
			b.Fatalf("bulk edit: %s answered %d", r.Ref, r.Status)
		}
	}
}

// BenchmarkBulkEdit500 sets assignee_id and group_id on 500 open incidents
// in one request, each row committing on its own ("each") and all rows in
// one transaction ("all_or_nothing"). Each edit moves the incidents to the
// other group and agent, so every row is written, journaled and audited.
func BenchmarkBulkEdit500(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		// Set up outside b.Run: the body of a benchmark may run more than once.
		bb := newBulkBench(b, e)
		for _, mode := range []struct {
			name         string
			allOrNothing bool
		}{{"each", false}, {"all_or_nothing", true}} {
			b.Run(e.Name+"/"+mode.name, func(b *testing.B) {
				for b.Loop() {
					bb.edit(b, mode.allOrNothing)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/op")
			})
		}
	}
}
