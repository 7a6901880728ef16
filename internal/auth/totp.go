package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"steward/internal/audit"
	"steward/internal/store"
)

// A second factor is a TOTP secret (RFC 6238: six digits, 30 seconds,
// SHA-1, which every authenticator app reads) and ten single-use recovery
// codes. The secret is kept as it is because checking a code needs it;
// the recovery codes are kept hashed.
const (
	totpPeriod = 30
	// totpSkew is how many steps before and after now a code may come
	// from: a phone's clock a little off still works.
	totpSkew = 1
	// RecoveryCodeCount is how many recovery codes a person is given.
	RecoveryCodeCount = 10
	// TOTPIssuer is what an authenticator app shows above the account.
	TOTPIssuer = "Steward"
)

var (
	// ErrBadCode is a code that is wrong, was used already, or is a
	// recovery code used before.
	ErrBadCode = errors.New("that code is wrong or was used already")
	// ErrSecondFactorOn is an attempt to set up a second factor twice.
	ErrSecondFactorOn = errors.New("a second factor is already on for this account")
	// ErrSecondFactorOff is an attempt to turn off what is not on.
	ErrSecondFactorOff = errors.New("no second factor is on for this account")
	// ErrSecondFactorRequired is an attempt to turn off a second factor
	// the person's role must use.
	ErrSecondFactorRequired = errors.New("your role must use a second factor, so it cannot be turned off")
)

// Enrolment is a secret being set up: shown as text and as a QR code of
// URL until a code from it confirms it.
type Enrolment struct {
	Secret string
	URL    string // otpauth://totp/...
}

// SecondFactor is whether an account has a second factor on.
type SecondFactor struct {
	On        bool
	Since     time.Time
	CodesLeft int // unused recovery codes
	Enrolling bool
}

// SecondFactorOf reads the state of a user's second factor.
func SecondFactorOf(ctx context.Context, q store.Querier, userID int64) (SecondFactor, error) {
	var sf SecondFactor
	var enabled *store.Time
	err := q.QueryRow(ctx, "SELECT enabled_at FROM user_totp WHERE user_id = ?", userID).Scan(&enabled)
	if err := store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
		return sf, nil
	} else if err != nil {
		return sf, err
	}
	if enabled == nil {
		sf.Enrolling = true
		return sf, nil
	}
	sf.On, sf.Since = true, enabled.Time
	err = q.QueryRow(ctx, "SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = ? AND used_at IS NULL", userID).Scan(&sf.CodesLeft)
	return sf, err
}

// enrol makes (or keeps) the secret being set up for a user.
func enrol(ctx context.Context, tx *store.Tx, userID int64, email string) (Enrolment, error) {
	var secret string
	var enabled *store.Time
	err := tx.QueryRow(ctx, "SELECT secret, enabled_at FROM user_totp WHERE user_id = ?", userID).Scan(&secret, &enabled)
	switch err := store.ScanErr(err); {
	case err == nil && enabled != nil:
		return Enrolment{}, ErrSecondFactorOn
	case err == nil:
		return enrolmentOf(secret, email), nil
	case !errors.Is(err, store.ErrNotFound):
		return Enrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: email, Period: totpPeriod})
	if err != nil {
		return Enrolment{}, err
	}
	_, err = tx.Exec(ctx, "INSERT INTO user_totp (user_id, secret, created_at) VALUES (?, ?, ?)", userID, key.Secret(), store.TS(time.Now()))
	return enrolmentOf(key.Secret(), email), err
}

// enrolmentOf writes the key URI authenticator apps read from a QR code.
func enrolmentOf(secret, email string) Enrolment {
	v := url.Values{"secret": {secret}, "issuer": {TOTPIssuer}, "period": {strconv.Itoa(totpPeriod)},
		"digits": {"6"}, "algorithm": {"SHA1"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + TOTPIssuer + ":" + email, RawQuery: v.Encode()}
	return Enrolment{Secret: secret, URL: u.String()}
}

// StartEnrolment gives a signed-in user a secret to set up; the one being
// set up already is kept, so reloading the page does not change it.
func StartEnrolment(ctx context.Context, db *store.DB, userID int64, email string) (Enrolment, error) {
	var e Enrolment
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		e, err = enrol(ctx, tx, userID, email)
		return err
	})
	return e, err
}

// NewEnrolment gives a signed-in user a fresh secret to set up, replacing
// one being set up already: a secret someone else started (and saw) in a
// session left open is never the one its owner scans.
func NewEnrolment(ctx context.Context, db *store.DB, userID int64, email string) (Enrolment, error) {
	var e Enrolment
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM user_totp WHERE user_id = ? AND enabled_at IS NULL", userID); err != nil {
			return err
		}
		var err error
		e, err = enrol(ctx, tx, userID, email)
		return err
	})
	return e, err
}

// PendingEnrolment is the secret a user is setting up, if any.
func PendingEnrolment(ctx context.Context, q store.Querier, userID int64, email string) (Enrolment, bool, error) {
	var secret string
	err := q.QueryRow(ctx, "SELECT secret FROM user_totp WHERE user_id = ? AND enabled_at IS NULL", userID).Scan(&secret)
	if err := store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
		return Enrolment{}, false, nil
	} else if err != nil {
		return Enrolment{}, false, err
	}
	return enrolmentOf(secret, email), true, nil
}

