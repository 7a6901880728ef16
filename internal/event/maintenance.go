package event

import (
	"context"
	"time"

	"steward/internal/store"
)

// A CI is in maintenance while an approved change touching it (scheduled
// or being implemented) is inside its window [planned_start,
// planned_end), and so is every CI behind it (parentDepth levels of
// providers: the sensors behind a gateway being worked on). Their alerts
// are recorded and marked, and open no incident; when the window ends,
// those still firing are looked at again.

// maintenanceEvery is how often the processor reloads the windows.
const maintenanceEvery = 30 * time.Second

// refresh reloads the settings and the maintenance windows when due.
func (p *processor) refresh(ctx context.Context, now time.Time) error {
	if now.Sub(p.settingsAt) >= 10*time.Second || now.Before(p.settingsAt) {
		st, err := LoadSettings(ctx, p.s.DB)
		if err != nil {
			return err
		}
		p.useSettings(st, now)
	}
	if p.maint != nil && now.Before(p.maintAt.Add(maintenanceEvery)) && (p.maintEnds.IsZero() || now.Before(p.maintEnds)) {
		return nil
	}
	m, ends, err := maintenanceCIs(ctx, p.s.DB, now)
	if err != nil {
		return err
	}
	ended := false
	for ci := range p.maint {
		if !m[ci] {
			ended = true
		}
	}
	p.maint, p.maintAt, p.maintEnds = m, now, ends
	if ended {
		p.houseAt = now // release the held alerts in this batch
	}
	return nil
}

// maintained reports whether ci or a provider it sits behind (as far as
// the processor has looked them up) is in maintenance.
func (p *processor) maintained(ci int64) bool {
	if len(p.maint) == 0 {
		return false
	}
	if p.maint[ci] {
		return true
	}
	if info := p.cis[ci]; info != nil {
		for _, x := range info.parents {
			if p.maint[x] {
				return true
			}
		}
	}
	return false
}

// maintenanceCIs lists the CIs in maintenance at now and the earliest end
// of the windows in force.
func maintenanceCIs(ctx context.Context, db *store.DB, now time.Time) (map[int64]bool, time.Time, error) {
	rows, err := db.Query(ctx, `SELECT rc.ci_id, c.planned_end FROM changes c
		JOIN record_cis rc ON rc.kind = 'change' AND rc.record_id = c.id
		WHERE c.state IN ('scheduled', 'implementing') AND c.planned_start <= ? AND c.planned_end > ?`,
		store.TS(now), store.TS(now))
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	var ends time.Time
	for rows.Next() {
		var ci int64
		var end store.Time
		if err := rows.Scan(&ci, &end); err != nil {
			return nil, time.Time{}, err
		}
		out[ci] = true
		if ends.IsZero() || end.Time.Before(ends) {
			ends = end.Time
		}
	}
	return out, ends, rows.Err()
}
