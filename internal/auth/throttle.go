package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"steward/internal/audit"
	"steward/internal/notify"
	"steward/internal/store"
)

// Limits are the sign-in throttle's thresholds. Failures count over
// Window; an attempt whose password is still being checked counts as a
// failure until it is settled.
type Limits struct {
	Window time.Duration
	// PerPair failures for one account from one address lock that address
	// out of that account for PairLockout, doubling with each lockout in a
	// row up to MaxPairLockout. Other addresses may still sign in.
	PerPair        int
	PairLockout    time.Duration
	MaxPairLockout time.Duration
	// PerAccount failures from all addresses together lock the account for
	// Window, doubling with each lockout in a row up to MaxPairLockout:
	// guessing spread over many addresses, such as second-factor codes
	// tried with a stolen password, gets fewer tries each round.
	PerAccount int
	// PerAddress failures for all accounts together lock the address for
	// Window: one address trying many accounts.
	PerAddress int
}

// DefaultLimits are the limits a server runs with.
func DefaultLimits() Limits {
	return Limits{
		Window:         15 * time.Minute,
		PerPair:        5,
		PairLockout:    5 * time.Minute,
		MaxPairLockout: 24 * time.Hour,
		PerAccount:     100,
		PerAddress:     30,
	}
}

// Scope says what a lockout holds back.
type Scope string

const (
	ScopePair    Scope = "account_address" // one account from one address
	ScopeAccount Scope = "account"         // one account from every address
	ScopeAddress Scope = "address"         // one address for every account
)

// ErrThrottled means too many failed sign-ins; RetryAfter says how long to wait.
type ErrThrottled struct {
	Scope      Scope
	RetryAfter time.Duration
}

func (e *ErrThrottled) Error() string {
	what := map[Scope]string{
		ScopePair:    "for this account from your address",
		ScopeAccount: "for this account",
		ScopeAddress: "from your address",
	}[e.Scope]
	return "too many failed sign-ins " + what + "; try again in " + waitText(e.RetryAfter)
}

// waitText rounds a wait up to whole minutes, or hours beyond two.
func waitText(d time.Duration) string {
	if m := int(math.Ceil(d.Minutes())); m <= 1 {
		return "1 minute"
	} else if m < 120 {
		return fmt.Sprintf("%d minutes", m)
	}
	return fmt.Sprintf("%d hours", int(math.Ceil(d.Hours())))
}

// scope is one of the three counts an attempt is held against.
type scope struct {
	kind      Scope
	email, ip string // its row in login_locks
	where     string // its attempts in login_attempts
	args      []any
	limit     int
}

func (l Limits) scopes(email, ip string) []scope {
	return []scope{
		{ScopePair, email, ip, "email = ? AND ip = ?", []any{email, ip}, l.PerPair},
		{ScopeAccount, email, "", "email = ?", []any{email}, l.PerAccount},
		{ScopeAddress, "", ip, "ip = ?", []any{ip}, l.PerAddress},
	}
}

// lockoutFor is the length of a scope's next lockout after the given
// number of lockouts in a row.
func (l Limits) lockoutFor(kind Scope, before int) time.Duration {
	d := l.PairLockout
	switch kind {
	case ScopeAddress:
		return l.Window
	case ScopeAccount:
		d = l.Window
	}
	for i := 0; i < before && d < l.MaxPairLockout; i++ {
		d *= 2
	}
	return min(d, l.MaxPairLockout)
}

// lockSignIns serialises the throttle's count-and-record step for one
// account and one address across PostgreSQL connections and nodes; on
// SQLite the write transaction (BEGIN IMMEDIATE) already does. The account
// is always locked before the address, so two sign-ins never wait on each
// other in a circle.
func lockSignIns(ctx context.Context, tx *store.Tx, email, ip string) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	if email != "" {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7702011, hashtext(?))", email); err != nil {
			return err
		}
	}
	if ip != "" {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7702012, hashtext(?))", ip); err != nil {
			return err
		}
	}
	return nil
}

// reserve counts the attempts before this one and, when the limits allow
// another, records it as pending, in one write transaction: a burst of
// sign-ins gets no more password checks than the limits allow, however
// many arrive at once. Over a limit it locks the scope out, tells the
// account holder once and records it in the audit trail, and answers
// *ErrThrottled.
func (s *SignIn) reserve(ctx context.Context, email, ip string, acct account) (int64, error) {
	now := s.now().UTC().Truncate(time.Microsecond) // as the database keeps it
	var id int64
	var throttled *ErrThrottled
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		throttled = nil
		if err := lockSignIns(ctx, tx, email, ip); err != nil {
			return err
		}
		var err error
		if throttled, err = s.throttle(ctx, tx, email, ip, acct, now); err != nil || throttled != nil {
			return err
		}
		return tx.QueryRow(ctx, "INSERT INTO login_attempts (email, ip, at) VALUES (?, ?, ?) RETURNING id",
			email, ip, store.TS(now)).Scan(&id)
	})
	if err != nil {
		return 0, err
	}
	if throttled != nil {
		return 0, throttled
	}
	return id, nil
}

// throttle checks every scope of an attempt, locking out those whose
// failures reached their limit. It answers the longest wait, or nil.
func (s *SignIn) throttle(ctx context.Context, tx *store.Tx, email, ip string, acct account, now time.Time) (*ErrThrottled, error) {
	var worst *ErrThrottled
	var fresh []lockout
	for _, sc := range s.Limits.scopes(email, ip) {
		th, started, err := s.checkScope(ctx, tx, sc, now)
		if err != nil {
			return nil, err
		}
		if started != nil {
			started.Email, started.IP = email, ip
			fresh = append(fresh, *started)
		}
		if th != nil {
			worst = longer(worst, th)
		}
	}
	if len(fresh) > 0 {
		if err := announce(ctx, tx, acct, fresh); err != nil {
			return nil, err
		}
	}
	return worst, nil
}

