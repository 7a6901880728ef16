package internalaudit

import (
	"context"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/nonconformity"
	"steward/internal/sms"
	"steward/internal/store"
)

// Service keeps the audit programme and its audits over one database.
type Service struct {
	DB *store.DB
	// NCs raises the nonconformities checklist lines find.
	NCs *nonconformity.Service
	Now func() time.Time
}

// NewService builds a Service.
func NewService(db *store.DB, ncs *nonconformity.Service) *Service {
	return &Service{DB: db, NCs: ncs}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// MaxProgrammes bounds the list of programmes.
const MaxProgrammes = 200

const progCols = `p.id, p.name, p.period_start, p.period_end, p.owner_id, COALESCE(u.name, ''), p.created_at, p.updated_at, p.version`
const progFrom = ` FROM audit_programmes p LEFT JOIN users u ON u.id = p.owner_id`

func scanProgramme(row interface{ Scan(...any) error }) (Programme, error) {
	var p Programme
	var cr, up store.Time
	err := row.Scan(&p.ID, &p.Name, &p.PeriodStart, &p.PeriodEnd, &p.OwnerID, &p.OwnerName, &cr, &up, &p.Version)
	p.CreatedAt, p.UpdatedAt = cr.Time, up.Time
	return p, store.ScanErr(err)
}

// GetProgramme loads a programme.
func GetProgramme(ctx context.Context, q store.Querier, id int64) (Programme, error) {
	return scanProgramme(q.QueryRow(ctx, "SELECT "+progCols+progFrom+" WHERE p.id = ?", id))
}

// ListProgrammes lists the programmes, latest period first.
func (s *Service) ListProgrammes(ctx context.Context, p *auth.Principal) ([]Programme, error) {
	if !p.Can(sms.PermRead) {
		return nil, domainerr.ErrForbidden
	}
	rows, err := s.DB.Query(ctx, "SELECT "+progCols+progFrom+" ORDER BY p.period_start DESC, p.id DESC LIMIT ?", MaxProgrammes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Programme{}
	for rows.Next() {
		pr, err := scanProgramme(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}

// SaveProgramme creates (id 0) or changes a programme: a name and a
// period whose end is after its start.
func (s *Service) SaveProgramme(ctx context.Context, p *auth.Principal, id int64, in ProgrammeInput, ifVersion int) (Programme, error) {
	if !p.Can(sms.PermWrite) {
		return Programme{}, domainerr.ErrForbidden
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur := Programme{}
		if id != 0 {
			var err error
			if cur, err = GetProgramme(ctx, tx, id); err != nil {
				return err
			}
			if ifVersion != 0 && ifVersion != cur.Version {
				return domainerr.ErrStale
			}
		}
		if in.Name != nil {
			cur.Name = strings.TrimSpace(*in.Name)
		}
		if in.PeriodStart != nil {
			cur.PeriodStart = *in.PeriodStart
		}
		if in.PeriodEnd != nil {
			cur.PeriodEnd = *in.PeriodEnd
		}
		if in.OwnerID != nil {
			cur.OwnerID = in.OwnerID
			if *in.OwnerID == 0 {
				cur.OwnerID = nil
			}
		}
		v := domainerr.NewInvalid()
		domainerr.Text(v, "name", cur.Name, true, domainerr.MaxName)
		nonconformity.CheckDate(v, "period_start", cur.PeriodStart, true)
		nonconformity.CheckDate(v, "period_end", cur.PeriodEnd, true)
		if !v.Has("period_start") && !v.Has("period_end") && cur.PeriodEnd <= cur.PeriodStart {
			v.Add("period_end", "must be after the start of the period")
		}
		if err := nonconformity.CheckUser(ctx, tx, v, "owner_id", cur.OwnerID, false); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		data := map[string]any{"name": cur.Name, "period_start": cur.PeriodStart, "period_end": cur.PeriodEnd, "owner_id": cur.OwnerID}
		if id == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO audit_programmes (name, period_start, period_end, owner_id, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, cur.Name, cur.PeriodStart, cur.PeriodEnd, cur.OwnerID, store.TS(now), store.TS(now)).Scan(&id)
			if err != nil {
				return store.ScanErr(err)
			}
			return audit.Record(ctx, tx, p.Actor(), "create", "audit_programme", id, data)
		}
		res, err := tx.Exec(ctx, `UPDATE audit_programmes SET name = ?, period_start = ?, period_end = ?, owner_id = ?, updated_at = ?,
			version = version + 1 WHERE id = ? AND version = ?`, cur.Name, cur.PeriodStart, cur.PeriodEnd, cur.OwnerID, store.TS(now), id, cur.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "audit_programme", id, data)
	})
	if err != nil {
		return Programme{}, err
	}
	return GetProgramme(ctx, s.DB, id)
}

// Processes lists the SMS's processes, for choosing an audit's scope.
func Processes(ctx context.Context, q store.Querier) ([]Process, error) {
	rows, err := q.Query(ctx, "SELECT id, key, name, clause FROM processes ORDER BY name, id LIMIT 500")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Process{}
	for rows.Next() {
		var pr Process
		if err := rows.Scan(&pr.ID, &pr.Key, &pr.Name, &pr.Clause); err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}
