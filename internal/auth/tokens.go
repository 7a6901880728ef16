package auth

import (
	"context"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// TokenPrefix starts every API token, so leaked tokens are easy to spot.
const TokenPrefix = "stw_"

// Token describes an API token; the secret itself is never stored.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// CreateToken issues a token for a user and returns the secret once. Tokens
// are random 256-bit values, so a SHA-256 digest is a safe way to keep them.
func CreateToken(ctx context.Context, db *store.DB, actor audit.Actor, userID int64, name string) (string, Token, error) {
	name = strings.TrimSpace(name)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", name, true, domainerr.MaxShort)
	if err := v.Err(); err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + randomToken(32)
	now := time.Now().UTC().Truncate(time.Microsecond)
	t := Token{UserID: userID, Name: name, Prefix: secret[:12], CreatedAt: now}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var active bool
		if err := tx.QueryRow(ctx, "SELECT active FROM users WHERE id = ?", userID).Scan(&active); err != nil {
			return store.ScanErr(err)
		}
		if !active {
			return domainerr.Field("user", "the account is disabled")
		}
		err := tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, userID, name, sha(secret), t.Prefix, store.TS(now)).Scan(&t.ID)
		if err != nil {
			return store.ScanErr(err)
		}
		return audit.Record(ctx, tx, actor, "create", "api_token", t.ID, map[string]any{"user_id": userID, "name": name, "prefix": t.Prefix})
	})
	return secret, t, err
}

// ListTokens lists a user's tokens, newest first.
func ListTokens(ctx context.Context, q store.Querier, userID int64) ([]Token, error) {
	rows, err := q.Query(ctx, `SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at
		FROM api_tokens WHERE user_id = ? ORDER BY id DESC LIMIT 200`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var created, used, revoked store.Time
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &created, &used, &revoked); err != nil {
			return nil, err
		}
		t.CreatedAt = created.Time
		if !used.IsZero() {
			t.LastUsedAt = &used.Time
		}
		if !revoked.IsZero() {
			t.RevokedAt = &revoked.Time
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends a token of userID.
func RevokeToken(ctx context.Context, db *store.DB, actor audit.Actor, userID, tokenID int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
			store.TS(time.Now()), tokenID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, actor, "revoke", "api_token", tokenID, map[string]any{"user_id": userID})
	})
}

// TokenPrincipal resolves a bearer token. Unknown, revoked or disabled-user
// tokens give ErrNotFound.
func TokenPrincipal(ctx context.Context, db *store.DB, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return nil, store.ErrNotFound
	}
	p := &Principal{}
	var role string
	var used store.Time
	var groups *string
	err := db.QueryRow(ctx, `SELECT t.id, u.id, u.email, u.name, u.role, COALESCE(u.customer_id, 0), t.last_used_at, `+groupList(db)+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active`, sha(secret)).
		Scan(&p.TokenID, &p.UserID, &p.Email, &p.Name, &role, &p.CustomerID, &used, &groups)
	if err != nil {
		return nil, store.ScanErr(err)
	}
	p.Role = Role(role)
	p.GroupIDs = parseIDs(groups)
	if time.Since(used.Time) > time.Minute {
		// Coarse on purpose: a write per request would cost more than the fact is worth.
		if _, err := db.Exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", store.TS(time.Now()), p.TokenID); err != nil {
			return nil, err
		}
	}
	return p, nil
}
