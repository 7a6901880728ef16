package auth

import (
	"context"
	"errors"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// SignInPolicy is what the organisation's settings say about password
// sign-ins: whether an account may still use its password (single sign-on
// users may be held to the provider) and which roles must use a second
// factor.
type SignInPolicy interface {
	PasswordAllowed(ctx context.Context, q store.Querier, userID int64) (bool, error)
	SecondFactorRequired(ctx context.Context, q store.Querier, role Role) (bool, error)
}

// ChallengeTTL is how long a sign-in whose password was right waits for
// its second factor (or for one to be set up) before it must start again.
const ChallengeTTL = 10 * time.Minute

var (
	// ErrPasswordSignInOff is a right password for an account that must
	// sign in through single sign-on.
	ErrPasswordSignInOff = errors.New("this account signs in through single sign-on, not with a password")
	// ErrChallengeGone is a second step whose sign-in expired, was
	// finished already or was never started.
	ErrChallengeGone = errors.New("this sign-in has expired; sign in again")
)

// SecondFactorNeeded answers a right password when a second factor must
// follow: Token names the pending sign-in (it is not a session) and Enrol
// says the person must set a second factor up first.
type SecondFactorNeeded struct {
	Token string
	Enrol bool
}

func (e *SecondFactorNeeded) Error() string { return "a second factor is needed to finish signing in" }

// forget drops an attempt that checked nothing, so it does not count.
func (s *SignIn) forget(ctx context.Context, attempt int64) {
	s.DB.Exec(context.WithoutCancel(ctx), "DELETE FROM login_attempts WHERE id = ?", attempt)
}

// passwordAllowed refuses a right password the policy does not accept.
func (s *SignIn) passwordAllowed(ctx context.Context, attempt int64, email, ip string, acct account) error {
	if s.Policy == nil {
		return nil
	}
	ok, err := s.Policy.PasswordAllowed(ctx, s.DB, acct.id)
	if err != nil {
		s.forget(ctx, attempt)
		return err
	}
	if ok {
		return nil
	}
	if err := s.settleFailed(ctx, attempt, email, ip, acct, "password sign-in is off for single sign-on users"); err != nil {
		return err
	}
	return ErrPasswordSignInOff
}

// secondStep says what must follow a right password: "code" when the
// account has a second factor, "enrol" when its role must have one and it
// has none, else "".
func (s *SignIn) secondStep(ctx context.Context, attempt int64, acct account) (string, error) {
	sf, err := SecondFactorOf(ctx, s.DB, acct.id)
	if err != nil {
		s.forget(ctx, attempt)
		return "", err
	}
	if sf.On {
		return "code", nil
	}
	if s.Policy == nil {
		return "", nil
	}
	required, err := s.Policy.SecondFactorRequired(ctx, s.DB, acct.role)
	if err != nil {
		s.forget(ctx, attempt)
		return "", err
	}
	if required {
		return "enrol", nil
	}
	return "", nil
}

// challenge settles a right password and starts the pending sign-in.
func (s *SignIn) challenge(ctx context.Context, attempt int64, email, ip string, acct account, purpose string) error {
	token := randomToken(32)
	now := time.Now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'succeeded' WHERE id = ?", attempt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM signin_challenges WHERE expires_at < ?", store.TS(now)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO signin_challenges (id_hash, user_id, purpose, expires_at) VALUES (?, ?, ?, ?)",
			sha(token), acct.id, purpose, store.TS(now.Add(ChallengeTTL))); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{Type: "user", ID: acct.id, Name: email}, "login_second_step", "user", acct.id,
			map[string]any{"ip": ip, "step": purpose})
	})
	if err != nil {
		return err
	}
	return &SecondFactorNeeded{Token: token, Enrol: purpose == "enrol"}
}

// EndPendingSignIns ends every sign-in of a user still waiting for its
// second step, in tx: a new password (reset, set by an administrator or
// changed by its owner) must not let a sign-in started with the old one
// finish.
func EndPendingSignIns(ctx context.Context, tx *store.Tx, userID int64) error {
	_, err := tx.Exec(ctx, "DELETE FROM signin_challenges WHERE user_id = ?", userID)
	return err
}

