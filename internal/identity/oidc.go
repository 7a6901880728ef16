package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	// discoveryPause is how long after a failed discovery the next sign-in
	// is told the provider is down without asking it again.
	discoveryPause = 10 * time.Second
	// flowTTL is how long a person has at the provider to sign in.
	flowTTL = 10 * time.Minute
)

// ErrOff is a single sign-on request on a node without a provider.
var ErrOff = errors.New("single sign-on is not configured")

// discover finds the provider's endpoints and keys, once: until it
// works, each sign-in tries again (at most every discoveryPause), so a
// provider that is down at start-up does not stop the node starting.
func (s *Service) discover(ctx context.Context) (*oidc.Provider, error) {
	if !s.Enabled() {
		return nil, ErrOff
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	pause := s.DiscoveryPause
	if pause <= 0 {
		pause = discoveryPause
	}
	if s.failure != nil && time.Since(s.tried) < pause {
		return nil, s.failure
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.client()), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.Cfg.OIDCIssuer)
	if err != nil {
		s.tried, s.failure = time.Now(), err
		s.Log.Warn("single sign-on: the provider's discovery document could not be read", "issuer", s.Cfg.OIDCIssuer, "err", err)
		return nil, err
	}
	s.provider, s.failure = p, nil
	return p, nil
}

// Warm reads the provider's discovery document once at start-up, in the
// background, so the first sign-in does not wait for it; a provider that
// is down is only logged.
func (s *Service) Warm(ctx context.Context) {
	if s.Enabled() {
		_, _ = s.discover(ctx) // a failure is logged and retried at the next sign-in
	}
}

func (s *Service) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: s.Cfg.OIDCClientID, ClientSecret: s.Cfg.OIDCClientSecret,
		Endpoint: p.Endpoint(), RedirectURL: s.RedirectURL(),
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Begin starts a sign-in at the provider: it returns the provider's URL
// to send the browser to and the cookie that carries the sign-in's
// state, nonce and PKCE verifier, sealed, so that only the browser that
// started a sign-in can finish it. Nothing is stored.
func (s *Service) Begin(ctx context.Context, next string) (authURL, cookie string, err error) {
	p, err := s.discover(ctx)
	if err != nil {
		return "", "", &Refusal{Reason: "provider unreachable", Message: s.Name() + " cannot be reached just now. Try again in a minute, or sign in with your password.", cause: err}
	}
	if len(next) > maxFlowNext {
		next = "/"
	}
	f := flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next, Expires: time.Now().Add(flowTTL).Unix()}
	if cookie, err = s.seal(ctx, f); err != nil {
		return "", "", err
	}
	return s.oauth(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), cookie, nil
}

// Callback is what the provider sent back, and the browser's sealed
// sign-in cookie.
type Callback struct {
	State, FlowCookie string
	Code              string
	Error, ErrorText  string // the provider's error and error_description
	IP                string
}

func (s *Service) badState(reason string) *Refusal {
	return &Refusal{Reason: reason, Message: "This sign-in could not be matched to one started in this browser, or it took too long. Start again from the sign-in page."}
}

// Claims are what the provider says about the person.
type Claims struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
	All             map[string]any
}

// Finish completes a sign-in: it checks the state, exchanges the code
// with the PKCE verifier, verifies the ID token (signature, issuer,
// audience, expiry, nonce), reads the user info, and signs the person in.
// It returns the session's cookie value and where to go next. Every
// refusal is a *Refusal with a message for the person, logged and
// recorded in the audit trail.
func (s *Service) Finish(ctx context.Context, cb Callback) (session, next string, err error) {
	session, next, err = s.finish(ctx, cb)
	var r *Refusal
	if errors.As(err, &r) {
		s.refused(ctx, r, cb.IP)
	}
	return session, next, err
}

