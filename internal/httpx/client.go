package httpx

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies in front of Steward whose forwarding
// headers are believed. Anyone can send X-Forwarded-For and
// X-Forwarded-Proto, so without trusted proxies both are ignored.
type Proxies []netip.Prefix

func (ps Proxies) trusts(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// origin is where a request came from, as resolved once at the edge.
type origin struct {
	ip    string
	https bool
}

type originKey struct{}

// Edge resolves each request's client address and whether it came over
// TLS, once, for ClientIP and HTTPS.
func (ps Proxies) Edge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := ps.resolve(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), originKey{}, o)))
	})
}

// resolve believes the forwarding headers only when the direct peer is a
// trusted proxy. The client is then the right-most address in
// X-Forwarded-For that is not a trusted proxy: every hop appends the
// address it received from, so the addresses left of it are whatever the
// client chose to send.
func (ps Proxies) resolve(r *http.Request) origin {
	peer, ok := peerAddr(r.RemoteAddr)
	if !ok || !ps.trusts(peer) {
		return origin{ip: hostOf(r.RemoteAddr), https: r.TLS != nil}
	}
	client := peer
	hops := forwarded(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := peerAddr(hops[i])
		if !ok {
			break // unreadable: the last trusted hop is as far as we can see
		}
		client = a
		if !ps.trusts(a) {
			break
		}
	}
	https := r.TLS != nil
	if protos := forwarded(r.Header.Values("X-Forwarded-Proto")); len(protos) > 0 {
		https = https || strings.EqualFold(protos[len(protos)-1], "https")
	}
	return origin{ip: client.String(), https: https}
}

// forwarded splits the values of a list header, in order.
func forwarded(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// peerAddr reads an address with or without a port.
func peerAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return a.Unmap(), err == nil
}

func hostOf(remote string) string {
	if a, ok := peerAddr(remote); ok {
		return a.String()
	}
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// ClientIP is the address of the client a request came from: the direct
// peer, or what a trusted proxy forwarded (see Proxies.Edge).
func ClientIP(r *http.Request) string {
	if o, ok := r.Context().Value(originKey{}).(origin); ok {
		return o.ip
	}
	return hostOf(r.RemoteAddr)
}

// HTTPS reports whether the client reached us over TLS: ours, or a trusted
// proxy's that said so in X-Forwarded-Proto.
func HTTPS(r *http.Request) bool {
	if o, ok := r.Context().Value(originKey{}).(origin); ok {
		return o.https
	}
	return r.TLS != nil
}