// ConfirmEnrolment turns a signed-in user's second factor on once a code
// from the new secret is right, and returns the recovery codes, which are
// shown once and never again.
func ConfirmEnrolment(ctx context.Context, db *store.DB, actor audit.Actor, userID int64, code string) ([]string, error) {
	var codes []string
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		codes, err = confirm(ctx, tx, actor, userID, code, time.Now())
		return err
	})
	return codes, err
}

// confirm checks a code against the secret being set up and turns it on.
func confirm(ctx context.Context, tx *store.Tx, actor audit.Actor, userID int64, code string, now time.Time) ([]string, error) {
	var secret string
	err := tx.QueryRow(ctx, "SELECT secret FROM user_totp WHERE user_id = ? AND enabled_at IS NULL", userID).Scan(&secret)
	if err := store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
		return nil, ErrSecondFactorOn
	} else if err != nil {
		return nil, err
	}
	step, ok := matchStep(secret, code, now)
	if !ok {
		return nil, ErrBadCode
	}
	if _, err := tx.Exec(ctx, "UPDATE user_totp SET enabled_at = ?, last_step = ? WHERE user_id = ?", store.TS(now), step, userID); err != nil {
		return nil, err
	}
	codes, err := newRecoveryCodes(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	return codes, audit.Record(ctx, tx, actor, "second_factor_on", "user", userID, map[string]any{"recovery_codes": len(codes)})
}

// newRecoveryCodes replaces a user's recovery codes with fresh ones.
func newRecoveryCodes(ctx context.Context, tx *store.Tx, userID int64) ([]string, error) {
	if _, err := tx.Exec(ctx, "DELETE FROM user_recovery_codes WHERE user_id = ?", userID); err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = recoveryCode()
		if _, err := tx.Exec(ctx, "INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (?, ?)", userID, sha(normalCode(codes[i]))); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// recoveryAlphabet leaves out letters and digits easily mistaken for
// each other (0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// recoveryCode is ten characters (about 49 bits) written as two groups.
func recoveryCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	out := make([]byte, 0, 11)
	for i, c := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, recoveryAlphabet[int(c)%len(recoveryAlphabet)])
	}
	return string(out)
}

// normalCode is a code as typed without spaces and dashes, lower case.
func normalCode(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(s)))
}

// isTOTP says whether a normal code is six digits.
func isTOTP(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// matchStep finds the time step within the skew whose code is code.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	code = normalCode(code)
	if !isTOTP(code) {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	current := now.Unix() / totpPeriod
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// useCode accepts a code for a user whose second factor is on: a TOTP
// code of a time step later than the last one accepted, or an unused
// recovery code. It says which it was ("totp" or "recovery").
func useCode(ctx context.Context, tx *store.Tx, userID int64, code string, now time.Time) (string, error) {
	code = normalCode(code)
	if code == "" || len(code) > 40 {
		return "", ErrBadCode
	}
	if !isTOTP(code) {
		res, err := tx.Exec(ctx, "UPDATE user_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
			store.TS(now), userID, sha(code))
		if err != nil {
			return "", err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return "", errors.Join(err, ErrBadCode)
		}
		return "recovery", nil
	}
	var secret string
	err := tx.QueryRow(ctx, "SELECT secret FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL", userID).Scan(&secret)
	if err := store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
		return "", ErrBadCode
	} else if err != nil {
		return "", err
	}
	step, ok := matchStep(secret, code, now)
	if !ok {
		return "", ErrBadCode
	}
	// A code of a step already used (or older) is a replay.
	res, err := tx.Exec(ctx, "UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?", step, userID, step)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", errors.Join(err, ErrBadCode)
	}
	return "totp", nil
}

// ResetSecondFactor removes a user's second factor and recovery codes, as
// an administrator does for someone who lost their phone; their next
// sign-in needs the password only (or sets one up, when their role must
// use one). It says whether one was on.
func ResetSecondFactor(ctx context.Context, db *store.DB, actor audit.Actor, userID int64) (bool, error) {
	var was bool
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := GetUser(ctx, tx, userID); err != nil {
			return err
		}
		sf, err := SecondFactorOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		was = sf.On
		if err := removeSecondFactor(ctx, tx, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "second_factor_reset", "user", userID, map[string]any{"was_on": was})
	})
	return was, err
}

func removeSecondFactor(ctx context.Context, tx *store.Tx, userID int64) error {
	for _, q := range []string{
		"DELETE FROM user_totp WHERE user_id = ?",
		"DELETE FROM user_recovery_codes WHERE user_id = ?",
		"DELETE FROM signin_challenges WHERE user_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}

// SecondFactorUser is an account with a second factor on, for the
// administrator's list.
type SecondFactorUser struct {
	UserID    int64
	Email     string
	Name      string
	Role      Role
	Since     time.Time
	CodesLeft int
}

// SecondFactorUsers lists up to limit accounts with a second factor on,
// by e-mail.
func SecondFactorUsers(ctx context.Context, q store.Querier, limit int) ([]SecondFactorUser, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.email, u.name, u.role, t.enabled_at,
		(SELECT COUNT(*) FROM user_recovery_codes c WHERE c.user_id = u.id AND c.used_at IS NULL)
		FROM user_totp t JOIN users u ON u.id = t.user_id WHERE t.enabled_at IS NOT NULL ORDER BY u.email LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SecondFactorUser{}
	for rows.Next() {
		var u SecondFactorUser
		var since store.Time
		if err := rows.Scan(&u.UserID, &u.Email, &u.Name, &u.Role, &since, &u.CodesLeft); err != nil {
			return nil, err
		}
		u.Since = since.Time
		out = append(out, u)
	}
	return out, rows.Err()
}
