package availability

import (
	"context"
	"errors"
	"fmt"
	"time"

	"steward/internal/cmdb"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/store"
)

// Outages are derived from incidents that mean a service was lost:
//
//   - a major incident, from its opening to its resolution;
//   - an incident event management opened from a critical or major alert,
//     from the first alert's first sighting to the last one's resolution
//     (the incident's resolution when an alert never resolved).
//
// The services lost are the incident's own service (in full) and those
// the CMDB's impact analysis reaches from its CIs: in full when failed, in
// part (PartialWeight) when degraded; unknown is not counted as lost. A
// derived outage a person corrected is left as corrected; one a person
// removed stays removed; those of an incident that no longer qualifies go.

// DeriveJob is the periodic job that brings derived outages up to date.
const DeriveJob = "availability.derive"

// deriveBatch is how many incidents one pass reads at a time.
const deriveBatch = 500

// RunDerive is the job's handler.
func (s *Service) RunDerive(ctx context.Context, _ jobs.Job) error {
	_, err := s.Derive(ctx)
	return err
}

// Derive reads the incidents changed since the last pass, and those whose
// derived outages are still open, and brings their outages up to date.
// It answers how many incidents it looked at.
func (s *Service) Derive(ctx context.Context) (int, error) {
	var through store.Time
	var lastID int64
	err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT through, last_id FROM outage_derivation WHERE id = 1").Scan(&through, &lastID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	if through.IsZero() {
		through.Time = time.Unix(0, 0).UTC()
	}
	seen := map[int64]bool{}
	for {
		rows, err := s.DB.Query(ctx, `SELECT i.id, i.updated_at FROM incidents i
			WHERE (i.updated_at > ? OR (i.updated_at = ? AND i.id > ?))
			  AND (i.major OR i.source = 'event' OR EXISTS (SELECT 1 FROM outages o WHERE o.incident_id = i.id))
			ORDER BY i.updated_at, i.id LIMIT ?`, store.TS(through.Time), store.TS(through.Time), lastID, deriveBatch)
		if err != nil {
			return len(seen), err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id, &through); err != nil {
				rows.Close()
				return len(seen), err
			}
			ids, lastID = append(ids, id), id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return len(seen), err
		}
		for _, id := range ids {
			if err := s.deriveOne(ctx, id); err != nil {
				return len(seen), err
			}
			seen[id] = true
		}
		if len(ids) > 0 {
			if err := s.saveMark(ctx, through.Time, lastID); err != nil {
				return len(seen), err
			}
		}
		if len(ids) < deriveBatch {
			break
		}
	}
	open, err := idsOf(ctx, s.DB, `SELECT DISTINCT incident_id FROM outages
		WHERE ended_at IS NULL AND edited_at IS NULL AND incident_id IS NOT NULL AND source <> 'manual' LIMIT 5000`)
	if err != nil {
		return len(seen), err
	}
	for _, id := range open {
		if !seen[id] {
			if err := s.deriveOne(ctx, id); err != nil {
				return len(seen), err
			}
			seen[id] = true
		}
	}
	return len(seen), nil
}

func (s *Service) saveMark(ctx context.Context, through time.Time, lastID int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE outage_derivation SET through = ?, last_id = ? WHERE id = 1", store.TS(through), lastID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.Exec(ctx, "INSERT INTO outage_derivation (id, through, last_id) VALUES (1, ?, ?)", store.TS(through), lastID)
		}
		return err
	})
}

// lost is what an incident says of its outages.
type lost struct {
	source     string
	start      time.Time
	end        *time.Time
	summary    string
	weights    map[int64]float64
	qualifies  bool
	incidentID int64
}

