package availability

import (
	"context"
	"errors"
	"math"
	"strings"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

const targetCols = `SELECT t.service_id, s.name, t.target, t.calendar_id, COALESCE(k.name, ''), t.updated_at, t.version
	FROM availability_targets t JOIN services s ON s.id = t.service_id LEFT JOIN calendars k ON k.id = t.calendar_id`

func scanTarget(row interface{ Scan(...any) error }) (Target, error) {
	var t Target
	var up store.Time
	if err := row.Scan(&t.ServiceID, &t.ServiceName, &t.Percent, &t.CalendarID, &t.CalendarName, &up, &t.Version); err != nil {
		return t, store.ScanErr(err)
	}
	if t.CalendarID == nil {
		t.CalendarName = RoundTheClock
	}
	t.UpdatedAt = up.Time
	return t, nil
}

// GetTarget is the availability target of a service; store.ErrNotFound
// when none is agreed.
func (s *Service) GetTarget(ctx context.Context, p *auth.Principal, serviceID int64) (Target, error) {
	if !p.Can(PermRead) {
		return Target{}, domainerr.ErrForbidden
	}
	return scanTarget(s.DB.QueryRow(ctx, targetCols+" WHERE t.service_id = ?", serviceID))
}

// targets reads every service's target, by service.
func targets(ctx context.Context, q store.Querier) (map[int64]Target, error) {
	rows, err := q.Query(ctx, targetCols)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Target{}
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, err
		}
		out[t.ServiceID] = t
	}
	return out, rows.Err()
}

// SetTarget agrees a service's availability target and the hours it is
// measured over, the reason kept in the audit trail.
func (s *Service) SetTarget(ctx context.Context, p *auth.Principal, serviceID int64, in TargetInput) (Target, error) {
	if !p.Can(PermWrite) {
		return Target{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if !(in.Percent > 0 && in.Percent <= 100) || math.IsNaN(in.Percent) {
		v.Add("target", "must be a percentage above 0 and at most 100, such as 99.9")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	domainerr.Text(v, "reason", in.Reason, false, domainerr.MaxShort)
	if in.CalendarID != nil && *in.CalendarID == 0 {
		in.CalendarID = nil
	}
	var out Target
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := mayChange(ctx, tx, p, serviceID); err != nil {
			return err
		}
		if in.CalendarID != nil {
			var one int
			if err := store.ScanErr(tx.QueryRow(ctx, "SELECT 1 FROM calendars WHERE id = ?", *in.CalendarID).Scan(&one)); errors.Is(err, store.ErrNotFound) {
				v.Add("calendar_id", "no business calendar with id %d", *in.CalendarID)
			} else if err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := store.TS(s.now())
		res, err := tx.Exec(ctx, `UPDATE availability_targets SET target = ?, calendar_id = ?, updated_at = ?, version = version + 1
			WHERE service_id = ?`, in.Percent, in.CalendarID, now, serviceID)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO availability_targets (service_id, target, calendar_id, updated_at) VALUES (?, ?, ?, ?)`,
				serviceID, in.Percent, in.CalendarID, now); err != nil {
				return store.Translate(err)
			}
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "availability_target", serviceID, in); err != nil {
			return err
		}
		out, err = scanTarget(tx.QueryRow(ctx, targetCols+" WHERE t.service_id = ?", serviceID))
		return err
	})
	return out, err
}

// DeleteTarget withdraws a service's target: it is no longer measured
// against one.
func (s *Service) DeleteTarget(ctx context.Context, p *auth.Principal, serviceID int64, reason string) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := mayChange(ctx, tx, p, serviceID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM availability_targets WHERE service_id = ?", serviceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "availability_target", serviceID, map[string]string{"reason": strings.TrimSpace(reason)})
	})
}
