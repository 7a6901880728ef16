package schedule

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// FreezePeriod is a time in which no change should be implemented on its
// services and CIs; with neither listed it covers everything.
type FreezePeriod struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	ServiceIDs []int64   `json:"service_ids"`
	CIIDs      []int64   `json:"ci_ids"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int       `json:"version"`
}

// Everything reports whether the freeze covers every service and CI.
func (f FreezePeriod) Everything() bool { return len(f.ServiceIDs) == 0 && len(f.CIIDs) == 0 }

// Covers reports whether the freeze applies to a change touching these
// services and CIs.
func (f FreezePeriod) Covers(services, cis []int64) bool {
	return f.Everything() || intersects(f.ServiceIDs, services) || intersects(f.CIIDs, cis)
}

// FreezeInput creates a freeze period, or (with nil fields left alone)
// changes one.
type FreezeInput struct {
	Name       *string    `json:"name"`
	Start      *time.Time `json:"start"`
	End        *time.Time `json:"end"`
	ServiceIDs *[]int64   `json:"service_ids"`
	CIIDs      *[]int64   `json:"ci_ids"`
}

// MaxScope bounds how many services and CIs one freeze lists.
const MaxScope = 1000

const freezeCols = "id, name, starts_at, ends_at, created_at, updated_at, version"

func scanFreeze(row interface{ Scan(...any) error }) (FreezePeriod, error) {
	var f FreezePeriod
	var st, en, cr, up store.Time
	if err := row.Scan(&f.ID, &f.Name, &st, &en, &cr, &up, &f.Version); err != nil {
		return f, store.ScanErr(err)
	}
	f.Start, f.End, f.CreatedAt, f.UpdatedAt = st.Time, en.Time, cr.Time, up.Time
	f.ServiceIDs, f.CIIDs = []int64{}, []int64{}
	return f, nil
}

// GetFreeze loads one freeze period with its scope.
func GetFreeze(ctx context.Context, q store.Querier, id int64) (FreezePeriod, error) {
	f, err := scanFreeze(q.QueryRow(ctx, "SELECT "+freezeCols+" FROM freeze_periods WHERE id = ?", id))
	if err != nil {
		return f, err
	}
	list := []FreezePeriod{f}
	if err := loadScopes(ctx, q, list); err != nil {
		return f, err
	}
	return list[0], nil
}

// ListFreezes lists the freeze periods that end after from and start
// before to (either may be zero for no bound), earliest first, at most
// limit of them.
func ListFreezes(ctx context.Context, q store.Querier, from, to time.Time, limit int) ([]FreezePeriod, error) {
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := q.Query(ctx, "SELECT "+freezeCols+` FROM freeze_periods WHERE ends_at > ? AND starts_at < ?
		ORDER BY starts_at, id LIMIT ?`, store.TS(from), store.TS(to), limit)
	if err != nil {
		return nil, err
	}
	out := []FreezePeriod{}
	for rows.Next() {
		f, err := scanFreeze(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadScopes(ctx, q, out)
}

// loadScopes fills in the services and CIs of the freezes.
func loadScopes(ctx context.Context, q store.Querier, list []FreezePeriod) error {
	if len(list) == 0 {
		return nil
	}
	at := map[int64]*FreezePeriod{}
	ids := make([]int64, len(list))
	for i := range list {
		at[list[i].ID] = &list[i]
		ids[i] = list[i].ID
	}
	for _, t := range []struct{ table, col string }{{"freeze_period_services", "service_id"}, {"freeze_period_cis", "ci_id"}} {
		err := inBatches(ids, func(batch []int64) error {
			rows, err := q.Query(ctx, "SELECT freeze_id, "+t.col+" FROM "+t.table+" WHERE freeze_id IN ("+marks(len(batch))+") ORDER BY freeze_id, "+t.col, args(batch)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var fid, x int64
				if err := rows.Scan(&fid, &x); err != nil {
					return err
				}
				f := at[fid]
				if t.col == "service_id" {
					f.ServiceIDs = append(f.ServiceIDs, x)
				} else {
					f.CIIDs = append(f.CIIDs, x)
				}
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// CreateFreeze stores a freeze period: a name, an end after its start,
// and services and CIs that exist.
func (s *Service) CreateFreeze(ctx context.Context, actor audit.Actor, in FreezeInput) (FreezePeriod, error) {
	var f FreezePeriod
	v := domainerr.NewInvalid()
	if in.Name == nil {
		v.Add("name", "is required")
	}
	if in.Start == nil {
		v.Add("start", "is required")
	}
	if in.End == nil {
		v.Add("end", "is required")
	}
	if err := v.Err(); err != nil {
		return f, err
	}
	f = FreezePeriod{ServiceIDs: []int64{}, CIIDs: []int64{}}
	applyFreeze(&f, in)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := checkFreeze(ctx, tx, f); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO freeze_periods (name, starts_at, ends_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, f.Name, store.TS(f.Start), store.TS(f.End), actor.UserID(),
			store.TS(now), store.TS(now)).Scan(&f.ID)
		if err != nil {
			return store.ScanErr(err)
		}
		if err := saveScope(ctx, tx, f); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "freeze_period", f.ID, freezeAudit(f))
	})
	if err != nil {
		return FreezePeriod{}, err
	}
	return GetFreeze(ctx, s.DB, f.ID)
}

// UpdateFreeze changes the fields in given; ifVersion, when not 0, must be
// the version the caller saw.
func (s *Service) UpdateFreeze(ctx context.Context, actor audit.Actor, id int64, in FreezeInput, ifVersion int) (FreezePeriod, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		f, err := GetFreeze(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != f.Version {
			return domainerr.ErrStale
		}
		applyFreeze(&f, in)
		if err := checkFreeze(ctx, tx, f); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE freeze_periods SET name = ?, starts_at = ?, ends_at = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, f.Name, store.TS(f.Start), store.TS(f.End), store.TS(s.now()), id, f.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		for _, t := range []string{"freeze_period_services", "freeze_period_cis"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE freeze_id = ?", id); err != nil {
				return err
			}
		}
		if err := saveScope(ctx, tx, f); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "freeze_period", id, freezeAudit(f))
	})
	if err != nil {
		return FreezePeriod{}, err
	}
	return GetFreeze(ctx, s.DB, id)
}

// DeleteFreeze removes a freeze period.
func (s *Service) DeleteFreeze(ctx context.Context, actor audit.Actor, id int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		f, err := GetFreeze(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM freeze_periods WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "freeze_period", id, freezeAudit(f))
	})
}

func applyFreeze(f *FreezePeriod, in FreezeInput) {
	if in.Name != nil {
		f.Name = strings.TrimSpace(*in.Name)
	}
	if in.Start != nil {
		f.Start = in.Start.UTC().Truncate(time.Microsecond)
	}
	if in.End != nil {
		f.End = in.End.UTC().Truncate(time.Microsecond)
	}
	if in.ServiceIDs != nil {
		f.ServiceIDs = uniq(*in.ServiceIDs)
	}
	if in.CIIDs != nil {
		f.CIIDs = uniq(*in.CIIDs)
	}
}

// checkFreeze validates a freeze period, naming every field at fault.
func checkFreeze(ctx context.Context, q store.Querier, f FreezePeriod) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", f.Name, true, domainerr.MaxName)
	if f.Start.IsZero() {
		v.Add("start", "is required")
	}
	if f.End.IsZero() {
		v.Add("end", "is required")
	}
	if !f.Start.IsZero() && !f.End.IsZero() && !f.End.After(f.Start) {
		v.Add("end", "must be after the start")
	}
	for _, sc := range []struct {
		field, table, what string
		ids                []int64
	}{{"service_ids", "services", "service", f.ServiceIDs}, {"ci_ids", "cis", "CI", f.CIIDs}} {
		if len(sc.ids) > MaxScope {
			v.Add(sc.field, "at most %d", MaxScope)
			continue
		}
		missing, err := missingIDs(ctx, q, sc.table, sc.ids)
		if err != nil {
			return err
		}
		for _, id := range sc.ids {
			if id <= 0 {
				v.Add(sc.field, "ids must be positive whole numbers")
				break
			}
			if missing[id] {
				v.Add(sc.field, "no %s with id %d", sc.what, id)
				break
			}
		}
	}
	return v.Err()
}

func saveScope(ctx context.Context, tx *store.Tx, f FreezePeriod) error {
	for _, id := range f.ServiceIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO freeze_period_services (freeze_id, service_id) VALUES (?, ?)", f.ID, id); err != nil {
			return store.Translate(err)
		}
	}
	for _, id := range f.CIIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO freeze_period_cis (freeze_id, ci_id) VALUES (?, ?)", f.ID, id); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

func freezeAudit(f FreezePeriod) map[string]any {
	return map[string]any{"name": f.Name, "start": f.Start, "end": f.End, "service_ids": f.ServiceIDs, "ci_ids": f.CIIDs}
}

// missingIDs returns the ids that have no row in table.
func missingIDs(ctx context.Context, q store.Querier, table string, ids []int64) (map[int64]bool, error) {
	missing := map[int64]bool{}
	for _, id := range ids {
		missing[id] = true
	}
	err := inBatches(ids, func(batch []int64) error {
		rows, err := q.Query(ctx, "SELECT id FROM "+table+" WHERE id IN ("+marks(len(batch))+")", args(batch)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			delete(missing, id)
		}
		return rows.Err()
	})
	return missing, err
}

func uniq(ids []int64) []int64 {
	out := append([]int64{}, ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 0
	for i, x := range out {
		if i == 0 || x != out[n-1] {
			out[n] = x
			n++
		}
	}
	return out[:n]
}

func intersects(a, b []int64) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

const batchSize = 500

func inBatches(ids []int64, fn func([]int64) error) error {
	for len(ids) > 0 {
		b := ids[:min(len(ids), batchSize)]
		ids = ids[len(b):]
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