// Pending is a sign-in waiting for its second step.
type Pending struct {
	UserID int64
	Email  string
	Enrol  bool // a second factor must be set up first
	active bool
	role   Role
}

// PendingSignIn reads the sign-in a second-step token names; an expired
// or unknown one, or one of an account disabled since, is ErrChallengeGone.
func (s *SignIn) PendingSignIn(ctx context.Context, token string) (Pending, error) {
	if token == "" || len(token) > 100 {
		return Pending{}, ErrChallengeGone
	}
	var p Pending
	var purpose string
	err := s.DB.QueryRow(ctx, `SELECT c.user_id, c.purpose, u.email, u.active, u.role FROM signin_challenges c JOIN users u ON u.id = c.user_id
		WHERE c.id_hash = ? AND c.expires_at > ?`, sha(token), store.TS(time.Now())).Scan(&p.UserID, &purpose, &p.Email, &p.active, &p.role)
	if err := store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
		return Pending{}, ErrChallengeGone
	} else if err != nil {
		return Pending{}, err
	}
	if !p.active {
		return Pending{}, ErrChallengeGone
	}
	p.Enrol = purpose == "enrol"
	return p, nil
}

func (p Pending) account() account { return account{id: p.UserID, active: p.active, role: p.role} }

// SecondFactor finishes a pending sign-in with a code from the person's
// authenticator app or one of their recovery codes, and opens the
// session. A wrong or replayed code counts toward the sign-in throttle
// like a wrong password, so guessing is bounded the same way.
func (s *SignIn) SecondFactor(ctx context.Context, token, code, ip string) (string, *Principal, error) {
	p, err := s.PendingSignIn(ctx, token)
	if err != nil {
		return "", nil, err
	}
	if p.Enrol {
		return "", nil, ErrChallengeGone
	}
	return s.finish(ctx, p, token, ip, func(tx *store.Tx) (string, error) {
		return useCode(ctx, tx, p.UserID, code, time.Now())
	})
}

// finish runs a second step under the throttle and, when check accepts
// it, opens the session in the same transaction.
func (s *SignIn) finish(ctx context.Context, p Pending, token, ip string, check func(tx *store.Tx) (string, error)) (string, *Principal, error) {
	if ip == "" {
		ip = "unknown"
	}
	attempt, err := s.reserve(ctx, p.Email, ip, p.account())
	if err != nil {
		return "", nil, err
	}
	var session string
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		via, err := check(tx)
		if err != nil {
			return err
		}
		session, err = s.openIn(ctx, tx, attempt, p.Email, ip, p.UserID, via, token)
		return err
	})
	switch {
	case errors.Is(err, ErrBadCode):
		if err := s.settleFailed(ctx, attempt, p.Email, ip, p.account(), "wrong second-factor code"); err != nil {
			return "", nil, err
		}
		return "", nil, ErrBadCode
	case errors.Is(err, ErrSecondFactorOn):
		s.forget(ctx, attempt)
		return "", nil, ErrChallengeGone
	case err != nil:
		s.forget(ctx, attempt)
		return "", nil, err
	}
	pr, err := SessionPrincipal(ctx, s.DB, session)
	return session, pr, err
}

// ChallengeEnrolment is the secret a person whose role must use a second
// factor sets up before their first session.
func (s *SignIn) ChallengeEnrolment(ctx context.Context, token string) (Enrolment, error) {
	p, err := s.PendingSignIn(ctx, token)
	if err != nil {
		return Enrolment{}, err
	}
	if !p.Enrol {
		return Enrolment{}, ErrChallengeGone
	}
	return StartEnrolment(ctx, s.DB, p.UserID, p.Email)
}

// ConfirmAtSignIn turns on the second factor being set up during a
// pending sign-in once a code from it is right, opens the session and
// returns the recovery codes, shown once.
func (s *SignIn) ConfirmAtSignIn(ctx context.Context, token, code, ip string) (string, *Principal, []string, error) {
	p, err := s.PendingSignIn(ctx, token)
	if err != nil {
		return "", nil, nil, err
	}
	if !p.Enrol {
		return "", nil, nil, ErrChallengeGone
	}
	var codes []string
	session, pr, err := s.finish(ctx, p, token, ip, func(tx *store.Tx) (string, error) {
		var err error
		codes, err = confirm(ctx, tx, audit.Actor{Type: "user", ID: p.UserID, Name: p.Email}, p.UserID, code, time.Now())
		return "totp", err
	})
	return session, pr, codes, err
}

