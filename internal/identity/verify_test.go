package identity

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"steward/internal/config"
)

const testIssuer = "https://login.example.test"

type idClaims struct {
	jwt.Claims
	Nonce string `json:"nonce,omitempty"`
}

func sign(t *testing.T, key *rsa.PrivateKey, c idClaims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Verify refuses every ID token a forger or a mix-up could bring: signed
// with another key, for another client, from another issuer, expired, or
// for another sign-in (nonce); the one genuine token passes.
func TestVerifyRefusesBadTokens(t *testing.T) {
	providerKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	s := &Service{Cfg: config.Config{OIDCName: "Example ID"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	v := oidc.NewVerifier(testIssuer, &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&providerKey.PublicKey}}, &oidc.Config{ClientID: "steward"})
	now := time.Now()
	good := idClaims{Claims: jwt.Claims{Issuer: testIssuer, Subject: "ada", Audience: jwt.Audience{"steward"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}, Nonce: "n-123"}

	if idt, err := s.Verify(context.Background(), v, sign(t, providerKey, good), "n-123"); err != nil || idt.Subject != "ada" {
		t.Fatalf("the genuine token: %v", err)
	}
	with := func(change func(c *idClaims)) idClaims {
		c := good
		change(&c)
		return c
	}
	for _, tc := range []struct {
		name   string
		key    *rsa.PrivateKey
		claims idClaims
		nonce  string
		reason string
	}{
		{"another key", otherKey, good, "n-123", "signature not valid"},
		{"another client", providerKey, with(func(c *idClaims) { c.Audience = jwt.Audience{"someone-else"} }), "n-123", "another audience"},
		{"another issuer", providerKey, with(func(c *idClaims) { c.Issuer = "https://evil.example.test" }), "n-123", "another issuer"},
		{"expired", providerKey, with(func(c *idClaims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute)) }), "n-123", "expired"},
		{"another nonce", providerKey, good, "n-456", "nonce does not match"},
		{"no nonce", providerKey, with(func(c *idClaims) { c.Nonce = "" }), "n-123", "has no nonce"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Verify(context.Background(), v, sign(t, tc.key, tc.claims), tc.nonce)
			var r *Refusal
			if !errors.As(err, &r) {
				t.Fatalf("accepted, or not refused clearly: %v", err)
			}
			if !strings.Contains(r.Reason, tc.reason) || !strings.Contains(r.Message, "Example ID") {
				t.Fatalf("reason %q, message %q", r.Reason, r.Message)
			}
		})
	}
}

// Rules give the first role and customer that match and every group;
// claims may be strings, lists, booleans or numbers.
func TestClaimMapping(t *testing.T) {
	one, two, three := int64(1), int64(2), int64(3)
	st := Settings{GroupsClaim: "roles", DefaultRole: "requester", Rules: []Rule{
		{Value: "desk", Role: "agent", GroupID: &one},
		{Value: "ops", Role: "admin", GroupID: &two},
		{Claim: "hd", Value: "acme.example", CustomerID: &three},
		{Claim: "staff", Value: "true", GroupID: &three},
	}}
	m := st.mapping(map[string]any{"roles": []any{"ops", "desk"}, "hd": "acme.example", "staff": true})
	if m.role != "agent" || m.customer == nil || *m.customer != 3 || len(m.groups) != 3 {
		t.Fatalf("mapped %+v", m)
	}
	if m := st.mapping(map[string]any{"roles": "nothing"}); m.role != "requester" || m.customer != nil || len(m.groups) != 0 {
		t.Fatalf("no rule matched, yet %+v", m)
	}
}
