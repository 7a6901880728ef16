package auth

import (
	"context"
	"errors"
	"strings"
	"time"
	_ "time/tzdata" // zones work on hosts without a zoneinfo database

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/i18n"
	"steward/internal/store"
)

// Preferences are how a person reads times: their time zone and the
// format of dates. Empty fields are not chosen yet.
type Preferences struct {
	TimeZone string `json:"time_zone"`
	Locale   string `json:"locale"`
	// Language is the language pages are written in; "" follows the
	// browser's.
	Language string `json:"language"`
}

// Locales are the date formats a person may choose, by code, with how
// each writes Friday 4 December 2026 at 17:00.
var Locales = []struct{ Code, Example string }{
	{"en-GB", "Fri 4 Dec 2026, 17:00"},
	{"en-US", "Fri, Dec 4, 2026, 5:00 PM"},
	{"de-DE", "04.12.2026, 17:00"},
	{"iso", "2026-12-04 17:00"},
}

// DefaultLocale is the format used until a person chooses one.
const DefaultLocale = "en-GB"

// ValidLocale reports whether code is one of Locales.
func ValidLocale(code string) bool {
	for _, l := range Locales {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Location is the zone of the preferences, UTC when none is chosen.
func (p Preferences) Location() *time.Location {
	if p.TimeZone != "" {
		if loc, err := time.LoadLocation(p.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// PreferencesOf reads a person's preferences; nothing chosen is no error.
func PreferencesOf(ctx context.Context, q store.Querier, userID int64) (Preferences, error) {
	var p Preferences
	err := q.QueryRow(ctx, "SELECT time_zone, locale, language FROM user_preferences WHERE user_id = ?", userID).
		Scan(&p.TimeZone, &p.Locale, &p.Language)
	if err := store.ScanErr(err); err != nil && !errors.Is(err, store.ErrNotFound) {
		return p, err
	}
	return p, nil
}

// CheckTimeZone names what is wrong with an IANA zone name, "" when right.
func CheckTimeZone(zone string) string {
	switch {
	case zone == "":
		return "choose a time zone"
	case len(zone) > 64 || strings.ContainsAny(zone, " \t") || zone == "Local":
		return "is not a time zone name; use one such as Europe/Berlin or America/New_York"
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return "is not a time zone we know; use one such as Europe/Berlin or America/New_York"
	}
	return ""
}

// SetPreferences saves a person's own preferences, audited.
func SetPreferences(ctx context.Context, db *store.DB, actor audit.Actor, userID int64, p Preferences) (Preferences, error) {
	p.TimeZone, p.Locale, p.Language = strings.TrimSpace(p.TimeZone), strings.TrimSpace(p.Locale), strings.TrimSpace(p.Language)
	v := domainerr.NewInvalid()
	if msg := CheckTimeZone(p.TimeZone); msg != "" {
		v.Add("time_zone", "%s", msg)
	}
	if !ValidLocale(p.Locale) {
		v.Add("locale", "choose one of the date formats offered")
	}
	if p.Language != "" && !i18n.Valid(p.Language) {
		v.Add("language", "choose one of the languages offered")
	}
	if err := v.Err(); err != nil {
		return p, err
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		old, err := PreferencesOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old == p {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_preferences (user_id, time_zone, locale, language, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, locale = excluded.locale,
				language = excluded.language, updated_at = excluded.updated_at`,
			userID, p.TimeZone, p.Locale, p.Language, store.TS(time.Now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "preferences", userID, map[string]any{
			"time_zone": [2]string{old.TimeZone, p.TimeZone}, "locale": [2]string{old.Locale, p.Locale},
			"language": [2]string{old.Language, p.Language}})
	})
	return p, err
}

// AdoptTimeZone records the browser's zone for someone who has not chosen
// one, as at their first sign-in; a zone already chosen, or a name that is
// not a zone, is left alone.
func AdoptTimeZone(ctx context.Context, db *store.DB, userID int64, zone string) error {
	if CheckTimeZone(zone) != "" {
		return nil
	}
	_, err := db.Exec(ctx, `INSERT INTO user_preferences (user_id, time_zone, locale, updated_at) VALUES (?, ?, '', ?)
		ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone WHERE user_preferences.time_zone = ''`,
		userID, zone, store.TS(time.Now()))
	return err
}

// TimeZonesOf reads the time zones chosen by people, in one query; those
// who chose none are absent.
func TimeZonesOf(ctx context.Context, q store.Querier, userIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(userIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(userIDs))
	for i, id := range userIDs {
		args[i] = id
	}
	rows, err := q.Query(ctx, "SELECT user_id, time_zone FROM user_preferences WHERE time_zone <> '' AND user_id IN ("+
		strings.TrimSuffix(strings.Repeat("?, ", len(userIDs)), ", ")+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var zone string
		if err := rows.Scan(&id, &zone); err != nil {
			return nil, err
		}
		out[id] = zone
	}
	return out, rows.Err()
}