// ErrNoPassword is turning a second factor on for an account without a
// password here: it guards password sign-ins only.
var ErrNoPassword = errors.New("this account has no password here, and a second factor guards password sign-ins only")

// reauthenticate checks a signed-in person's password again before a
// change to their second factor, under the sign-in throttle: a wrong one
// counts like a wrong password at sign-in. It returns the attempt, which
// the caller settles.
func (s *SignIn) reauthenticate(ctx context.Context, u User, password, ip, what string) (int64, account, error) {
	var hash string
	if err := s.DB.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", u.ID).Scan(&hash); err != nil {
		return 0, account{}, store.ScanErr(err)
	}
	if ip == "" {
		ip = "unknown"
	}
	acct := account{id: u.ID, hash: hash, active: u.Active, role: u.Role}
	attempt, err := s.reserve(ctx, u.Email, ip, acct)
	if err != nil {
		return 0, acct, err
	}
	if hash == "" {
		hash = dummyHash
	}
	ok, err := s.Checks.Check(ctx, hash, password)
	if err != nil {
		s.forget(ctx, attempt)
		return 0, acct, err
	}
	if !ok {
		if err := s.settleFailed(ctx, attempt, u.Email, ip, acct, "wrong password "+what); err != nil {
			return 0, acct, err
		}
		return 0, acct, ErrBadCredentials
	}
	return attempt, acct, nil
}

// TurnOnSecondFactor turns on the second factor a signed-in person is
// setting up once their password and a code from the new secret are
// right, and returns the recovery codes, shown once. Asking for the
// password again keeps whoever finds a session left open from putting a
// second factor of their own on the account. A wrong password counts
// toward the sign-in throttle; a wrong code does not (it guesses at no
// factor in use).
func (s *SignIn) TurnOnSecondFactor(ctx context.Context, userID int64, password, code, ip string) ([]string, error) {
	u, err := GetUser(ctx, s.DB, userID)
	if err != nil {
		return nil, err
	}
	var hash string
	if err := s.DB.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", userID).Scan(&hash); err != nil {
		return nil, store.ScanErr(err)
	}
	if hash == "" {
		return nil, ErrNoPassword
	}
	attempt, _, err := s.reauthenticate(ctx, u, password, ip, "turning on the second factor")
	if err != nil {
		return nil, err
	}
	var codes []string
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if codes, err = confirm(ctx, tx, audit.Actor{Type: "user", ID: userID, Name: u.Email}, userID, code, time.Now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'succeeded' WHERE id = ?", attempt)
		return err
	})
	if err != nil {
		s.forget(ctx, attempt)
		return nil, err
	}
	return codes, nil
}

// TurnOffSecondFactor removes a signed-in person's own second factor once
// both their password and a code are right. Wrong tries count toward the
// sign-in throttle. A role that must use a second factor cannot turn it
// off.
func (s *SignIn) TurnOffSecondFactor(ctx context.Context, userID int64, password, code, ip string) error {
	u, err := GetUser(ctx, s.DB, userID)
	if err != nil {
		return err
	}
	if s.Policy != nil {
		required, err := s.Policy.SecondFactorRequired(ctx, s.DB, u.Role)
		if err != nil {
			return err
		}
		if required {
			return ErrSecondFactorRequired
		}
	}
	if ip == "" {
		ip = "unknown"
	}
	attempt, acct, err := s.reauthenticate(ctx, u, password, ip, "turning off the second factor")
	if err != nil {
		return err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := useCode(ctx, tx, userID, code, time.Now()); err != nil {
			return err
		}
		if err := removeSecondFactor(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'succeeded' WHERE id = ?", attempt); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{Type: "user", ID: userID, Name: u.Email}, "second_factor_off", "user", userID, map[string]any{"ip": ip})
	})
	if errors.Is(err, ErrBadCode) {
		if err := s.settleFailed(ctx, attempt, u.Email, ip, acct, "wrong second-factor code turning it off"); err != nil {
			return err
		}
		return ErrBadCode
	}
	if err != nil {
		s.forget(ctx, attempt)
	}
	return err
}
