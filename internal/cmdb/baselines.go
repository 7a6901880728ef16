package cmdb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// A baseline is a named snapshot of a set of CIs as they were at one
// moment: their fields, attributes, redundancy and relationships in both
// directions. Comparing it with the CMDB now (compare.go) shows what has
// drifted since.

// Limits on baselines.
const (
	// MaxBaselineCIs caps the CIs one baseline (or verification run) holds.
	MaxBaselineCIs = 100000
	// maxPageItems caps one page of the lists of baselines, comparisons,
	// verification runs and assets.
	maxPageItems = 200
	// snapBatch is how many CIs are read or written per statement.
	snapBatch = 500
	// maxIDErrors caps the per-id messages of one validation failure.
	maxIDErrors = 20
)

// BaselineFilter chooses CIs by type, status and customer; empty fields
// match any. Type is a type name or id; TypeID is filled in when stored.
type BaselineFilter struct {
	Type       string `json:"type,omitempty"`
	TypeID     int64  `json:"type_id,omitempty"`
	Status     Status `json:"status,omitempty"`
	CustomerID *int64 `json:"customer_id,omitempty"`
}

// NewBaseline is what a baseline is taken from: either CIIDs or Filter.
type NewBaseline struct {
	Name   string          `json:"name"`
	Note   string          `json:"note"`
	CIIDs  []int64         `json:"ci_ids"`
	Filter *BaselineFilter `json:"filter"`
}

