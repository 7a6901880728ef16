package identity_test

import (
	"net/http"
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

// BenchmarkButton is one click on the single sign-on button: sealing the
// sign-in into its cookie and answering the redirect to the provider,
// over HTTP on loopback. It writes nothing to the database.
func BenchmarkButton(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			s := newSite(b, e, defaultPeople())
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for b.Loop() {
				res, err := c.Get(s.url + "/login/oidc")
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusFound {
					b.Fatalf("the button answered %d", res.StatusCode)
				}
			}
		})
	}
}
