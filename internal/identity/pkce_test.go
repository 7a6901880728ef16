package identity_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"steward/internal/store/storetest"
)

// wire is what the provider was sent: the authorisation request's query
// and the token request's form, as they crossed the network.
type wire struct {
	mu        sync.Mutex
	authorize []url.Values
	token     []url.Values
}

// recording passes every request on to h after noting the two that carry
// PKCE.
func (w *wire) recording(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/auth" || r.URL.Path == "/authorize":
			w.mu.Lock()
			w.authorize = append(w.authorize, r.URL.Query())
			w.mu.Unlock()
		case strings.HasSuffix(r.URL.Path, "/token") && r.Method == http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			w.mu.Lock()
			w.token = append(w.token, form)
			w.mu.Unlock()
		}
		h.ServeHTTP(rw, r)
	})
}

// The authorisation request carries a PKCE challenge made with S256, and
// the code is exchanged with the verifier it was made from: an
// intercepted code is worth nothing without the browser's verifier.
func TestSignInUsesPKCEWithS256(t *testing.T) {
	e := storetest.SQLite(t)
	idpLn, issuer := listen(t)
	appLn, base := listen(t)
	people := directory{"reqr": {id: "reqr", username: "reqr", email: "requester@steward.demo", verified: true}}
	client := storage.WebClient(clientID, clientSecret, base+"/login/oidc/callback")
	st := groupStorage{Storage: storage.NewStorageWithClients(people, map[string]*storage.Client{clientID: client}), people: people}
	var seen wire
	serve(t, idpLn, seen.recording(exampleop.SetupServer(issuer, st, quiet, false)))
	s := newSiteAt(t, e, appLn, base, issuer)

	b := s.browser()
	if end := b.atProvider("reqr"); end.url.String() != s.url+"/" || b.signedInAs() != "requester@steward.demo" {
		t.Fatalf("the sign-in did not complete: %d at %s: %.300s", end.status, end.url, end.body)
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.authorize) != 1 || len(seen.token) != 1 {
		t.Fatalf("the provider saw %d authorisation and %d token requests, want one each", len(seen.authorize), len(seen.token))
	}
	auth, tok := seen.authorize[0], seen.token[0]
	challenge, method := auth.Get("code_challenge"), auth.Get("code_challenge_method")
	if method != "S256" {
		t.Errorf("code_challenge_method %q, want S256", method)
	}
	if len(challenge) != 43 {
		t.Errorf("code_challenge %q is not a SHA-256 digest in base64url", challenge)
	}
	verifier := tok.Get("code_verifier")
	if len(verifier) < 43 || len(verifier) > 128 {
		t.Fatalf("the token request sent code_verifier %q (grant %q), want 43 to 128 characters", verifier, tok.Get("grant_type"))
	}
	sum := sha256.Sum256([]byte(verifier))
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); want != challenge {
		t.Errorf("the verifier sent does not match the challenge: S256(verifier) = %q, challenge %q", want, challenge)
	}
	if tok.Get("grant_type") != "authorization_code" || tok.Get("code") == "" {
		t.Errorf("token request %v is not an authorisation code exchange", tok)
	}
	if strings.Contains(auth.Encode(), verifier) {
		t.Error("the verifier itself was sent in the authorisation request")
	}
}