// Baseline is a named snapshot of a set of CIs.
type Baseline struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Note string `json:"note"`
	// Filter is how the CIs were chosen, or nil when they were listed by
	// id. Only a baseline taken by filter reports CIs added since.
	Filter    *BaselineFilter `json:"filter"`
	CICount   int             `json:"ci_count"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
}

// resolveFilter checks a filter and fills in TypeID and Type.
func resolveFilter(ctx context.Context, q store.Querier, f *BaselineFilter, v *domainerr.Invalid) error {
	f.Type = strings.TrimSpace(f.Type)
	if f.Status != "" && !f.Status.Valid() {
		v.Add("filter.status", "must be one of planned, in_use, maintenance, retired")
	}
	if f.CustomerID != nil && *f.CustomerID <= 0 {
		v.Add("filter.customer_id", "must be the id of a customer")
	}
	if f.Type == "" && f.TypeID == 0 {
		return nil
	}
	asked := f.Type
	if asked == "" {
		asked = strconv.FormatInt(f.TypeID, 10)
	}
	query, arg := "SELECT id, name FROM ci_types WHERE lower(name) = lower(?)", any(f.Type)
	if n, err := strconv.ParseInt(f.Type, 10, 64); err == nil || f.Type == "" {
		if f.Type == "" {
			n = f.TypeID
		}
		query, arg = "SELECT id, name FROM ci_types WHERE id = ?", n
	}
	err := store.ScanErr(q.QueryRow(ctx, query, arg).Scan(&f.TypeID, &f.Type))
	if errors.Is(err, store.ErrNotFound) {
		v.Add("filter.type", "there is no CI type %q", asked)
		return nil
	}
	return err
}

// where is the SQL condition of a stored filter (on table alias c).
func (f *BaselineFilter) where() (string, []any) {
	conds, args := []string{"1 = 1"}, []any{}
	if f.TypeID != 0 {
		conds, args = append(conds, "c.type_id = ?"), append(args, f.TypeID)
	}
	if f.Status != "" {
		conds, args = append(conds, "c.status = ?"), append(args, string(f.Status))
	}
	if f.CustomerID != nil {
		conds, args = append(conds, "c.customer_id = ?"), append(args, *f.CustomerID)
	}
	return strings.Join(conds, " AND "), args
}

// filterIDs returns up to n ids of CIs matching f, above after, in order.
func filterIDs(ctx context.Context, q store.Querier, f *BaselineFilter, after int64, n int) ([]int64, error) {
	cond, args := f.where()
	rows, err := q.Query(ctx, "SELECT c.id FROM cis c WHERE "+cond+" AND c.id > ? ORDER BY c.id LIMIT ?",
		append(args, after, n)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func validBaseline(in *NewBaseline) *domainerr.Invalid {
	in.Name = strings.TrimSpace(in.Name)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", in.Name, true, domainerr.MaxName)
	domainerr.Text(v, "note", in.Note, false, domainerr.MaxText)
	switch {
	case in.Filter != nil && len(in.CIIDs) > 0:
		v.Add("ci_ids", "give ci_ids or filter, not both")
	case in.Filter == nil && len(in.CIIDs) == 0:
		v.Add("ci_ids", "name the CIs to snapshot (ci_ids), or choose them with filter")
	case len(in.CIIDs) > MaxBaselineCIs:
		v.Add("ci_ids", "at most %d CIs in one baseline", MaxBaselineCIs)
	}
	seen := make(map[int64]int, len(in.CIIDs))
	for i, id := range in.CIIDs {
		if len(v.Fields) >= maxIDErrors {
			break
		}
		if id <= 0 {
			v.Add(fmt.Sprintf("ci_ids[%d]", i), "must be the id of a CI")
		} else if j, dup := seen[id]; dup {
			v.Add(fmt.Sprintf("ci_ids[%d]", i), "CI %d is already ci_ids[%d]", id, j)
		}
		seen[id] = i
	}
	return v
}

// CreateBaseline snapshots the chosen CIs. A baseline holds at most
// MaxBaselineCIs; a filter matching more is refused with 422.
func (s *Service) CreateBaseline(ctx context.Context, actor audit.Actor, in NewBaseline) (Baseline, error) {
	v := validBaseline(&in)
	b := Baseline{Name: in.Name, Note: in.Note, CreatedBy: actor.Name, CreatedAt: s.recordedAt()}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var filterJSON any
		if in.Filter != nil {
			f := *in.Filter
			if err := resolveFilter(ctx, tx, &f, v); err != nil {
				return err
			}
			b.Filter = &f
			raw, _ := json.Marshal(f)
			filterJSON = string(raw)
		}
		if err := v.Err(); err != nil {
			return err
		}
		var taken int
		err := store.ScanErr(tx.QueryRow(ctx, "SELECT COUNT(*) FROM ci_baselines WHERE lower(name) = lower(?)", b.Name).Scan(&taken))
		if err != nil {
			return err
		}
		if taken > 0 {
			return domainerr.Field("name", "a baseline named %q already exists", b.Name)
		}
		if b.Filter != nil {
			cond, args := b.Filter.where()
			var n int
			err := store.ScanErr(tx.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM cis c WHERE "+cond+" LIMIT ?) m",
				append(args, MaxBaselineCIs+1)...).Scan(&n))
			if err != nil {
				return err
			}
			if n > MaxBaselineCIs {
				return domainerr.Field("filter", "matches more than %d CIs, the most one baseline holds; narrow it by type, status or customer", MaxBaselineCIs)
			}
		}
		err = store.ScanErr(tx.QueryRow(ctx, `INSERT INTO ci_baselines (name, note, filter, ci_count, created_by, created_at)
			VALUES (?, ?, ?, 0, ?, ?) RETURNING id`, b.Name, b.Note, filterJSON, b.CreatedBy, store.TS(b.CreatedAt)).Scan(&b.ID))
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "a baseline named %q already exists", b.Name)
		} else if err != nil {
			return err
		}
		if b.Filter != nil {
			b.CICount, err = snapshotByFilter(ctx, tx, b.ID, b.Filter)
		} else {
			b.CICount, err = snapshotByID(ctx, tx, b.ID, in.CIIDs)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE ci_baselines SET ci_count = ? WHERE id = ?", b.CICount, b.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "ci_baseline", b.ID,
			map[string]any{"name": b.Name, "note": b.Note, "filter": b.Filter, "ci_count": b.CICount})
	})
	if err != nil {
		return Baseline{}, err
	}
	return b, nil
}

func snapshotByID(ctx context.Context, tx *store.Tx, baselineID int64, ids []int64) (int, error) {
	v := domainerr.NewInvalid()
	n := 0
	for start := 0; start < len(ids); start += snapBatch {
		part := ids[start:min(start+snapBatch, len(ids))]
		snaps, err := loadSnapshot(ctx, tx, part)
		if err != nil {
			return 0, err
		}
		for i, id := range part {
			if snaps[id] == nil && len(v.Fields) < maxIDErrors {
				v.Add(fmt.Sprintf("ci_ids[%d]", start+i), "CI %d does not exist", id)
			}
		}
		if len(v.Fields) > 0 {
			continue // keep looking for more missing ids, write nothing
		}
		if err := insertSnapshots(ctx, tx, baselineID, part, snaps); err != nil {
			return 0, err
		}
		n += len(part)
	}
	return n, v.Err()
}

func snapshotByFilter(ctx context.Context, tx *store.Tx, baselineID int64, f *BaselineFilter) (int, error) {
	n, after := 0, int64(0)
	for {
		ids, err := filterIDs(ctx, tx, f, after, snapBatch)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		snaps, err := loadSnapshot(ctx, tx, ids)
		if err != nil {
			return 0, err
		}
		if err := insertSnapshots(ctx, tx, baselineID, ids, snaps); err != nil {
			return 0, err
		}
		n += len(snaps)
		after = ids[len(ids)-1]
	}
}

// insertSnapshots writes the snapshots of ids (those present in snaps).
func insertSnapshots(ctx context.Context, tx *store.Tx, baselineID int64, ids []int64, snaps map[int64]*Snapshot) error {
	rows := make([]any, 0, 3*len(ids))
	for _, id := range ids {
		if sn := snaps[id]; sn != nil {
			raw, err := json.Marshal(sn)
			if err != nil {
				return err
			}
			rows = append(rows, baselineID, id, string(raw))
		}
	}
	return insertRows(ctx, tx, "INSERT INTO ci_baseline_items (baseline_id, ci_id, snapshot) VALUES ", 3, rows)
}

const baselineCols = "id, name, note, filter, ci_count, created_by, created_at"

func scanBaseline(sc interface{ Scan(...any) error }) (Baseline, error) {
	var b Baseline
	var filter *string
	var at store.Time
	if err := sc.Scan(&b.ID, &b.Name, &b.Note, &filter, &b.CICount, &b.CreatedBy, &at); err != nil {
		return Baseline{}, store.ScanErr(err)
	}
	b.CreatedAt = at.Time
	if filter != nil {
		var f BaselineFilter
		if json.Unmarshal([]byte(*filter), &f) == nil {
			b.Filter = &f
		}
	}
	return b, nil
}

// Baseline returns one baseline.
func (s *Service) Baseline(ctx context.Context, id int64) (Baseline, error) {
	return scanBaseline(s.DB.QueryRow(ctx, "SELECT "+baselineCols+" FROM ci_baselines WHERE id = ?", id))
}

// BaselinePage is a page of baselines, newest first.
type BaselinePage struct {
	Items      []Baseline `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// pageKey is the keyset position of the lists of baselines, comparisons,
