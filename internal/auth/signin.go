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
	// Policy, when set, says whether an account may use its password and
	// which roles must use a second factor (single sign-on's settings).
	Policy SignInPolicy
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
	role   Role
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
	err := s.DB.QueryRow(ctx, "SELECT id, password_hash, active, role FROM users WHERE email = ?", email).Scan(&acct.id, &acct.hash, &acct.active, &acct.role)
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
	if err := s.passwordAllowed(ctx, attempt, email, ip, acct); err != nil {
		return "", nil, err
	}
	purpose, err := s.secondStep(ctx, attempt, acct)
	if err != nil {
		return "", nil, err
	}
	if purpose != "" {
		return "", nil, s.challenge(ctx, attempt, email, ip, acct, purpose)
	}
	token, err := s.open(ctx, attempt, email, ip, acct.id, "password", "")
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
	if err := s.settleFailed(ctx, attempt, email, ip, acct, reason); err != nil {
		return err
	}
	return ErrBadCredentials
}

// settleFailed settles an attempt as a failure, so that it counts toward
// the throttle, and records why in the audit trail.
func (s *SignIn) settleFailed(ctx context.Context, attempt int64, email, ip string, acct account, reason string) error {
	ctx = context.WithoutCancel(ctx) // a settled attempt must not stay pending
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'failed' WHERE id = ?", attempt); err != nil {
			return err
		}
		entity, entityID := acct.entity(email)
		return audit.Record(ctx, tx, signInActor, "login_failed", entity, entityID, map[string]any{"email": email, "ip": ip, "reason": reason})
	})
}

// open settles an attempt as a success and opens the session; via says
// how the person proved who they are ("password", "totp", ...) and
// challenge, when set, is the pending sign-in it completes. The failures
// before it keep counting: a success in the middle of a burst of guesses
// from the same address must not buy the guesses more checks.
func (s *SignIn) open(ctx context.Context, attempt int64, email, ip string, userID int64, via, challenge string) (string, error) {
	var token string
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		token, err = s.openIn(ctx, tx, attempt, email, ip, userID, via, challenge)
		return err
	})
	return token, err
}

func (s *SignIn) openIn(ctx context.Context, tx *store.Tx, attempt int64, email, ip string, userID int64, via, challenge string) (string, error) {
	if _, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'succeeded' WHERE id = ?", attempt); err != nil {
		return "", err
	}
	if challenge != "" {
		// Taking the pending sign-in is the guard: of two second steps
		// sent at once, the one that finds it taken opens nothing.
		res, err := tx.Exec(ctx, "DELETE FROM signin_challenges WHERE id_hash = ?", sha(challenge))
		if err != nil {
			return "", err
		}
		if n, err := res.RowsAffected(); err != nil {
			return "", err
		} else if n != 1 {
			return "", ErrChallengeGone
		}
	}
	return OpenSession(ctx, tx, audit.Actor{Type: "user", ID: userID, Name: email}, userID, map[string]any{"ip": ip, "via": via})
}

// OpenSession opens a browser session for a user whose identity is
// proven, in tx, records the sign-in in the audit trail with detail, and
// returns the cookie value. Single sign-on opens its sessions here too.
func OpenSession(ctx context.Context, tx *store.Tx, actor audit.Actor, userID int64, detail map[string]any) (string, error) {
	token := randomToken(32)
	csrf := randomToken(24)
	now := time.Now()
	if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires_at < ?", store.TS(now)); err != nil {
		return "", err
	}
	_, err := tx.Exec(ctx, "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		sha(token), userID, csrf, store.TS(now), store.TS(now.Add(SessionTTL)))
	if err != nil {
		return "", err
	}
	return token, audit.Record(ctx, tx, actor, "login", "session", userID, detail)
}
