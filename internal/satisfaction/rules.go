package satisfaction

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Rules say which resolved tickets are surveyed and what a low rating
// starts. They are kept as one settings row.
type Rules struct {
	Incidents bool `json:"incidents"`
	Requests  bool `json:"requests"`
	// SamplePercent of the tickets the other rules let through are asked:
	// 100 asks all, 0 none.
	SamplePercent int `json:"sample_percent"`
	// ServiceIDs, when not empty, limits surveys to tickets of these services.
	ServiceIDs []int64 `json:"service_ids"`
	// OpenDays is how long a survey can be answered.
	OpenDays int `json:"open_days"`
	// LowRating and below opens a follow-up; 0 opens none.
	LowRating int `json:"low_rating"`
	// Leads are the team leads who own the follow-up of a low rating on a
	// ticket of their group.
	Leads []Lead `json:"leads"`
}

// Lead is the team lead of one support group.
type Lead struct {
	GroupID int64 `json:"group_id"`
	UserID  int64 `json:"user_id"`
}

// DefaultRules ask about every resolved incident and fulfilled request,
// keep a survey open for 14 days and follow ratings of 2 and below up.
func DefaultRules() Rules {
	return Rules{Incidents: true, Requests: true, SamplePercent: 100, OpenDays: 14, LowRating: 2,
		ServiceIDs: []int64{}, Leads: []Lead{}}
}

// Limits on the rules.
const (
	MaxOpenDays = 90
	MaxServices = 200
)

const rulesKey = "satisfaction.rules"

// LoadRules reads the rules, or the defaults when none were saved.
func LoadRules(ctx context.Context, q store.Querier) (Rules, error) {
	var raw string
	err := store.ScanErr(q.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", rulesKey).Scan(&raw))
	if errors.Is(err, store.ErrNotFound) {
		return DefaultRules(), nil
	} else if err != nil {
		return Rules{}, err
	}
	r := DefaultRules()
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// LeadOf is the team lead of group, 0 when it has none.
func (r Rules) LeadOf(group int64) int64 {
	for _, l := range r.Leads {
		if l.GroupID == group {
			return l.UserID
		}
	}
	return 0
}

// Settings are the rules with the complaints' target, as the admin page
// edits them together.
type Settings struct {
	Rules
	ComplaintTargetDays int `json:"complaint_target_days"`
}

// LoadSettings reads the rules and the complaints' target.
func LoadSettings(ctx context.Context, q store.Querier) (Settings, error) {
	r, err := LoadRules(ctx, q)
	if err != nil {
		return Settings{}, err
	}
	days, err := complaint.TargetDays(ctx, q)
	return Settings{Rules: r, ComplaintTargetDays: days}, err
}

// SaveSettings checks and keeps the rules and the complaints' target for p.
func (s *Service) SaveSettings(ctx context.Context, p *auth.Principal, in Settings) (Settings, error) {
	if !p.Can(PermAdmin) {
		return Settings{}, domainerr.ErrForbidden
	}
	v := in.Check()
	if in.ServiceIDs == nil {
		in.ServiceIDs = []int64{}
	}
	slices.Sort(in.ServiceIDs)
	in.ServiceIDs = slices.Compact(in.ServiceIDs)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := checkRules(ctx, tx, v, in.Rules); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		old, err := LoadSettings(ctx, tx)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(in.Rules)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			rulesKey, string(raw), store.TS(time.Now())); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "satisfaction_rules", 0, map[string]any{"old": old.Rules, "new": in.Rules}); err != nil {
			return err
		}
		return complaint.SetTargetDays(ctx, tx, p.Actor(), in.ComplaintTargetDays)
	})
	if err != nil {
		return Settings{}, err
	}
	return in, nil
}

// Check checks the figures of the settings, without the database: a
// form adds its own faults to these.
func (in Settings) Check() *domainerr.Invalid {
	v := domainerr.NewInvalid()
	if in.SamplePercent < 0 || in.SamplePercent > 100 {
		v.Add("sample_percent", "must be a percentage from 0 to 100")
	}
	if in.OpenDays < 1 || in.OpenDays > MaxOpenDays {
		v.Add("open_days", "must be from 1 to %d days", MaxOpenDays)
	}
	if in.LowRating < 0 || in.LowRating > 4 {
		v.Add("low_rating", "must be from 1 to 4, or 0 to follow no rating up")
	}
	if in.ComplaintTargetDays < 1 || in.ComplaintTargetDays > complaint.MaxTargetDays {
		v.Add("complaint_target_days", "must be a whole number of days from 1 to %d", complaint.MaxTargetDays)
	}
	if len(in.ServiceIDs) > MaxServices {
		v.Add("service_ids", "may name at most %d services", MaxServices)
	}
	return v
}

// checkRules checks that the services and groups named exist and that
// each lead is an active agent or administrator.
func checkRules(ctx context.Context, q store.Querier, v *domainerr.Invalid, r Rules) error {
	for _, id := range r.ServiceIDs {
		var one int
		err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM services WHERE id = ?", id).Scan(&one))
		if errors.Is(err, store.ErrNotFound) {
			v.Add("service_ids", "service %d does not exist", id)
		} else if err != nil {
			return err
		}
	}
	seen := map[int64]bool{}
	for _, l := range r.Leads {
		field := "leads"
		if seen[l.GroupID] {
			v.Add(field, "name one lead per group")
		}
		seen[l.GroupID] = true
		var one int
		err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM support_groups WHERE id = ?", l.GroupID).Scan(&one))
		if errors.Is(err, store.ErrNotFound) {
			v.Add(field, "group %d does not exist", l.GroupID)
			continue
		} else if err != nil {
			return err
		}
		var role string
		var active bool
		err = store.ScanErr(q.QueryRow(ctx, "SELECT role, active FROM users WHERE id = ?", l.UserID).Scan(&role, &active))
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add(field, "user %d does not exist", l.UserID)
		case err != nil:
			return err
		case !active || (role != string(auth.Agent) && role != string(auth.Admin)):
			v.Add(field, "user %d is not an active agent", l.UserID)
		}
	}
	return nil
}
