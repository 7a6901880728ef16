package cmdb

import (
	"context"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/store"
)

// LinkedCI is a CI linked to an incident as affected.
type LinkedCI struct {
	CIID      int64     `json:"ci_id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Status    Status    `json:"status"`
	ServiceID *int64    `json:"service_id"`
	LinkedAt  time.Time `json:"linked_at"`
}

// LinkedIncident is an incident a CI is linked to.
type LinkedIncident struct {
	IncidentID int64             `json:"incident_id"`
	Number     string            `json:"number"`
	Title      string            `json:"title"`
	State      incident.State    `json:"state"`
	Priority   incident.Priority `json:"priority"`
	LinkedAt   time.Time         `json:"linked_at"`
}

// AffectedService is a catalogue service an incident touches through its
// CIs, with the CIs standing for it that were reached.
type AffectedService struct {
	ServiceID int64   `json:"service_id"`
	Name      string  `json:"name"`
	Status    string  `json:"status"`
	CIIDs     []int64 `json:"ci_ids"`
	// State is how the service fares: failed when one of its CIs is a
	// linked CI or failed downstream of one, else degraded or unknown.
	State ImpactState `json:"state"`
}

// Limits on links and on the walk behind AffectedServices.
const (
	MaxIncidentCIs = 500
	maxAffectedCIs = 100000
)

// incidentState reads an incident's state; store.ErrNotFound when none.
func incidentState(ctx context.Context, q store.Querier, id int64) (incident.State, error) {
	var st incident.State
	err := store.ScanErr(q.QueryRow(ctx, "SELECT state FROM incidents WHERE id = ?", id).Scan(&st))
	return st, err
}

// LinkIncident records that CI ciID is affected by incident incidentID.
// It reports false when the link was already there. Closed incidents no
// longer change.
func (s *Service) LinkIncident(ctx context.Context, actor audit.Actor, incidentID, ciID int64) (bool, error) {
	created := false
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		st, err := incidentState(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		ci, err := getCI(ctx, tx, ciID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM record_cis WHERE kind = 'incident' AND record_id = ? AND ci_id = ?", incidentID, ciID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if st == incident.Closed {
			return domainerr.Conflictf("%s is closed: its CIs can no longer change", incident.FormatNumber(incidentID))
		}
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM record_cis WHERE kind = 'incident' AND record_id = ?", incidentID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxIncidentCIs {
			return domainerr.Conflictf("%s already has %d CIs linked, the most it can have; link a cluster or service CI instead of its members",
				incident.FormatNumber(incidentID), n)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('incident', ?, ?, ?)",
			incidentID, ciID, store.TS(s.now())); err != nil {
			return err
		}
		created = true
		return audit.Record(ctx, tx, actor, "link_ci", "incident", incidentID, map[string]any{"ci_id": ciID, "ci_name": ci.Name})
	})
	return created, err
}

// UnlinkIncident removes the link between an incident and a CI;
// store.ErrNotFound when there is none.
func (s *Service) UnlinkIncident(ctx context.Context, actor audit.Actor, incidentID, ciID int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		st, err := incidentState(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM record_cis WHERE kind = 'incident' AND record_id = ? AND ci_id = ?", incidentID, ciID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if st == incident.Closed {
			return domainerr.Conflictf("%s is closed: its CIs can no longer change", incident.FormatNumber(incidentID))
		}
		if _, err := tx.Exec(ctx, "DELETE FROM record_cis WHERE kind = 'incident' AND record_id = ? AND ci_id = ?", incidentID, ciID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "unlink_ci", "incident", incidentID, map[string]any{"ci_id": ciID})
	})
}

// IncidentCIs lists the CIs linked to an incident, in the order they
// were linked.
func (s *Service) IncidentCIs(ctx context.Context, incidentID int64) ([]LinkedCI, error) {
	if _, err := incidentState(ctx, s.DB, incidentID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT c.id, c.name, t.name, c.status, c.service_id, l.created_at
		FROM record_cis l JOIN cis c ON c.id = l.ci_id JOIN ci_types t ON t.id = c.type_id
		WHERE l.kind = 'incident' AND l.record_id = ? ORDER BY l.created_at, c.id LIMIT ?`, incidentID, MaxIncidentCIs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LinkedCI{}
	for rows.Next() {
		var l LinkedCI
		var at store.Time
		if err := rows.Scan(&l.CIID, &l.Name, &l.Type, &l.Status, &l.ServiceID, &at); err != nil {
			return nil, err
		}
		l.LinkedAt = at.Time
		out = append(out, l)
	}
	return out, rows.Err()
}

// CIIncidents lists the incidents a CI is linked to, newest incident
// first, up to limit of them with ids below before (0 for the newest).
func (s *Service) CIIncidents(ctx context.Context, ciID, before int64, limit int) ([]LinkedIncident, error) {
	var one int
	if err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT 1 FROM cis WHERE id = ?", ciID).Scan(&one)); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxLimit+1 {
		limit = MaxLimit
	}
	q := `SELECT i.id, i.title, i.state, i.priority, l.created_at FROM record_cis l JOIN incidents i ON i.id = l.record_id
		WHERE l.ci_id = ? AND l.kind = 'incident'`
	args := []any{ciID}
	if before > 0 {
		q += " AND l.record_id < ?"
		args = append(args, before)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY l.record_id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LinkedIncident{}
	for rows.Next() {
		var l LinkedIncident
		var at store.Time
		if err := rows.Scan(&l.IncidentID, &l.Title, &l.State, &l.Priority, &at); err != nil {
			return nil, err
		}
		l.Number, l.LinkedAt = incident.FormatNumber(l.IncidentID), at.Time
		out = append(out, l)
	}
	return out, rows.Err()
}

// AffectedServices derives the catalogue services an incident touches
// from its linked CIs: the services the linked CIs stand for, and those of
// every CI the impact analysis reaches downstream of them, failed,
// degraded or unknown alike (a service that is only degraded is affected
// too). State is the worst state among the service's CIs.
func (s *Service) AffectedServices(ctx context.Context, incidentID int64) ([]AffectedService, error) {
	if _, err := incidentState(ctx, s.DB, incidentID); err != nil {
		return nil, err
	}
	linked, err := queryIDs(ctx, s.DB, "SELECT ci_id FROM record_cis WHERE kind = 'incident' AND record_id = ? LIMIT ?", incidentID, MaxIncidentCIs)
	if err != nil || len(linked) == 0 {
		return []AffectedService{}, err
	}
	byService, err := s.servicesReached(ctx, linked)
	if err != nil || len(byService) == 0 {
		return []AffectedService{}, err
	}
	ids := make([]int64, 0, len(byService))
	for id := range byService {
		ids = append(ids, id)
	}
	rows, err := s.DB.Query(ctx, "SELECT id, name, status FROM services WHERE id IN ("+placeholders(len(ids))+")", int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AffectedService{}
	for rows.Next() {
		var a AffectedService
		if err := rows.Scan(&a.ServiceID, &a.Name, &a.Status); err != nil {
			return nil, err
		}
		r := byService[a.ServiceID]
		a.CIIDs, a.State = r.cis, r.state
		slices.Sort(a.CIIDs)
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b AffectedService) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, rows.Err()
}

func queryIDs(ctx context.Context, q store.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, query, args...)
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
