package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"

	"steward/internal/auth"
)

// MaskURL is a receiver's address as those who may not change it see it,
// and as the audit trail keeps it: its scheme and host, and for the rest
// (path and query, which chat and automation services make the
// credential itself) only a fingerprint. Two addresses with the same
// fingerprint are the same address; the token cannot be read back.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(address hidden)"
	}
	base := u.Scheme + "://" + u.Host
	rest := strings.TrimPrefix(raw, base)
	if rest == "" || rest == "/" {
		return base + "/"
	}
	sum := sha256.Sum256([]byte(rest))
	return base + "/… (path " + hex.EncodeToString(sum[:4]) + ")"
}

// For is the subscription as p may see it: administrators see the whole
// address, everyone else (auditors) the masked one.
func (w Webhook) For(p *auth.Principal) Webhook {
	if p == nil || !p.Can(PermAdmin) {
		w.URL, w.URLMasked = MaskURL(w.URL), true
	}
	return w
}

// Host is the receiver's host and port, the address without its path:
// what a breadcrumb names it by.
func (w Webhook) Host() string {
	if u, err := url.Parse(w.URL); err == nil && u.Host != "" {
		return u.Host
	}
	return "Webhook"
}
