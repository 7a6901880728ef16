package auth

import (
	"context"
	"errors"
	"strconv"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// ErrBadCredentials is returned for an unknown e-mail, a wrong password or a
// disabled account alike, so the answer does not reveal which.
var ErrBadCredentials = errors.New("e-mail or password is wrong")

// SignIn checks e-mail and password under the sign-in throttle and opens
// browser sessions. A node has one: it holds the bound on password checks.
type SignIn struct {
	DB     *store.DB
	Limits Limits
	Checks *PasswordChecks
	// Now is the clock; nil is time.Now. Tests move it past lockouts.
	Now func() time.Time
}

// NewSignIn makes the sign-in of a node with the default limits.
func NewSignIn(db *store.DB, checks *PasswordChecks) *SignIn {
	return &SignIn{DB: db, Limits: DefaultLimits(), Checks: checks}
}

func (s *SignIn) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// account is what a sign-in reads of the account it names; id 0 when there
// is none.
type account struct {
	id     int64
	hash   string
	active bool
}

// entity is how the audit trail names the account: the user, or the
// address typed when there is no such account.
func (a account) entity(email string) (string, string) {
	if a.id == 0 {
		return "login", email
	}
	return "user", strconv.FormatInt(a.id, 10)
}

// Login checks credentials and opens a session; it returns the cookie
// value. Too many failures answer *ErrThrottled before any password is
// checked; no free password check within PasswordWait answers
// ErrSignInBusy.
func (s *SignIn) Login(ctx context.Context, email, password, ip string) (string, *Principal, error) {
	email = NormalizeEmail(email)
	if email == "" || len(email) > 254 {
		return "", nil, ErrBadCredentials // no account has such an address
	}
	if ip == "" {
		ip = "unknown"
	}
	var acct account
	err := s.DB.QueryRow(ctx, "SELECT id, password_hash, active FROM users WHERE email = ?", email).Scan(&acct.id, &acct.hash, &acct.active)
	if err := store.ScanErr(err); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	attempt, err := s.reserve(ctx, email, ip, acct)
	if err != nil {
		return "", nil, err
	}
	hash := acct.hash
	if hash == "" {
		hash = dummyHash // as long as for a known account
	}
	ok, err := s.Checks.Check(ctx, hash, password)
	if err != nil {
		// No password was checked: the attempt does not count.
		if _, rerr := s.DB.Exec(context.WithoutCancel(ctx), "DELETE FROM login_attempts WHERE id = ?", attempt); rerr != nil {
			return "", nil, rerr
		}
		return "", nil, err
	}
	if !ok || !acct.active || acct.id == 0 {
		return "", nil, s.failed(ctx, attempt, email, ip, acct, ok)
	}
	token, err := s.open(ctx, attempt, email, ip, acct.id)
	if err != nil {
		return "", nil, err
	}
	p, err := SessionPrincipal(ctx, s.DB, token)
	return token, p, err
}

// failed settles an attempt as a failure and records it in the audit trail.
func (s *SignIn) failed(ctx context.Context, attempt int64, email, ip string, acct account, passwordOK bool) error {
	reason := "wrong password"
	switch {
	case acct.id == 0:
		reason = "no such account"
	case passwordOK && !acct.active:
		reason = "account disabled"
	}
	ctx = context.WithoutCancel(ctx) // a settled attempt must not stay pending
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'failed' WHERE id = ?", attempt); err != nil {
			return err
		}
		entity, entityID := acct.entity(email)
		return audit.Record(ctx, tx, signInActor, "login_failed", entity, entityID, map[string]any{"email": email, "ip": ip, "reason": reason})
	})
	if err != nil {
		return err
	}
	return ErrBadCredentials
}

// open settles an attempt as a success and opens the session. The
// failures before it keep counting: a success in the middle of a burst of
// guesses from the same address must not buy the guesses more checks.
func (s *SignIn) open(ctx context.Context, attempt int64, email, ip string, userID int64) (string, error) {
	token := randomToken(32)
	csrf := randomToken(24)
	now := time.Now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'succeeded' WHERE id = ?", attempt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires_at < ?", store.TS(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
			sha(token), userID, csrf, store.TS(now), store.TS(now.Add(SessionTTL)))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{Type: "user", ID: userID, Name: email}, "login", "session", userID, map[string]any{"ip": ip})
	})
	return token, err
}
