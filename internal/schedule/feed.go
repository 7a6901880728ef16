package schedule

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// FeedTokenPrefix starts every calendar feed token, so a leaked one is
// easy to recognise.
const FeedTokenPrefix = "stwcal_"

// FeedToken describes a person's calendar feed token; the secret itself
// is never stored, only its SHA-256 digest.
type FeedToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func digest(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateFeedToken issues a new feed token for a user, revoking the ones
// they had: a person subscribes with one address at a time. The secret is
// returned once.
func (s *Service) CreateFeedToken(ctx context.Context, actor audit.Actor, userID int64) (string, FeedToken, error) {
	b := make([]byte, 32)
	rand.Read(b)
	secret := FeedTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	t := FeedToken{UserID: userID, Prefix: secret[:len(FeedTokenPrefix)+6], CreatedAt: now}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE calendar_feed_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", store.TS(now), userID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO calendar_feed_tokens (user_id, token_hash, prefix, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			userID, digest(secret), t.Prefix, store.TS(now)).Scan(&t.ID)
		if err != nil {
			return store.ScanErr(err)
		}
		return audit.Record(ctx, tx, actor, "create", "calendar_feed_token", t.ID, map[string]any{"user_id": userID, "prefix": t.Prefix})
	})
	return secret, t, err
}

// ActiveFeedToken is the user's current feed token, store.ErrNotFound when
// they have none.
func ActiveFeedToken(ctx context.Context, q store.Querier, userID int64) (FeedToken, error) {
	var t FeedToken
	var created, used store.Time
	err := q.QueryRow(ctx, `SELECT id, user_id, prefix, created_at, last_used_at FROM calendar_feed_tokens
		WHERE user_id = ? AND revoked_at IS NULL ORDER BY id DESC LIMIT 1`, userID).Scan(&t.ID, &t.UserID, &t.Prefix, &created, &used)
	if err != nil {
		return t, store.ScanErr(err)
	}
	t.CreatedAt, t.LastUsedAt = created.Time, used.Ptr()
	return t, nil
}

// RevokeFeedTokens revokes the user's feed tokens; the feed then answers
// their calendar clients with not found. It reports how many it revoked.
func (s *Service) RevokeFeedTokens(ctx context.Context, actor audit.Actor, userID int64) (int, error) {
	var n int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE calendar_feed_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", store.TS(s.now()), userID)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, actor, "revoke", "calendar_feed_token", userID, map[string]any{"user_id": userID})
	})
	return int(n), err
}

// FeedUser resolves a feed token to its active user, store.ErrNotFound
// when the token is unknown, revoked or its user disabled. It notes when
// the token was last used, at most once a minute.
func (s *Service) FeedUser(ctx context.Context, secret string) (userID int64, role string, err error) {
	if !strings.HasPrefix(secret, FeedTokenPrefix) || len(secret) > 200 {
		return 0, "", store.ErrNotFound
	}
	var id int64
	var used store.Time
	err = s.DB.QueryRow(ctx, `SELECT t.id, t.user_id, u.role, t.last_used_at FROM calendar_feed_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active`, digest(secret)).Scan(&id, &userID, &role, &used)
	if err != nil {
		return 0, "", store.ScanErr(err)
	}
	if now := s.now(); now.Sub(used.Time) > time.Minute {
		// Only a note: the feed is served even when it cannot be written.
		s.DB.Exec(ctx, "UPDATE calendar_feed_tokens SET last_used_at = ? WHERE id = ?", store.TS(now), id)
	}
	return userID, role, nil
}

// FeedPath is the path calendar clients subscribe to with a token.
func FeedPath(secret string) string { return "/calendar/changes.ics?token=" + secret }
