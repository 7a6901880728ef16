package api_test

// Events sent over HTTP in batches of 1,000, as a fleet's gateway sends
// them: each with its own message id, labels and a small payload, stored
// durably before the answer. One client, then eight at once (their
// ingests share commits). SQLite runs in a temporary folder; PostgreSQL,
// when STEWARD_TEST_POSTGRES_URL is set, in a fresh schema.
//
//	go test -run '^$' -bench IngestEvents -benchtime 200x ./internal/api/

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/store/storetest"
)

func BenchmarkIngestEvents(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			url, key := newIngestBench(b, e)
			tmpl := ingestBatch()
			var seq atomic.Int64
			send := func(client *http.Client) {
				body := bytes.ReplaceAll(tmpl, []byte("ITER"), fmt.Appendf(nil, "%09d", seq.Add(1)))
				req, _ := http.NewRequest("POST", url+"/api/v1/events", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Routing-Key", key)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				answer, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 202 || !bytes.Contains(answer, []byte(`"accepted":1000`)) {
					b.Fatalf("%d %s", res.StatusCode, answer)
				}
			}
			b.Run("1client", func(b *testing.B) {
				client := &http.Client{}
				start := time.Now()
				for b.Loop() {
					send(client)
				}
				b.ReportMetric(float64(b.N*1000)/time.Since(start).Seconds(), "events/s")
			})
			b.Run("8clients", func(b *testing.B) {
				b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0))) // eight clients on this machine
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					client := &http.Client{}
					for pb.Next() {
						send(client)
					}
				})
				b.ReportMetric(float64(b.N*1000)/time.Since(start).Seconds(), "events/s")
			})
		})
	}
}

// ingestBatch is a batch of 1,000 events whose message ids hold ITER, to
// be replaced by each request's number.
func ingestBatch() []byte {
	var sb strings.Builder
	sb.WriteString("[")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"source":"fleet","ci":"dev-%05d","check":"temperature","metric":"celsius","severity":"%s","summary":"Temperature on dev-%05d",`+
			`"message_id":"ITER-%d","labels":{"site":"north-%d","model":"TX-100"},"payload":{"value":%d}}`,
			i, []string{"info", "warning", "critical"}[i%3], i, i, i%50, 20+i%30)
	}
	sb.WriteString("]")
	return []byte(sb.String())
}

func newIngestBench(b *testing.B, e storetest.Engine) (url, key string) {
	b.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: e.Dir, DatabaseURL: e.URL, CookieSecure: "auto", LogLevel: "error", LogFormat: "text", AutoCloseAfter: 7 * 24 * time.Hour}
	a := app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(a.Handler())
	b.Cleanup(ts.Close)
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "admin@ingest.test", Name: "Admin", Role: auth.Admin, Password: "a-long-password"})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := auth.CreateToken(ctx, e.DB, audit.System, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/integrations", strings.NewReader(`{"name":"Fleet","kind":"http"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var it struct {
		RoutingKey string `json:"routing_key"`
	}
	if err := json.NewDecoder(res.Body).Decode(&it); err != nil || it.RoutingKey == "" {
		b.Fatalf("create integration: %d %v", res.StatusCode, err)
	}
	return ts.URL, it.RoutingKey
}