func (s *Service) finish(ctx context.Context, cb Callback) (string, string, error) {
	p, err := s.discover(ctx)
	if err != nil {
		return "", "", &Refusal{Reason: "provider unreachable", Message: s.Name() + " cannot be reached just now. Try again in a minute.", cause: err}
	}
	f, err := s.takeFlow(ctx, cb)
	if err != nil {
		return "", "", err
	}
	if cb.Error != "" {
		return "", "", &Refusal{Reason: "provider answered " + clip(cb.Error+": "+cb.ErrorText, 200),
			Message: s.Name() + " did not sign you in (" + clip(cb.Error, 60) + "). Try again, or ask your administrator."}
	}
	if cb.Code == "" {
		return "", "", &Refusal{Reason: "no code", Message: s.Name() + " sent no sign-in code back. Try again."}
	}
	cctx := oidc.ClientContext(ctx, s.client())
	tok, err := s.oauth(p).Exchange(cctx, cb.Code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return "", "", &Refusal{Reason: "code exchange failed", Message: s.Name() + " did not accept the sign-in code. Start again from the sign-in page.", cause: err}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "", &Refusal{Reason: "no ID token", Message: s.Name() + " sent no ID token. Ask your administrator to check the provider's settings."}
	}
	idt, err := s.Verify(cctx, p.Verifier(&oidc.Config{ClientID: s.Cfg.OIDCClientID}), raw, f.Nonce)
	if err != nil {
		return "", "", err
	}
	c, err := s.claims(cctx, p, tok, idt)
	if err != nil {
		return "", "", err
	}
	session, err := s.signIn(ctx, c, cb.IP)
	return session, f.Next, err
}

// Verify checks an ID token with v (signature against the provider's
// keys, issuer, audience, expiry) and its nonce against the one this
// sign-in sent.
func (s *Service) Verify(ctx context.Context, v *oidc.IDTokenVerifier, raw, nonce string) (*oidc.IDToken, error) {
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		reason := "ID token not valid"
		var expired *oidc.TokenExpiredError
		switch msg := err.Error(); {
		case errors.As(err, &expired):
			reason = "ID token expired"
		case strings.Contains(msg, "audience"):
			reason = "ID token for another audience"
		case strings.Contains(msg, "signature"):
			reason = "ID token signature not valid"
		case strings.Contains(msg, "issued by a different provider"):
			reason = "ID token from another issuer"
		}
		return nil, &Refusal{Reason: reason, Message: "The answer from " + s.Name() + " could not be verified (" + strings.TrimPrefix(reason, "ID token ") +
			"). Sign in again; if it keeps happening, tell your administrator.", cause: err}
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		reason := "ID token nonce does not match"
		if idt.Nonce == "" {
			reason = "ID token has no nonce"
		}
		return nil, &Refusal{Reason: reason, Message: "The answer from " + s.Name() + " does not belong to this sign-in. Start again from the sign-in page."}
	}
	return idt, nil
}

// claims reads the ID token's claims and, where the provider has a user
// info endpoint, adds those it answers there (many providers keep e-mail
// and groups out of the ID token).
func (s *Service) claims(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, idt *oidc.IDToken) (Claims, error) {
	all := map[string]any{}
	if err := idt.Claims(&all); err != nil {
		return Claims{}, &Refusal{Reason: "ID token claims unreadable", Message: "The answer from " + s.Name() + " could not be read.", cause: err}
	}
	if p.UserInfoEndpoint() != "" {
		info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			s.Log.Warn("single sign-on: user info not read; using the ID token's claims only", "err", err)
		} else if info.Subject != idt.Subject {
			return Claims{}, &Refusal{Reason: "user info for another subject", Message: "The answer from " + s.Name() + " could not be verified. Sign in again."}
		} else {
			extra := map[string]any{}
			if err := info.Claims(&extra); err == nil {
				for k, v := range extra {
					if _, ok := all[k]; !ok {
						all[k] = v
					}
				}
			}
		}
	}
	c := Claims{Issuer: idt.Issuer, Subject: idt.Subject, All: all}
	c.Email, _ = all["email"].(string)
	c.Name, _ = all["name"].(string)
	switch v := all["email_verified"].(type) {
	case bool:
		c.EmailVerified = v
	case string: // some providers send it as text
		c.EmailVerified = v == "true"
	}
	return c, nil
}

// Refusal is a sign-in refused: Message is for the person, Reason for the
// log and the audit trail.
type Refusal struct {
	Reason  string
	Message string
	Email   string
	Subject string
	cause   error
}

func (r *Refusal) Error() string {
	if r.cause != nil {
		return fmt.Sprintf("single sign-on refused: %s: %v", r.Reason, r.cause)
	}
	return "single sign-on refused: " + r.Reason
}

func (r *Refusal) Unwrap() error { return r.cause }

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