// lossOf reads what incident id says was lost, and when.
func (s *Service) lossOf(ctx context.Context, id int64) (lost, error) {
	l := lost{incidentID: id, weights: map[int64]float64{}}
	var title, source string
	var major bool
	var svc *int64
	var created, resolved, closed store.Time
	err := s.DB.QueryRow(ctx, `SELECT title, source, major, service_id, created_at, resolved_at, closed_at FROM incidents WHERE id = ?`, id).
		Scan(&title, &source, &major, &svc, &created, &resolved, &closed)
	if err != nil {
		return l, store.ScanErr(err)
	}
	end := resolved
	if end.IsZero() {
		end = closed
	}
	l.source, l.start, l.end = Major, created.Time, end.Ptr()
	l.summary = fmt.Sprintf("Major incident %s: %s", incident.FormatNumber(id), title)
	l.qualifies = major
	if source == "event" {
		var first, last store.Time
		var severe, unresolved int
		err := s.DB.QueryRow(ctx, `SELECT MIN(first_seen_at), MAX(resolved_at),
			COALESCE(SUM(CASE WHEN severity IN ('critical', 'major') THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN resolved_at IS NULL THEN 1 ELSE 0 END), 0) FROM alerts WHERE incident_id = ?`, id).
			Scan(&first, &last, &severe, &unresolved)
		if err != nil {
			return l, err
		}
		if severe > 0 {
			l.qualifies, l.source = true, Alerting
			l.summary = fmt.Sprintf("From alerts, %s: %s", incident.FormatNumber(id), title)
			if !first.IsZero() {
				l.start = first.Time
			}
			if unresolved == 0 && !last.IsZero() {
				l.end = last.Ptr()
			}
		}
	}
	if !l.qualifies {
		return l, nil
	}
	if l.end != nil && !l.end.After(l.start) {
		l.qualifies = false // nothing was lost for any time
		return l, nil
	}
	if svc != nil {
		l.weights[*svc] = 1
	}
	if s.Impact != nil {
		affected, err := s.Impact.AffectedServices(ctx, id)
		if err != nil {
			return l, err
		}
		for _, a := range affected {
			w := 0.0
			switch a.State {
			case cmdb.Failed:
				w = 1
			case cmdb.Degraded:
				w = PartialWeight
			}
			if w > l.weights[a.ServiceID] {
				l.weights[a.ServiceID] = w
			}
		}
	}
	return l, nil
}

// deriveOne brings the outages of incident id up to date.
func (s *Service) deriveOne(ctx context.Context, id int64) error {
	l, err := s.lossOf(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := store.TS(s.now())
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		dismissed, err := idsOf(ctx, tx, "SELECT service_id FROM outage_dismissals WHERE incident_id = ?", id)
		if err != nil {
			return err
		}
		type have struct {
			id     int64
			locked bool
			same   func(start time.Time, end *time.Time, w float64, source string) bool
		}
		existing := map[int64]have{}
		rows, err := tx.Query(ctx, "SELECT id, service_id, edited_at, source, started_at, ended_at, weight FROM outages WHERE incident_id = ?", id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var oid, svc int64
			var edited, a, b store.Time
			var src string
			var w float64
			if err := rows.Scan(&oid, &svc, &edited, &src, &a, &b, &w); err != nil {
				rows.Close()
				return err
			}
			existing[svc] = have{oid, !edited.IsZero() || src == Manual, func(start time.Time, end *time.Time, weight float64, source string) bool {
				return a.Equal(start) && ((end == nil) == b.IsZero()) && (end == nil || b.Equal(*end)) && w == weight && src == source
			}}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, svc := range dismissed {
			delete(l.weights, svc)
		}
		if !l.qualifies {
			clear(l.weights)
		}
		for svc, h := range existing {
			if _, keep := l.weights[svc]; !keep && !h.locked {
				if _, err := tx.Exec(ctx, "DELETE FROM outages WHERE id = ?", h.id); err != nil {
					return err
				}
			}
		}
		for svc, w := range l.weights {
			h, ok := existing[svc]
			switch {
			case ok && (h.locked || h.same(l.start, l.end, w, l.source)):
			case ok:
				_, err = tx.Exec(ctx, `UPDATE outages SET started_at = ?, ended_at = ?, weight = ?, source = ?, summary = ?, updated_at = ?,
					version = version + 1 WHERE id = ?`, store.TS(l.start), tsPtr(l.end), w, l.source, l.summary, now, h.id)
			default:
				_, err = tx.Exec(ctx, `INSERT INTO outages (service_id, started_at, ended_at, weight, source, incident_id, summary, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, svc, store.TS(l.start), tsPtr(l.end), w, l.source, id, l.summary, now, now)
			}
			if err != nil {
				return store.Translate(err)
			}
		}
		return nil
	})
}

func idsOf(ctx context.Context, q store.Querier, sql string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
