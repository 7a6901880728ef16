package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/store/storetest"
	"steward/internal/webhook"
)

// A receiver that takes connections but never answers (a firewall that
// drops packets, a hung service) does not hold up every other receiver:
// it gets at most its share of the sending slots (half of them here),
// and while its attempts wait for their timeout, a healthy receiver goes
// on getting its deliveries.
func TestHungReceiverDoesNotHoldUpOthers(t *testing.T) {
	e := storetest.SQLite(t)
	w := newWorld(t, e.DB)
	svc := webhook.NewService(e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Parallel, svc.Timeout, svc.Poll = 4, time.Minute, 20*time.Millisecond

	release := make(chan struct{})
	var waiting atomic.Int32
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		waiting.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) })
	healthy := newReceiver(t)
	w.subscribe(t, hung.URL, "record.created")
	w.subscribe(t, healthy.URL, "record.created")
	const n = 8
	for i := range n {
		w.incident(t, "Incident "+strconv.Itoa(i))
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && len(healthy.delivered()) < n {
		time.Sleep(50 * time.Millisecond)
	}
	if got := len(healthy.delivered()); got < n {
		t.Errorf("the healthy receiver got %d of its %d deliveries in 15 s while another receiver hung: every sending slot waits for the hung one", got, n)
	}
	if got := waiting.Load(); got > 2 {
		t.Errorf("the hung receiver holds %d of the 4 sending slots, want at most 2", got)
	}
}
