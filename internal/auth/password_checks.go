package auth

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// ErrSignInBusy means the password checks were all taken for longer than a
// sign-in waits; the client should try again in a few seconds.
var ErrSignInBusy = errors.New("many people are signing in at this moment; try again in a few seconds")

// PasswordWait is how long a sign-in waits for a free password check
// before it is answered with ErrSignInBusy.
const PasswordWait = 2 * time.Second

// PasswordChecks bounds how many password checks run at once. Each argon2id
// check holds 19 MiB and a core for tens of milliseconds, so a burst of
// sign-ins, wrong or right, must queue for a few slots rather than take the
// server's memory with it.
type PasswordChecks struct {
	// Compare checks one password against its hash; nil is CheckPassword.
	// Tests count and hold checks through it.
	Compare func(hash, password string) (bool, error)

	slots chan struct{}
	wait  time.Duration
}

// NewPasswordChecks allows bound checks at once; 0 or less means twice the
// cores Go may use, and never fewer than 2. A sign-in waits up to wait for
// a slot; 0 means PasswordWait.
func NewPasswordChecks(bound int, wait time.Duration) *PasswordChecks {
	if bound <= 0 {
		bound = max(2, 2*runtime.GOMAXPROCS(0))
	}
	if wait <= 0 {
		wait = PasswordWait
	}
	return &PasswordChecks{slots: make(chan struct{}, bound), wait: wait}
}

// Bound is how many checks may run at once.
func (p *PasswordChecks) Bound() int { return cap(p.slots) }

// Check compares password with hash once a slot is free. A hash that
// cannot be read never matches.
func (p *PasswordChecks) Check(ctx context.Context, hash, password string) (bool, error) {
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-timer.C:
		return false, ErrSignInBusy
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-p.slots }()
	compare := p.Compare
	if compare == nil {
		compare = CheckPassword
	}
	ok, err := compare(hash, password)
	if errors.Is(err, errBadHash) {
		return false, nil
	}
	return ok, err
}