// checkScope answers the wait of a lockout in force on one scope, or
// starts one when the scope's failures reached its limit.
func (s *SignIn) checkScope(ctx context.Context, tx *store.Tx, sc scope, now time.Time) (*ErrThrottled, *lockout, error) {
	var lockouts int
	var until store.Time
	err := tx.QueryRow(ctx, "SELECT lockouts, locked_until FROM login_locks WHERE email = ? AND ip = ?", sc.email, sc.ip).
		Scan(&lockouts, &until)
	if err := store.ScanErr(err); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	if now.Before(until.Time) {
		return &ErrThrottled{Scope: sc.kind, RetryAfter: until.Sub(now)}, nil, nil
	}
	// Failures before the end of the last lockout were paid for by it.
	from := now.Add(-s.Limits.Window)
	if until.After(from) {
		from = until.Time
	}
	var n int
	err = tx.QueryRow(ctx, "SELECT COUNT(*) FROM login_attempts WHERE "+sc.where+
		" AND at >= ? AND outcome IN ('pending', 'failed')", append(sc.args, store.TS(from))...).Scan(&n)
	if err != nil || n < sc.limit {
		return nil, nil, err
	}
	d := s.Limits.lockoutFor(sc.kind, lockouts)
	_, err = tx.Exec(ctx, `INSERT INTO login_locks (email, ip, lockouts, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (email, ip) DO UPDATE SET lockouts = excluded.lockouts, locked_until = excluded.locked_until`,
		sc.email, sc.ip, lockouts+1, store.TS(now.Add(d)))
	if err != nil {
		return nil, nil, err
	}
	return &ErrThrottled{Scope: sc.kind, RetryAfter: d}, &lockout{Scope: sc.kind, Until: now.Add(d), Failures: n}, nil
}

func longer(a, b *ErrThrottled) *ErrThrottled {
	if a == nil || b.RetryAfter > a.RetryAfter {
		return b
	}
	return a
}

type lockout struct {
	Scope    Scope
	Email    string
	IP       string
	Until    time.Time
	Failures int
}

// signInActor is who the audit trail names for what happens before anyone
// has signed in.
var signInActor = audit.Actor{Type: "system", Name: "sign-in"}

// announce records new lockouts in the audit trail and tells the account
// holder, once per lockout, when their account is the one held back.
func announce(ctx context.Context, tx *store.Tx, acct account, fresh []lockout) error {
	var told bool
	for _, l := range fresh {
		entity, entityID := acct.entity(l.Email)
		if l.Scope == ScopeAddress {
			entity, entityID = "address", l.IP
		}
		err := audit.Record(ctx, tx, signInActor, "login_throttled", entity, entityID, map[string]any{
			"scope": l.Scope, "email": l.Email, "ip": l.IP, "failures": l.Failures, "until": l.Until.UTC().Format(time.RFC3339)})
		if err != nil {
			return err
		}
		if l.Scope == ScopeAddress || told || acct.id == 0 || !acct.active {
			continue
		}
		told = true
		body := fmt.Sprintf("%d wrong passwords were tried for your account from %s; sign-ins from that address are paused until %s.",
			l.Failures, l.IP, l.Until.UTC().Format("15:04 UTC, 2 Jan"))
		if l.Scope == ScopeAccount {
			body = fmt.Sprintf("%d wrong passwords were tried for your account from several addresses; sign-ins to it are paused until %s.",
				l.Failures, l.Until.UTC().Format("15:04 UTC, 2 Jan"))
		}
		body += " If this was not you, tell an administrator; they can lift the pause."
		if err := notify.Add(ctx, tx, []int64{acct.id}, "signin_throttled", "Sign-ins to your account were paused", body, ""); err != nil {
			return err
		}
	}
	return nil
}

// Lockout is a sign-in lockout in force on an account.
type Lockout struct {
	Scope Scope     `json:"scope"`
	IP    string    `json:"ip"` // "" when every address is held back
	Until time.Time `json:"until"`
}

// Lockouts lists the lockouts in force on the account with this e-mail.
func Lockouts(ctx context.Context, q store.Querier, email string) ([]Lockout, error) {
	rows, err := q.Query(ctx, "SELECT ip, locked_until FROM login_locks WHERE email = ? AND locked_until > ? ORDER BY locked_until DESC",
		NormalizeEmail(email), store.TS(time.Now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Lockout{}
	for rows.Next() {
		var l Lockout
		var until store.Time
		if err := rows.Scan(&l.IP, &until); err != nil {
			return nil, err
		}
		l.Until, l.Scope = until.Time, ScopePair
		if l.IP == "" {
			l.Scope = ScopeAccount
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Unlock lifts every sign-in lockout of an account, from every address,
// and forgets its failed sign-ins, so that the next one starts afresh. It
// says how many lockouts were in force. Lockouts of an address across all
// accounts are not the account's and stay.
func Unlock(ctx context.Context, db *store.DB, actor audit.Actor, userID int64) (int, error) {
	var lifted int
	err := db.InTx(ctx, func(tx *store.Tx) error {
		u, err := GetUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := lockSignIns(ctx, tx, u.Email, ""); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, "SELECT COUNT(*) FROM login_locks WHERE email = ? AND locked_until > ?", u.Email, store.TS(time.Now())).Scan(&lifted)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM login_locks WHERE email = ?", u.Email); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE login_attempts SET outcome = 'cleared' WHERE email = ? AND outcome = 'failed'", u.Email); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "unlock", "user", userID, map[string]any{"lockouts_lifted": lifted})
	})
	return lifted, err
}
