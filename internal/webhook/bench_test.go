package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/store"
	"steward/internal/store/storetest"
	"steward/internal/webhook"
)

// benchEngines runs fn on a fresh SQLite database, and on a fresh
// PostgreSQL schema when STEWARD_TEST_POSTGRES_URL is set.
func benchEngines(b *testing.B, fn func(b *testing.B, e storetest.Engine)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLite(b)) })
	if storetest.PostgresURL() != "" {
		b.Run("postgres", func(b *testing.B) {
			pg, _ := storetest.Postgres(b)
			fn(b, pg)
		})
	}
}

// countingReceiver answers 200 and counts, doing nothing else.
func countingReceiver(b *testing.B, n *atomic.Int64, seen chan<- string) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n.Add(1)
		if seen != nil {
			seen <- r.Header.Get("X-Steward-Event")
		}
	}))
	b.Cleanup(ts.Close)
	return ts
}

func benchAdmin(b *testing.B, db *store.DB) *auth.Principal {
	u, err := auth.CreateUser(context.Background(), db, audit.System, auth.NewUser{Email: "bench@hooks.test", Name: "Bench", Role: auth.Admin, Password: "a-long-password"})
	if err != nil {
		b.Fatal(err)
	}
	return &auth.Principal{UserID: u.ID, Email: u.Email, Role: auth.Admin}
}

// BenchmarkDeliveryThroughput sends b.N feed entries, spread over 1,000
// records, from the outbox to a receiver on loopback: dispatch, claim,
// sign, POST and record, Parallel at a time. deliveries/s is the figure.
func BenchmarkDeliveryThroughput(b *testing.B) {
	benchEngines(b, func(b *testing.B, e storetest.Engine) {
		ctx := context.Background()
		svc := webhook.NewService(e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
		var got atomic.Int64
		rc := countingReceiver(b, &got, nil)
		if _, err := svc.Create(ctx, benchAdmin(b, e.DB), webhook.NewWebhook{URL: rc.URL, Events: []string{"*"}}); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i += 500 {
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				for j := i; j < min(i+500, b.N); j++ {
					if err := activity.Record(ctx, tx, activity.Entry{At: time.Now(), Kind: activity.RecordChanged, Entity: "incident",
						EntityID: int64(j%1000 + 1), Ref: "INC-" + strconv.Itoa(j%1000+1), Summary: "Changed: state",
						Data: []byte(`{"changes":{"state":{"old":"new","new":"in_progress"}}}`)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		start := time.Now()
		if _, err := svc.DeliverDue(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if got.Load() != int64(b.N) {
			b.Fatalf("the receiver got %d of %d", got.Load(), b.N)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	})
}

// BenchmarkTicketToDelivery is the delay from an incident written through
// the service to its record.created arriving at a receiver, with a node's
// runner polling at its default interval. Each write comes after the
// runner has gone idle (a poll interval or more after the last delivery), so the
// figure includes the wait for the next poll, as a lone write would.
func BenchmarkTicketToDelivery(b *testing.B) {
	benchEngines(b, func(b *testing.B, e storetest.Engine) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		svc := webhook.NewService(e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
		incidents := incident.NewService(e.DB, 0)
		incidents.Observer = activity.Observer{}
		admin := benchAdmin(b, e.DB)
		var got atomic.Int64
		seen := make(chan string, 16)
		rc := countingReceiver(b, &got, seen)
		if _, err := svc.Create(ctx, admin, webhook.NewWebhook{URL: rc.URL, Events: []string{activity.RecordCreated}}); err != nil {
			b.Fatal(err)
		}
		go svc.Run(ctx)
		var total time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			// A random pause, so writes land anywhere between two polls.
			time.Sleep(svc.Poll + rand.N(svc.Poll))
			start := time.Now()
			if _, err := incidents.Create(ctx, admin, incident.NewIncident{Title: "Bench " + strconv.Itoa(i)}, nil); err != nil {
				b.Fatal(err)
			}
			select {
			case <-seen:
			case <-time.After(20 * time.Second):
				b.Fatal("no delivery within 20 s")
			}
			total += time.Since(start)
		}
		b.StopTimer()
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/delivery")
	})
}
