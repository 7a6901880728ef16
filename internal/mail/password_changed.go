package mail

import (
	"context"
	"time"

	"steward/internal/i18n"
	"steward/internal/store"
)

// tellPasswordChanged mails the owner of account userID that its password
// was changed at, from the client address ip, and what to do if it was
// not them. The message holds neither the password nor a link that
// resets it; it goes to every active account with an address, whatever
// its mail settings, as the reset link did.
func (s *Service) tellPasswordChanged(ctx context.Context, tx *store.Tx, userID int64, ip string, at time.Time) error {
	var r reader
	err := store.ScanErr(tx.QueryRow(ctx, `SELECT u.id, u.email, u.name, u.active, COALESCE(pr.time_zone, ''),
		COALESCE(pr.locale, ''), COALESCE(pr.language, '') FROM users u LEFT JOIN user_preferences pr ON pr.user_id = u.id
		WHERE u.id = ?`, userID).Scan(&r.ID, &r.Email, &r.Name, &r.Active, &r.Prefs.TimeZone, &r.Prefs.Locale, &r.Prefs.Language))
	if err != nil {
		return err
	}
	to, ok := r.address()
	if !ok {
		return nil
	}
	if ip == "" {
		ip = "unknown"
	}
	lang := languageOf(r.Prefs)
	data := struct{ Email, When, IP string }{r.Email, when(at, r.Prefs), headerText(ip, 100)}
	out, err := render(lang, "password_changed", i18n.For(lang).T("mail.pwchanged.subject"), r.Name, "", data)
	if err != nil {
		return err
	}
	_, err = s.queue(ctx, tx, draft{Kind: "password_changed", UserID: r.ID, To: to, ToName: r.Name, rendered: out}, at)
	return err
}
