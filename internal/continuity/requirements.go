package continuity

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Requirement is what one service needs when disaster strikes: back
// within its RTO, losing no more than its RPO of data, and running at
// least at its minimum service level meanwhile.
type Requirement struct {
	ServiceID       int64     `json:"service_id"`
	ServiceName     string    `json:"service_name"`
	RTOMinutes      int       `json:"rto_minutes"`
	RTO             string    `json:"rto"`
	RPOMinutes      int       `json:"rpo_minutes"`
	RPO             string    `json:"rpo"`
	MinServiceLevel string    `json:"min_service_level"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int       `json:"version"`
}

// RequirementInput sets a service's requirement. Durations are written
// as people write them: "4h", "30 min", "1 day".
type RequirementInput struct {
	RTO             string `json:"rto"`
	RPO             string `json:"rpo"`
	MinServiceLevel string `json:"min_service_level"`
}

const reqCols = `SELECT r.service_id, s.name, r.rto_minutes, r.rpo_minutes, r.min_service_level, r.updated_at, r.version
	FROM continuity_requirements r JOIN services s ON s.id = r.service_id`

func scanRequirement(row interface{ Scan(...any) error }) (Requirement, error) {
	var r Requirement
	var upd store.Time
	if err := row.Scan(&r.ServiceID, &r.ServiceName, &r.RTOMinutes, &r.RPOMinutes, &r.MinServiceLevel, &upd, &r.Version); err != nil {
		return r, store.ScanErr(err)
	}
	r.UpdatedAt, r.RTO, r.RPO = upd.Time, FormatMinutes(r.RTOMinutes), FormatMinutes(r.RPOMinutes)
	return r, nil
}

// Requirements lists the services' requirements by service name.
func (s *Service) Requirements(ctx context.Context, p *auth.Principal) ([]Requirement, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	return requirements(ctx, s.DB, "", nil)
}

func requirements(ctx context.Context, q store.Querier, where string, args []any) ([]Requirement, error) {
	rows, err := q.Query(ctx, reqCols+where+" ORDER BY s.name, r.service_id LIMIT 1000", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Requirement{}
	for rows.Next() {
		r, err := scanRequirement(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Requirement is one service's requirement; store.ErrNotFound when it has
// none.
func (s *Service) Requirement(ctx context.Context, p *auth.Principal, serviceID int64) (Requirement, error) {
	if !p.Can(PermRead) {
		return Requirement{}, domainerr.ErrForbidden
	}
	return scanRequirement(s.DB.QueryRow(ctx, reqCols+" WHERE r.service_id = ?", serviceID))
}

// readRequirement checks a requirement as typed and gives its minutes.
func readRequirement(in RequirementInput) (rto, rpo int, level string, err error) {
	v := domainerr.NewInvalid()
	rto, e := ParseDuration(in.RTO)
	switch {
	case e != nil && strings.Contains(e.Error(), "negative"):
		v.Add("rto", "must be more than zero: it is how long the service may take to come back")
	case e != nil:
		v.Add("rto", "%s", e.Error())
	case rto <= 0:
		v.Add("rto", "must be more than zero: it is how long the service may take to come back")
	}
	rpo, e = ParseDuration(in.RPO)
	if e != nil {
		v.Add("rpo", "%s", e.Error())
	}
	level = strings.TrimSpace(in.MinServiceLevel)
	domainerr.Text(v, "min_service_level", level, false, domainerr.MaxName)
	return rto, rpo, level, v.Err()
}

// SetRequirement sets (or replaces) a service's requirement. ifVersion,
// when not 0, must be the version the caller saw.
func (s *Service) SetRequirement(ctx context.Context, p *auth.Principal, serviceID int64, in RequirementInput, ifVersion int) (Requirement, error) {
	if !p.Can(PermWrite) {
		return Requirement{}, domainerr.ErrForbidden
	}
	rto, rpo, level, err := readRequirement(in)
	var name string
	if e := store.ScanErr(s.DB.QueryRow(ctx, "SELECT name FROM services WHERE id = ?", serviceID).Scan(&name)); errors.Is(e, store.ErrNotFound) {
		if err == nil {
			return Requirement{}, store.ErrNotFound
		}
	} else if e != nil {
		return Requirement{}, e
	}
	if err != nil {
		return Requirement{}, err
	}
	var out Requirement
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := scanRequirement(tx.QueryRow(ctx, reqCols+" WHERE r.service_id = ?", serviceID))
		now := store.TS(s.now())
		switch {
		case errors.Is(err, store.ErrNotFound):
			if ifVersion > 1 {
				return domainerr.ErrStale
			}
			_, err = tx.Exec(ctx, `INSERT INTO continuity_requirements (service_id, rto_minutes, rpo_minutes, min_service_level, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, serviceID, rto, rpo, level, now, now)
		case err != nil:
			return err
		default:
			if ifVersion != 0 && ifVersion != cur.Version {
				return domainerr.ErrStale
			}
			_, err = tx.Exec(ctx, `UPDATE continuity_requirements SET rto_minutes = ?, rpo_minutes = ?, min_service_level = ?, updated_at = ?,
				version = version + 1 WHERE service_id = ?`, rto, rpo, level, now, serviceID)
		}
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "continuity_requirement", serviceID,
			map[string]any{"service": name, "rto_minutes": rto, "rpo_minutes": rpo, "min_service_level": level}); err != nil {
			return err
		}
		out, err = scanRequirement(tx.QueryRow(ctx, reqCols+" WHERE r.service_id = ?", serviceID))
		return err
	})
	return out, err
}

// DeleteRequirement removes a service's requirement.
func (s *Service) DeleteRequirement(ctx context.Context, p *auth.Principal, serviceID int64) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM continuity_requirements WHERE service_id = ?", serviceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "continuity_requirement", serviceID, nil)
	})
}
