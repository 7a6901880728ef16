package mail

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/i18n"
	"steward/internal/store"
)

// ResetTTL is how long a password-reset link works.
const ResetTTL = 30 * time.Minute

// ResetLimits throttle requests for reset links: at most PerAddress for
// one e-mail address and PerClient from one client address within Window.
// Requests for addresses without an account count alike.
type ResetLimits struct {
	PerAddress int
	PerClient  int
	Window     time.Duration
}

func (l ResetLimits) orDefaults() ResetLimits {
	if l.PerAddress <= 0 {
		l.PerAddress = 3
	}
	if l.PerClient <= 0 {
		l.PerClient = 10
	}
	if l.Window <= 0 {
		l.Window = 30 * time.Minute
	}
	return l
}

// ErrResetThrottled answers a request for a reset link past the limits.
type ErrResetThrottled struct{ RetryAfter time.Duration }

func (e *ErrResetThrottled) Error() string {
	return fmt.Sprintf("too many requests for a reset link; try again in %d minutes", int(e.RetryAfter.Minutes())+1)
}

// ErrResetLink answers a reset link that does not work: unknown, used,
// expired, or replaced by a newer one.
var ErrResetLink = errors.New("this link to reset a password no longer works: it was used, it expired, or a newer one was sent")

// ErrMailNotConfigured answers a request that needs mail sent at once on a
// server with no --smtp-url.
var ErrMailNotConfigured = errors.New("e-mail is not set up on this server")

// resetActor is who the audit trail names for what happens before anyone
// has signed in.
var resetActor = audit.Actor{Type: "system", Name: "password reset"}

func hashToken(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// RequestReset sends a reset link to the local account of email, if there
// is one that is active and signs in with a password. It answers alike
// whether or not there is: only a malformed address, the throttle or a
// server without mail answer otherwise.
func (s *Service) RequestReset(ctx context.Context, email, ip string) error {
	email = auth.NormalizeEmail(email)
	if email == "" {
		return domainerr.Field("email", "enter the e-mail address of your account")
	}
	if len(email) > 254 || headerText(email, 254) != email {
		return domainerr.Field("email", "is not an e-mail address")
	}
	if !s.Configured() {
		return ErrMailNotConfigured
	}
	if ip == "" {
		ip = "unknown"
	}
	lim := s.Limits.orDefaults()
	now := time.Now()
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM password_reset_requests WHERE created_at < ?", store.TS(now.Add(-24*time.Hour))); err != nil {
			return err
		}
		since := store.TS(now.Add(-lim.Window))
		for _, c := range []struct {
			col, val string
			max      int
		}{{"email_hash", hashToken(email), lim.PerAddress}, {"ip", ip, lim.PerClient}} {
			var n int
			var oldest store.Time
			if err := tx.QueryRow(ctx, "SELECT COUNT(*), MIN(created_at) FROM password_reset_requests WHERE "+c.col+" = ? AND created_at >= ?",
				c.val, since).Scan(&n, &oldest); err != nil {
				return err
			}
			if n >= c.max {
				return &ErrResetThrottled{RetryAfter: max(oldest.Add(lim.Window).Sub(now), time.Minute)}
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO password_reset_requests (email_hash, ip, created_at) VALUES (?, ?, ?)",
			hashToken(email), ip, store.TS(now)); err != nil {
			return err
		}
		var r reader
		var role, hash string
		err := store.ScanErr(tx.QueryRow(ctx, `SELECT u.id, u.email, u.name, u.role, u.active, u.password_hash,
			COALESCE(pr.time_zone, ''), COALESCE(pr.locale, ''), COALESCE(pr.language, '')
			FROM users u LEFT JOIN user_preferences pr ON pr.user_id = u.id WHERE u.email = ?`, email).
			Scan(&r.ID, &r.Email, &r.Name, &role, &r.Active, &hash, &r.Prefs.TimeZone, &r.Prefs.Locale, &r.Prefs.Language))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		to, ok := r.address()
		if !ok || hash == "" {
			return nil // disabled, or signs in elsewhere: no local password to reset
		}
		if ok, err := s.passwordAllowed(ctx, tx, r.ID); err != nil || !ok {
			return err // held to single sign-on: a new password would not sign in
		}
		return s.issueReset(ctx, tx, r, to, ip, now)
	})
}

