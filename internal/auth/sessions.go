package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/store"
)

// SessionTTL is how long a browser session lasts after sign-in.
const SessionTTL = 12 * time.Hour

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

// SessionPrincipal resolves a session cookie value. Unknown or expired
// sessions give ErrNotFound.
func SessionPrincipal(ctx context.Context, db *store.DB, token string) (*Principal, error) {
	if token == "" || len(token) > 100 {
		return nil, store.ErrNotFound
	}
	p := &Principal{}
	var role string
	var groups *string
	err := db.QueryRow(ctx, `SELECT u.id, u.email, u.name, u.role, COALESCE(u.customer_id, 0), s.csrf_token, `+groupList(db)+`,
		COALESCE(pr.time_zone, ''), COALESCE(pr.locale, ''), COALESCE(pr.language, '')
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN user_preferences pr ON pr.user_id = u.id
		WHERE s.id_hash = ? AND s.expires_at > ? AND u.active`, sha(token), store.TS(time.Now())).
		Scan(&p.UserID, &p.Email, &p.Name, &role, &p.CustomerID, &p.CSRFToken, &groups, &p.Prefs.TimeZone, &p.Prefs.Locale, &p.Prefs.Language)
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
