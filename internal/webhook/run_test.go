package webhook_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// A running node sends a new incident to its receiver without being
// asked, and stops when told.
func TestRunnerDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		w.svc.Now, w.svc.Poll = nil, 20*time.Millisecond
		rc := newReceiver(t)
		w.subscribe(t, rc.URL, "*")
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.svc.Run(ctx)
		}()
		inc := w.incident(t, "Seen by the runner")
		deadline := time.Now().Add(20 * time.Second)
		for len(rc.delivered()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the runner did not deliver within 20 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := rc.delivered()[0].body.Ref; got != inc.Number {
			t.Fatalf("delivered %s, want %s", got, inc.Number)
		}
		stop()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("the runner did not stop")
		}
	})
}
