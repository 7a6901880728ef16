package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/config"
	"steward/internal/store/storetest"
)

// Cancelling the server's context (SIGTERM in production) stops it cleanly:
// Serve returns without error and the port is released.
func TestGracefulShutdown(t *testing.T) {
	e := storetest.SQLite(t)
	cfg := config.Config{DataDir: e.Dir, Addr: "127.0.0.1:0", CookieSecure: "auto", LogLevel: "error", LogFormat: "text", JobInterval: 10 * time.Millisecond}
	a := app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, func(addr string) { addrc <- addr }) }()
	addr := <-addrc
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

// A serving node schedules its housekeeping as a periodic job, which runs
// and books its next occurrence, once across all nodes.
func TestHousekeepingIsScheduled(t *testing.T) {
	e := storetest.SQLite(t)
	cfg := config.Config{DataDir: e.Dir, Addr: "127.0.0.1:0", CookieSecure: "auto", LogLevel: "error", LogFormat: "text", JobInterval: 10 * time.Millisecond}
	a := app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, func(addr string) { ready <- addr }) }()
	<-ready
	deadline := time.Now().Add(20 * time.Second)
	for {
		ran := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM jobs WHERE kind = 'maintenance.purge' AND state = 'done'")
		next := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM jobs WHERE kind = 'maintenance.purge' AND state = 'pending'")
		if ran >= 1 && next == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("housekeeping: %d runs done, %d pending; want a run and the next one booked", ran, next)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
