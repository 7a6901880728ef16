package webhook_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"steward/internal/store/storetest"
	"steward/internal/webhook"
)

// A receiver that cannot be reached is described in words in the test
// result and the delivery log: the host and port and what went wrong,
// never the Go library's "dial tcp" text.
func TestFailuresReadInWords(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer untrusted.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)
	cases := []struct{ name, url, want string }{
		{"refused", "http://" + refused + "/hook/secret-path", "Could not connect to " + refused + ": connection refused"},
		{"untrusted", untrusted.URL + "/hook", "TLS certificate not trusted: it is signed by an authority this server does not know"},
		{"slow", slow.URL + "/hook", "The receiver did not answer within 0.3 s"},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		w.svc.Timeout = 300 * time.Millisecond
		for _, c := range cases {
			h := w.subscribe(t, c.url, "record.created")
			res, err := w.svc.Ping(t.Context(), w.admin, h.ID)
			if err != nil || res.OK || res.Error != c.want {
				t.Errorf("%s: the test result says %q (%v), want %q", c.name, res.Error, err, c.want)
			}
			log, _, err := w.svc.Deliveries(t.Context(), h.ID, webhook.LogFilter{})
			if err != nil || len(log) != 1 || log[0].Error != c.want {
				t.Errorf("%s: the delivery log says %+v (%v)", c.name, log, err)
			}
			if strings.Contains(res.Error, "dial tcp") || strings.Contains(res.Error, "secret-path") {
				t.Errorf("%s: %q shows the library's text or the receiver's path", c.name, res.Error)
			}
		}
	})
}
