package httpx_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"steward/internal/httpx"
)

func TestClientAddressAndTLS(t *testing.T) {
	proxies := httpx.Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name    string
		proxies httpx.Proxies
		peer    string
		xff     []string
		proto   string
		tls     bool
		wantIP  string
		wantTLS bool
	}{
		{"no proxies: forwarded headers are ignored", nil, "10.0.0.1:5000", []string{"203.0.113.5"}, "https", false, "10.0.0.1", false},
		{"untrusted peer: ignored", proxies, "198.51.100.9:5000", []string{"203.0.113.5"}, "https", false, "198.51.100.9", false},
		{"trusted proxy", proxies, "10.0.0.1:5000", []string{"203.0.113.5"}, "https", false, "203.0.113.5", true},
		{"what the client prepended is ignored", proxies, "10.0.0.1:5000", []string{"1.2.3.4, 203.0.113.5"}, "", false, "203.0.113.5", false},
		{"a chain of trusted proxies", proxies, "10.0.0.1:5000", []string{"203.0.113.5, 10.2.3.4"}, "", false, "203.0.113.5", false},
		{"several header lines", proxies, "10.0.0.1:5000", []string{"1.2.3.4", "203.0.113.5, 10.2.3.4"}, "", false, "203.0.113.5", false},
		{"only trusted hops", proxies, "10.0.0.1:5000", []string{"10.9.9.9"}, "", false, "10.9.9.9", false},
		{"unreadable hop stops the walk", proxies, "10.0.0.1:5000", []string{"203.0.113.5, nonsense"}, "", false, "10.0.0.1", false},
		{"no header from a trusted proxy", proxies, "10.0.0.1:5000", nil, "", false, "10.0.0.1", false},
		{"IPv6 proxy", proxies, "[::1]:5000", []string{"2001:db8::7"}, "", false, "2001:db8::7", false},
		{"IPv4 in IPv6", nil, "[::ffff:192.0.2.1]:5000", nil, "", false, "192.0.2.1", false},
		{"our own TLS", nil, "198.51.100.9:5000", nil, "", true, "198.51.100.9", true},
		{"the proxy's last word on the scheme", proxies, "10.0.0.1:5000", nil, "https, http", false, "10.0.0.1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.proxies.Edge(httpx.SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%s %v", httpx.ClientIP(r), httpx.HTTPS(r))
			})))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = c.peer
			for _, v := range c.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if c.proto != "" {
				req.Header.Set("X-Forwarded-Proto", c.proto)
			}
			if c.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got, want := rec.Body.String(), fmt.Sprintf("%s %v", c.wantIP, c.wantTLS); got != want {
				t.Errorf("client %q, want %q", got, want)
			}
			if hsts := rec.Header().Get("Strict-Transport-Security") != ""; hsts != c.wantTLS {
				t.Errorf("HSTS sent: %v, want %v", hsts, c.wantTLS)
			}
		})
	}
}
