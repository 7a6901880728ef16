package event

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Duration is a length of time written as Go writes it ("10m", "90s").
type Duration time.Duration

// MarshalJSON writes "10m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "10m" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var secs float64
	if err := json.Unmarshal(b, &secs); err == nil {
		*d = Duration(time.Duration(secs * float64(time.Second)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Rule says which further alerts open incidents: those whose severity is
// among Severities (any, when empty), on a CI of one of CITypes (any,
// when empty), whose CI impacts a service of at least MinCriticality
// (no condition, when empty). Alerts of the settings' incident severities
// open incidents whatever the rules say.
type Rule struct {
	Name           string     `json:"name"`
	Severities     []Severity `json:"severities"`
	CITypes        []string   `json:"ci_types"`
	MinCriticality string     `json:"min_criticality"`
}

// Settings are how events become alerts and incidents.
type Settings struct {
	IncidentSeverities []Severity `json:"incident_severities"`
	FlapChanges        int        `json:"flap_changes"`
	FlapWindow         Duration   `json:"flap_window"`
	HoldDown           Duration   `json:"hold_down"`
	ReopenWindow       Duration   `json:"reopen_window"`
	GroupWindow        Duration   `json:"group_window"`
	RetentionDays      int        `json:"retention_days"`
	// OfflineAfter is each CI type's expected reporting interval in
	// seconds: a device of that type silent for longer is offline.
	OfflineAfter map[string]int `json:"offline_after"`
	// UnknownAfter is how long a device of a type with no interval may be
	// silent before its state is unknown (never offline: nobody said how
	// often it reports).
	UnknownAfter Duration `json:"unknown_after"`
	Rules        []Rule   `json:"rules"`
	// GroupByService also groups alerts that fit no other grouping with
	// the open incident, begun within GroupWindow, whose alerts impact the
	// same most critical catalogue service. Off by default: where one core
	// device underlies everything, every alert impacts every service.
	GroupByService bool `json:"group_by_service"`
}

// Criticalities are the catalogue's service criticalities, lowest first.
var Criticalities = []string{"low", "medium", "high", "critical"}

func criticalityRank(c string) int {
	for i, v := range Criticalities {
		if v == c {
			return i + 1
		}
	}
	return 0
}

// DefaultSettings are the settings of a new installation.
func DefaultSettings() Settings {
	return Settings{
		IncidentSeverities: []Severity{Critical, Major},
		FlapChanges:        5,
		FlapWindow:         Duration(10 * time.Minute),
		HoldDown:           Duration(5 * time.Minute),
		GroupWindow:        Duration(10 * time.Minute),
		RetentionDays:      30,
		OfflineAfter:       map[string]int{},
		UnknownAfter:       Duration(time.Hour),
		Rules:              []Rule{},
	}
}

// Limits on settings.
const (
	maxRules     = 100
	maxOffline   = 500
	maxWindow    = 7 * 24 * time.Hour
	maxRetention = 3650
)

// Validate checks s and returns a *domainerr.Invalid naming each field at fault.
func (s *Settings) Validate() error {
	v := domainerr.NewInvalid()
	for _, sev := range s.IncidentSeverities {
		if sev.Rank() < 0 || sev == OK {
			v.Add("incident_severities", "must be among critical, major, minor, warning and info")
		}
	}
	if s.FlapChanges < 2 || s.FlapChanges > maxTransitions {
		v.Add("flap_changes", "must be between 2 and %d", maxTransitions)
	}
	window := func(field string, d Duration, min time.Duration) {
		if d.D() < min || d.D() > maxWindow {
			v.Add(field, "must be between %s and 7 days", min)
		}
	}
	window("flap_window", s.FlapWindow, time.Minute)
	window("hold_down", s.HoldDown, 0)
	window("reopen_window", s.ReopenWindow, 0)
	window("group_window", s.GroupWindow, 0)
	window("unknown_after", s.UnknownAfter, time.Minute)
	if s.RetentionDays < 1 || s.RetentionDays > maxRetention {
		v.Add("retention_days", "must be between 1 and %d", maxRetention)
	}
	if len(s.OfflineAfter) > maxOffline {
		v.Add("offline_after", "may name at most %d CI types", maxOffline)
	}
	for name, secs := range s.OfflineAfter {
		if strings.TrimSpace(name) == "" || secs < 10 || secs > int(maxWindow/time.Second) {
			v.Add("offline_after", "each CI type needs an interval between 10 seconds and 7 days")
			break
		}
	}
	if len(s.Rules) > maxRules {
		v.Add("rules", "at most %d rules", maxRules)
	}
	for _, r := range s.Rules {
		for _, sev := range r.Severities {
			if sev.Rank() < 0 || sev == OK {
				v.Add("rules", "a rule's severities must be among critical, major, minor, warning and info")
			}
		}
		if r.MinCriticality != "" && criticalityRank(r.MinCriticality) == 0 {
			v.Add("rules", "a rule's minimum criticality must be low, medium, high or critical")
		}
		if len(r.Severities) == 0 && len(r.CITypes) == 0 && r.MinCriticality == "" {
			v.Add("rules", "a rule needs a severity, a CI type or a minimum criticality")
		}
	}
	if s.OfflineAfter == nil {
		s.OfflineAfter = map[string]int{}
	}
	if s.Rules == nil {
		s.Rules = []Rule{}
	}
	if s.IncidentSeverities == nil {
		s.IncidentSeverities = []Severity{}
	}
	return v.Err()
}

// LoadSettings reads the settings; fields never saved keep their defaults.
func LoadSettings(ctx context.Context, q store.Querier) (Settings, error) {
	var body string
	if err := store.ScanErr(q.QueryRow(ctx, `SELECT body FROM event_settings WHERE id = 1`).Scan(&body)); err != nil {
		return Settings{}, err
	}
	s := DefaultSettings()
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return DefaultSettings(), nil
	}
	return s, nil
}

// Settings are the current settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) { return LoadSettings(ctx, s.DB) }

// SaveSettings checks and stores new settings for actor; the processor
// takes them up within seconds.
func (s *Service) SaveSettings(ctx context.Context, actor audit.Actor, in Settings) (Settings, error) {
	if err := in.Validate(); err != nil {
		return Settings{}, err
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return Settings{}, err
	}
	var by any
	if actor.Type == "user" || actor.Type == "token" {
		by = actor.ID
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE event_settings SET body = ?, updated_by = ?, updated_at = ? WHERE id = 1`,
			string(raw), by, store.TS(time.Now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "event_settings", 1, in)
	})
	if err != nil {
		return Settings{}, err
	}
	poke(s.wake)
	return in, nil
}
