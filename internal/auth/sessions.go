package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// SessionTTL is how long a browser session lasts after sign-in.
const SessionTTL = 12 * time.Hour

// Throttle limits: failures counted over ThrottleWindow.
const (
	ThrottleWindow   = 15 * time.Minute
	MaxFailsPerEmail = 5
	MaxFailsPerIP    = 30
)

// ErrBadCredentials is returned for an unknown e-mail, a wrong password or a
// disabled account alike, so the answer does not reveal which.
var ErrBadCredentials = errors.New("e-mail or password is wrong")

// ErrThrottled means too many failed sign-ins; RetryAfter says how long to wait.
type ErrThrottled struct{ RetryAfter time.Duration }

func (e *ErrThrottled) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %d minutes", int(e.RetryAfter.Minutes())+1)
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Login checks credentials, throttling repeated failures per e-mail and per
// client address, and opens a session. It returns the cookie value.
func Login(ctx context.Context, db *store.DB, email, password, ip string) (string, *Principal, error) {
	email = NormalizeEmail(email)
	if err := checkThrottle(ctx, db, email, ip); err != nil {
		return "", nil, err
	}
	var id int64
	var hash string
	var active bool
	err := db.QueryRow(ctx, "SELECT id, password_hash, active FROM users WHERE email = ?", email).Scan(&id, &hash, &active)
	if err := store.ScanErr(err); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	if hash == "" {
		hash = dummyHash
	}
	ok, _ := CheckPassword(hash, password)
	if !ok || !active || id == 0 {
		if _, err := db.Exec(ctx, "INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)", email, ip, store.TS(time.Now())); err != nil {
			return "", nil, err
		}
		return "", nil, ErrBadCredentials
	}
	token := randomToken(32)
	csrf := randomToken(24)
	now := time.Now()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM login_failures WHERE email = ?", email); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires_at < ?", store.TS(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
			sha(token), id, csrf, store.TS(now), store.TS(now.Add(SessionTTL)))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{Type: "user", ID: id, Name: email}, "login", "session", id, map[string]any{"ip": ip})
	})
	if err != nil {
		return "", nil, err
	}
	p, err := SessionPrincipal(ctx, db, token)
	return token, p, err
}

func checkThrottle(ctx context.Context, db *store.DB, email, ip string) error {
	since := store.TS(time.Now().Add(-ThrottleWindow))
	var n int
	var oldest store.Time
	err := db.QueryRow(ctx, "SELECT COUNT(*), MIN(at) FROM login_failures WHERE email = ? AND at > ?", email, since).Scan(&n, &oldest)
	if err != nil {
		return err
	}
	if n >= MaxFailsPerEmail {
		return &ErrThrottled{RetryAfter: time.Until(oldest.Add(ThrottleWindow))}
	}
	err = db.QueryRow(ctx, "SELECT COUNT(*), MIN(at) FROM login_failures WHERE ip = ? AND at > ?", ip, since).Scan(&n, &oldest)
	if err != nil {
		return err
	}
	if n >= MaxFailsPerIP {
		return &ErrThrottled{RetryAfter: time.Until(oldest.Add(ThrottleWindow))}
	}
	return nil
}

// SessionPrincipal resolves a session cookie value. Unknown or expired
// sessions give ErrNotFound.
func SessionPrincipal(ctx context.Context, db *store.DB, token string) (*Principal, error) {
	if token == "" || len(token) > 100 {
		return nil, store.ErrNotFound
	}
	p := &Principal{}
	var role string
	var groups *string
	err := db.QueryRow(ctx, `SELECT u.id, u.email, u.name, u.role, COALESCE(u.customer_id, 0), s.csrf_token, `+groupList(db)+`
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND u.active`, sha(token), store.TS(time.Now())).
		Scan(&p.UserID, &p.Email, &p.Name, &role, &p.CustomerID, &p.CSRFToken, &groups)
	if err != nil {
		return nil, store.ScanErr(err)
	}
	p.Role = Role(role)
	p.GroupIDs = parseIDs(groups)
	return p, nil
}

// groupList is a column of the user u's group ids, comma-separated, so a
// principal is loaded in one query.
func groupList(q store.Querier) string {
	if q.Dialect() == store.Postgres {
		return "(SELECT string_agg(group_id::text, ',') FROM group_members WHERE user_id = u.id)"
	}
	return "(SELECT group_concat(group_id) FROM group_members WHERE user_id = u.id)"
}

func parseIDs(csv *string) []int64 {
	ids := []int64{}
	if csv == nil {
		return ids
	}
	for _, s := range strings.Split(*csv, ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Logout ends a session.
func Logout(ctx context.Context, db *store.DB, token string) error {
	_, err := db.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", sha(token))
	return err
}