// passwordAllowed says whether the sign-in policy lets the account sign
// in with a password at all.
func (s *Service) passwordAllowed(ctx context.Context, q store.Querier, userID int64) (bool, error) {
	if s.Policy == nil {
		return true, nil
	}
	return s.Policy.PasswordAllowed(ctx, q, userID)
}

// issueReset makes a new link for r, ending every earlier one, and mails it.
func (s *Service) issueReset(ctx context.Context, tx *store.Tx, r reader, to, ip string, now time.Time) error {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	if _, err := tx.Exec(ctx, "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", store.TS(now), r.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
		r.ID, hashToken(token), store.TS(now), store.TS(now.Add(ResetTTL))); err != nil {
		return err
	}
	lang := languageOf(r.Prefs)
	data := struct {
		Email, Link string
		Minutes     int
	}{r.Email, s.link("/password/reset/" + token), int(ResetTTL.Minutes())}
	out, err := render(lang, "reset", i18n.For(lang).T("mail.reset.subject"), r.Name, "", data)
	if err != nil {
		return err
	}
	if _, err := s.queue(ctx, tx, draft{Kind: "password_reset", UserID: r.ID, To: to, ToName: r.Name, rendered: out}, now); err != nil {
		return err
	}
	return audit.Record(ctx, tx, resetActor, "password_reset_requested", "user", r.ID, map[string]any{"ip": ip})
}

// resetLink is a working link's account.
type resetLink struct {
	id, userID int64
	email      string
}

// findReset finds the account of a working link; a link sent before the
// account was held to single sign-on no longer works.
func (s *Service) findReset(ctx context.Context, q store.Querier, token string, now time.Time) (resetLink, error) {
	var l resetLink
	if token == "" || len(token) > 100 {
		return l, ErrResetLink
	}
	err := store.ScanErr(q.QueryRow(ctx, `SELECT r.id, r.user_id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id
		WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ? AND u.active AND u.password_hash <> ''`,
		hashToken(token), store.TS(now)).Scan(&l.id, &l.userID, &l.email))
	if errors.Is(err, store.ErrNotFound) {
		return l, ErrResetLink
	} else if err != nil {
		return l, err
	}
	if ok, err := s.passwordAllowed(ctx, q, l.userID); err != nil {
		return l, err
	} else if !ok {
		return l, ErrResetLink
	}
	return l, nil
}

// ResetAccount is the address whose password a working link resets;
// ErrResetLink when the link does not work.
func (s *Service) ResetAccount(ctx context.Context, token string) (string, error) {
	l, err := s.findReset(ctx, s.DB, token, time.Now())
	return l.email, err
}

// ResetPassword sets a new password through a reset link: the password
// rules of every password apply, the link and every other of the account
// stop working, every session of the account ends (and every sign-in
// waiting for its second step), and the audit trail records it.
func (s *Service) ResetPassword(ctx context.Context, token, password, confirm, ip string) error {
	v := domainerr.NewInvalid()
	switch {
	case len([]rune(password)) < auth.MinPasswordLength:
		v.Add("password", "must be at least %d characters", auth.MinPasswordLength)
	case len(password) > 256:
		v.Add("password", "must be at most 256 characters")
	case password != confirm:
		v.Add("confirm", "does not match the new password; type it again")
	}
	if _, err := s.ResetAccount(ctx, token); err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now()
		l, err := s.findReset(ctx, tx, token, now)
		if err != nil {
			return err
		}
		// Taking the link is the guard: of two submissions at once, one
		// finds it used.
		res, err := tx.Exec(ctx, "UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL", store.TS(now), l.id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrResetLink
		}
		if _, err := tx.Exec(ctx, "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", store.TS(now), l.userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = ?, updated_at = ?, version = version + 1 WHERE id = ?",
			hash, store.TS(now), l.userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", l.userID); err != nil {
			return err
		}
		if err := auth.EndPendingSignIns(ctx, tx, l.userID); err != nil {
			return err
		}
		if err := s.tellPasswordChanged(ctx, tx, l.userID, ip, now); err != nil {
			return err
		}
		actor := audit.Actor{Type: "user", ID: l.userID, Name: l.email}
		return audit.Record(ctx, tx, actor, "password_reset", "user", l.userID, map[string]any{"ip": ip, "password": "(changed)"})
	})
}