// verification runs and assets: an id, and for the expiring report a date
// and a kind before it.
type pageKey struct {
	Date string `json:"d,omitempty"`
	Kind string `json:"k,omitempty"`
	ID   int64  `json:"i"`
}

func (k pageKey) encode() string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errPageKey = domainerr.Field("cursor", "is not a cursor from a previous page of this list")

func decodePageKey(s string) (pageKey, error) {
	var k pageKey
	if s == "" {
		return k, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 || json.Unmarshal(b, &k) != nil || k.ID < 0 {
		return pageKey{}, errPageKey
	}
	return k, nil
}

func pageLimit(n int) int {
	if n <= 0 || n > maxPageItems {
		return 50
	}
	return n
}

// Baselines lists baselines, newest first.
func (s *Service) Baselines(ctx context.Context, limit int, cursor string) (BaselinePage, error) {
	limit = pageLimit(limit)
	key, err := decodePageKey(cursor)
	if err != nil {
		return BaselinePage{}, err
	}
	where, args := "", []any{}
	if key.ID > 0 {
		where, args = " WHERE id < ?", append(args, key.ID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+baselineCols+" FROM ci_baselines"+where+" ORDER BY id DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return BaselinePage{}, err
	}
	defer rows.Close()
	page := BaselinePage{Items: []Baseline{}}
	for rows.Next() {
		b, err := scanBaseline(rows)
		if err != nil {
			return BaselinePage{}, err
		}
		page.Items = append(page.Items, b)
	}
	if err := rows.Err(); err != nil {
		return BaselinePage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = pageKey{ID: page.Items[limit-1].ID}.encode()
	}
	return page, nil
}

// SnapshotPage is a page of a baseline's snapshots, by CI id.
type SnapshotPage struct {
	Items      []Snapshot `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// BaselineItems pages through the CIs a baseline recorded, as recorded.
func (s *Service) BaselineItems(ctx context.Context, id int64, limit int, cursor string) (SnapshotPage, error) {
	if _, err := s.Baseline(ctx, id); err != nil {
		return SnapshotPage{}, err
	}
	limit = pageLimit(limit)
	key, err := decodePageKey(cursor)
	if err != nil {
		return SnapshotPage{}, err
	}
	snaps, err := baselineSnapshots(ctx, s.DB, id, key.ID, limit+1)
	if err != nil {
		return SnapshotPage{}, err
	}
	page := SnapshotPage{Items: []Snapshot{}}
	for _, sn := range snaps {
		page.Items = append(page.Items, *sn)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = pageKey{ID: page.Items[limit-1].CIID}.encode()
	}
	return page, nil
}

// baselineSnapshots reads up to n snapshots of a baseline after CI id
// after, in CI id order.
func baselineSnapshots(ctx context.Context, q store.Querier, baselineID, after int64, n int) ([]*Snapshot, error) {
	rows, err := q.Query(ctx, `SELECT ci_id, snapshot FROM ci_baseline_items WHERE baseline_id = ? AND ci_id > ?
		ORDER BY ci_id LIMIT ?`, baselineID, after, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Snapshot
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		sn := &Snapshot{}
		if err := json.Unmarshal([]byte(raw), sn); err != nil {
			return nil, fmt.Errorf("baseline %d, CI %d: %w", baselineID, id, err)
		}
		sn.CIID = id
		if sn.Attributes == nil {
			sn.Attributes = map[string]any{}
		}
		if sn.Relationships == nil {
			sn.Relationships = []Edge{}
		}
		out = append(out, sn)
	}
	return out, rows.Err()
}

// DeleteBaseline removes a baseline and its snapshots. A baseline that
// verification runs were made against is kept as their evidence (409).
func (s *Service) DeleteBaseline(ctx context.Context, actor audit.Actor, id int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		b, err := scanBaseline(tx.QueryRow(ctx, "SELECT "+baselineCols+" FROM ci_baselines WHERE id = ?", id))
		if err != nil {
			return err
		}
		var runs int
		if err := store.ScanErr(tx.QueryRow(ctx, "SELECT COUNT(*) FROM ci_verifications WHERE baseline_id = ?", id).Scan(&runs)); err != nil {
			return err
		}
		if runs > 0 {
			return domainerr.Conflictf("baseline %q is the reference of %d verification run(s), which keep it as evidence", b.Name, runs)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ci_baseline_items WHERE baseline_id = ?", id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ci_baselines WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "ci_baseline", id,
			map[string]any{"name": b.Name, "filter": b.Filter, "ci_count": b.CICount})
	})
}

// recordedAt is the time stamp of a record written now.
func (s *Service) recordedAt() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}
