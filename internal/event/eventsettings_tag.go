package event

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Limits on the text inside settings, beyond what Validate checks: the
// settings are read on every processor batch, so they stay small.
const (
	maxRuleName     = 100
	maxTypeName     = 100
	maxRuleTypes    = 50
	maxSettingsBody = 256 << 10
)

// settingsTag is the entity tag of the stored settings text: a digest, so
// every save by anyone, through any path, changes it.
func settingsTag(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:8])
}

// TaggedSettings are the current settings, fields never saved at their
// defaults, with the tag a conditional save names (SaveSettingsIf).
func (s *Service) TaggedSettings(ctx context.Context) (Settings, string, error) {
	var body string
	if err := store.ScanErr(s.DB.QueryRow(ctx, `SELECT body FROM event_settings WHERE id = 1`).Scan(&body)); err != nil {
		return Settings{}, "", err
	}
	st := DefaultSettings()
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		st = DefaultSettings()
	}
	return st, settingsTag(body), nil
}

// SaveSettingsIf checks and stores new settings for actor, as SaveSettings
// does, but only while the stored settings still carry tag (any, when tag
// is ""): a save made since the caller read them fails with
// domainerr.ErrStale instead of being overwritten. It returns the saved
// settings and their new tag.
func (s *Service) SaveSettingsIf(ctx context.Context, actor audit.Actor, in Settings, tag string) (Settings, string, error) {
	if err := CheckSettings(&in); err != nil {
		return Settings{}, "", err
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return Settings{}, "", err
	}
	var by any
	if actor.Type == "user" || actor.Type == "token" {
		by = actor.ID
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var cur string
		if err := store.ScanErr(tx.QueryRow(ctx, `SELECT body FROM event_settings WHERE id = 1`).Scan(&cur)); err != nil {
			return err
		}
		if tag != "" && settingsTag(cur) != tag {
			return domainerr.ErrStale
		}
		if err := checkTypeNames(ctx, tx, in); err != nil {
			return err
		}
		// The body itself is the version: a save between the read and
		// this write leaves no row to update.
		res, err := tx.Exec(ctx, `UPDATE event_settings SET body = ?, updated_by = ?, updated_at = ? WHERE id = 1 AND body = ?`,
			string(raw), by, store.TS(time.Now()), cur)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "update", "event_settings", 1, in)
	})
	if err != nil {
		return Settings{}, "", err
	}
	poke(s.wake)
	return in, settingsTag(string(raw)), nil
}

// CheckSettings is Validate plus bounds on the names inside the settings;
// it returns one *domainerr.Invalid naming every field at fault.
func CheckSettings(in *Settings) error {
	v := domainerr.NewInvalid()
	if err := in.Validate(); err != nil {
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) {
			return err
		}
		for f, msg := range inv.Fields {
			v.Fields[f] = msg
		}
	}
	seen := map[Severity]bool{}
	for _, sev := range in.IncidentSeverities {
		if seen[sev] && !v.Has("incident_severities") {
			v.Add("incident_severities", "names %s twice", sev)
		}
		seen[sev] = true
	}
	for name := range in.OfflineAfter {
		if utf8.RuneCountInString(name) > maxTypeName && !v.Has("offline_after") {
			v.Add("offline_after", "a CI type name has at most %d characters", maxTypeName)
		}
	}
	for _, r := range in.Rules {
		if v.Has("rules") {
			break
		}
		switch {
		case utf8.RuneCountInString(r.Name) > maxRuleName:
			v.Add("rules", "a rule's name has at most %d characters", maxRuleName)
		case len(r.CITypes) > maxRuleTypes:
			v.Add("rules", "a rule names at most %d CI types", maxRuleTypes)
		case slices.ContainsFunc(r.CITypes, func(t string) bool { return strings.TrimSpace(t) == "" }):
			v.Add("rules", "a rule's CI type names must not be blank")
		case slices.ContainsFunc(r.CITypes, func(t string) bool { return utf8.RuneCountInString(t) > maxTypeName }):
			v.Add("rules", "a CI type name has at most %d characters", maxTypeName)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if raw, err := json.Marshal(in); err == nil && len(raw) > maxSettingsBody {
		return domainerr.Field("rules", "the settings are too large: keep them under %d KiB", maxSettingsBody>>10)
	}
	return nil
}

// checkTypeNames refuses CI type names the CMDB does not have, in the
// offline intervals and in the rules, naming the first unknown one of
// each: a misspelt type would otherwise never match a device.
func checkTypeNames(ctx context.Context, q store.Querier, in Settings) error {
	rows, err := q.Query(ctx, `SELECT name FROM ci_types`)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		known[strings.ToLower(name)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	v := domainerr.NewInvalid()
	names := make([]string, 0, len(in.OfflineAfter))
	for name := range in.OfflineAfter {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !known[strings.ToLower(strings.TrimSpace(name))] {
			v.Add("offline_after", "no CI type is called %q", name)
			break
		}
	}
	for _, r := range in.Rules {
		if i := slices.IndexFunc(r.CITypes, func(t string) bool { return !known[strings.ToLower(strings.TrimSpace(t))] }); i >= 0 {
			v.Add("rules", "rule %q names %q, which is no CI type", r.Name, r.CITypes[i])
			break
		}
	}
	return v.Err()
}
