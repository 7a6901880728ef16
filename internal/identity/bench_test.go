package identity_test

import (
	"testing"

	"steward/internal/store/storetest"
)

// BenchmarkSingleSignOn is one whole sign-in through the provider on
// loopback: the button, the provider's form, the code exchange with PKCE,
// the ID token's verification, user info, and the session.
func BenchmarkSingleSignOn(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			s := newSite(b, e, defaultPeople())
			s.linkPrivileged()
			for b.Loop() {
				if end := s.browser().atProvider("ada"); end.url.String() != s.url+"/" {
					b.Fatalf("ended at %s", end.url)
				}
			}
		})
	}
}
