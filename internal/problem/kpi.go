package problem

import (
	"context"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Week is one week of problems opened and closed.
type Week struct {
	Start  time.Time `json:"start"`
	Opened int       `json:"opened"`
	Closed int       `json:"closed"`
}

// Overview is problem management's KPIs: problems opened against closed
// per week, the known errors, and the share of recent incidents linked to
// a known error (the known-error database in use).
type Overview struct {
	Weeks       []Week `json:"weeks"`
	Open        int    `json:"open"`
	KnownErrors int    `json:"known_errors"`
	// Incidents raised in the last ShareDays days, and how many of them
	// are linked to a problem that is or was a known error.
	ShareDays        int `json:"share_days"`
	Incidents        int `json:"incidents"`
	LinkedKnownError int `json:"linked_known_error"`
}

// SharePercent is the share of recent incidents linked to a known error.
func (o Overview) SharePercent() float64 {
	if o.Incidents == 0 {
		return 0
	}
	return float64(o.LinkedKnownError) * 100 / float64(o.Incidents)
}

// Overview computes the KPIs over the last weeks (this week included).
func (s *Service) Overview(ctx context.Context, p *auth.Principal, weeks int, now time.Time) (Overview, error) {
	if !p.Can(PermRead) {
		return Overview{}, domainerr.ErrForbidden
	}
	if weeks < 1 || weeks > MaxWeeks {
		return Overview{}, domainerr.Field("weeks", "must be from 1 to %d", MaxWeeks)
	}
	from := weekStart(now).AddDate(0, 0, -7*(weeks-1))
	o := Overview{ShareDays: 90}
	for w := 0; w < weeks; w++ {
		o.Weeks = append(o.Weeks, Week{Start: from.AddDate(0, 0, 7*w)})
	}
	bucket := func(q string, add func(*Week)) error {
		rows, err := s.DB.Query(ctx, q, store.TS(from))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var at store.Time
			if err := rows.Scan(&at); err != nil {
				return err
			}
			if w := int(at.Time.Sub(from).Hours() / (24 * 7)); w >= 0 && w < weeks {
				add(&o.Weeks[w])
			}
		}
		return rows.Err()
	}
	if err := bucket("SELECT created_at FROM problems WHERE created_at >= ? LIMIT 100000", func(w *Week) { w.Opened++ }); err != nil {
		return o, err
	}
	if err := bucket("SELECT closed_at FROM problems WHERE state = 'closed' AND closed_at >= ? LIMIT 100000", func(w *Week) { w.Closed++ }); err != nil {
		return o, err
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM problems WHERE state IN ('new', 'investigating', 'known_error')`).Scan(&o.Open); err != nil {
		return o, err
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM problems WHERE state = 'known_error'`).Scan(&o.KnownErrors); err != nil {
		return o, err
	}
	since := store.TS(now.Add(-time.Duration(o.ShareDays) * 24 * time.Hour))
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM incidents WHERE created_at >= ?`, since).Scan(&o.Incidents); err != nil {
		return o, err
	}
	err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i WHERE i.created_at >= ? AND EXISTS (
		SELECT 1 FROM record_links l JOIN problems p ON p.id = l.to_id
		WHERE l.from_kind = 'incident' AND l.from_id = i.id AND l.type = 'caused_by' AND l.to_kind = 'problem'
		AND p.known_error_at IS NOT NULL)`, since).Scan(&o.LinkedKnownError)
	return o, err
}
