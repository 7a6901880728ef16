package mailin

import (
	"context"
	"encoding/json"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// What happens to a new message from an address no active account has.
const (
	UnknownRefuse = "refuse" // logged, nothing created
	UnknownHold   = "hold"   // kept for an agent to accept or discard
	UnknownCreate = "create" // a requester account is made and the ticket opened
)

// UnknownPolicies lists the choices, as the settings page offers them.
var UnknownPolicies = []string{UnknownRefuse, UnknownHold, UnknownCreate}

// Settings are how incoming mail is taken.
type Settings struct {
	UnknownSender string `json:"unknown_sender"`
	// RateLimit messages per RateWindowMinutes are taken from one sender;
	// more are refused (SMTP: for now, so the sender's server retries).
	RateLimit         int `json:"rate_limit"`
	RateWindowMinutes int `json:"rate_window_minutes"`
	// MaxRecipients bounds the addresses (To and Cc) a taken message
	// names; a message to more is refused as a mass mailing.
	MaxRecipients int `json:"max_recipients"`
}

// DefaultSettings are the settings until an administrator saves others.
func DefaultSettings() Settings {
	return Settings{UnknownSender: UnknownRefuse, RateLimit: 30, RateWindowMinutes: 10, MaxRecipients: 50}
}

// Validate checks s and names each field at fault.
func (s Settings) Validate() error {
	v := domainerr.NewInvalid()
	switch s.UnknownSender {
	case UnknownRefuse, UnknownHold, UnknownCreate:
	default:
		v.Add("unknown_sender", "must be refuse, hold or create")
	}
	if s.RateLimit < 1 || s.RateLimit > 10000 {
		v.Add("rate_limit", "must be between 1 and 10000 messages")
	}
	if s.RateWindowMinutes < 1 || s.RateWindowMinutes > 1440 {
		v.Add("rate_window_minutes", "must be between 1 and 1440 minutes")
	}
	if s.MaxRecipients < 1 || s.MaxRecipients > 1000 {
		v.Add("max_recipients", "must be between 1 and 1000 addresses")
	}
	return v.Err()
}

// Settings are the current settings; fields never saved keep their
// defaults.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var body string
	if err := store.ScanErr(s.DB.QueryRow(ctx, `SELECT body FROM mail_in_settings WHERE id = 1`).Scan(&body)); err != nil {
		return Settings{}, err
	}
	st := DefaultSettings()
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Validate() != nil {
		return DefaultSettings(), nil
	}
	return st, nil
}

// SaveSettings checks and stores the settings, recorded in the audit
// trail.
func (s *Service) SaveSettings(ctx context.Context, p *auth.Principal, st Settings) (Settings, error) {
	if !p.Can(PermAdmin) {
		return Settings{}, domainerr.ErrForbidden
	}
	if err := st.Validate(); err != nil {
		return Settings{}, err
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return Settings{}, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE mail_in_settings SET body = ?, updated_by = ?, updated_at = ? WHERE id = 1`,
			string(raw), p.UserID, store.TS(time.Now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "mail_in_settings", 1, st)
	})
	return st, err
}
