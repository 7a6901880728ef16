package identity

import (
	"context"
	"time"
)

// Flow is a sign-in under way as its sealed cookie carries it, for the
// tests that alter one.
type Flow struct {
	State, Nonce, Verifier, Next string
	Expires                      time.Time
}

// OpenFlow reads a sealed sign-in cookie.
func (s *Service) OpenFlow(ctx context.Context, cookie string) (Flow, error) {
	f, err := s.unseal(ctx, cookie)
	return Flow{State: f.State, Nonce: f.Nonce, Verifier: f.Verifier, Next: f.Next, Expires: time.Unix(f.Expires, 0)}, err
}

// SealFlow seals a sign-in as the server does.
func (s *Service) SealFlow(ctx context.Context, f Flow) (string, error) {
	return s.seal(ctx, flow{State: f.State, Nonce: f.Nonce, Verifier: f.Verifier, Next: f.Next, Expires: f.Expires.Unix()})
}
