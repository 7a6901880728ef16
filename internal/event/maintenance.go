package event

import (
	"context"
	"strings"
	"time"

	changes "steward/internal/change"
	"steward/internal/cmdb"
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

// MaintenanceChange is an approved change whose window holds a CI's
// alerts: what the alert page names when it says "in maintenance".
type MaintenanceChange struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number"`
	Title        string    `json:"title"`
	PlannedStart time.Time `json:"planned_start"`
	PlannedEnd   time.Time `json:"planned_end"`
	CIID         int64     `json:"ci_id"` // the CI the change touches: ci itself or a provider behind it
}

// MaintenanceFor lists the changes that put ci in maintenance at the
// instant at: those touching ci or a provider it sits behind (as the
// processor looks them up), scheduled or being implemented, whose window
// holds at.
func (s *Service) MaintenanceFor(ctx context.Context, ci int64, at time.Time) ([]MaintenanceChange, error) {
	ids := []any{ci}
	if s.CMDB != nil {
		res, err := s.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: []int64{ci}, Direction: cmdb.Up, Depth: parentDepth, Limit: 50})
		if err != nil {
			return nil, err
		}
		for _, it := range res.Items {
			if it.CIID != ci && it.Depth > 0 {
				ids = append(ids, it.CIID)
			}
		}
	}
	rows, err := s.DB.Query(ctx, `SELECT c.id, c.title, c.planned_start, c.planned_end, rc.ci_id FROM changes c
		JOIN record_cis rc ON rc.kind = 'change' AND rc.record_id = c.id
		WHERE c.state IN ('scheduled', 'implementing') AND c.planned_start <= ? AND c.planned_end > ?
		AND rc.ci_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)
		ORDER BY c.planned_end, c.id LIMIT 10`, append([]any{store.TS(at), store.TS(at)}, ids...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MaintenanceChange
	seen := map[int64]bool{}
	for rows.Next() {
		var m MaintenanceChange
		var start, end store.Time
		if err := rows.Scan(&m.ID, &m.Title, &start, &end, &m.CIID); err != nil {
			return nil, err
		}
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		m.Number = changes.Number(m.ID)
		m.PlannedStart, m.PlannedEnd = start.Time, end.Time
		out = append(out, m)
	}
	return out, rows.Err()
}
