package record

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// SavedFilter is a named list query: personal, or shared with everyone
// who may read its kind.
type SavedFilter struct {
	ID        int64     `json:"id"`
	OwnerID   int64     `json:"owner_id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	Shared    bool      `json:"shared"`
	Mine      bool      `json:"mine"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FilterInput is what a person gives to save or change a filter.
type FilterInput struct {
	Kind   *string `json:"kind"`
	Name   *string `json:"name"`
	Query  *string `json:"query"`
	Shared *bool   `json:"shared"`
}

// Filters keeps saved filters.
type Filters struct {
	DB    *store.DB
	Kinds *Kinds
}

// maxFilters bounds what one list returns and what one person keeps.
const maxFilters = 200

const filterCols = "id, owner_id, kind, name, query, shared, version, created_at, updated_at"

func scanFilter(sc interface{ Scan(...any) error }, p *auth.Principal) (SavedFilter, error) {
	var f SavedFilter
	var c, u store.Time
	err := sc.Scan(&f.ID, &f.OwnerID, &f.Kind, &f.Name, &f.Query, &f.Shared, &f.Version, &c, &u)
	f.CreatedAt, f.UpdatedAt, f.Mine = c.Time, u.Time, f.OwnerID == p.UserID
	return f, err
}

// List returns p's own filters and the shared ones of the kinds p may
// read; kind "" means every kind.
func (fs *Filters) List(ctx context.Context, p *auth.Principal, kind string) ([]SavedFilter, error) {
	q := "SELECT " + filterCols + " FROM saved_filters WHERE (owner_id = ? OR shared)"
	args := []any{p.UserID}
	if kind != "" {
		if _, ok := fs.Kinds.Get(kind); !ok {
			return nil, domainerr.Field("kind", "must be one of %s", fs.kindNames())
		}
		q += " AND kind = ?"
		args = append(args, kind)
	}
	rows, err := fs.DB.Query(ctx, q+" ORDER BY shared, name, id LIMIT ?", append(args, maxFilters)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SavedFilter{}
	for rows.Next() {
		f, err := scanFilter(rows, p)
		if err != nil {
			return nil, err
		}
		if k, ok := fs.Kinds.Get(f.Kind); ok && p.Can(k.Read) {
			out = append(out, f)
		}
	}
	return out, rows.Err()
}

// Get returns filter id when it is p's own or shared with p.
func (fs *Filters) Get(ctx context.Context, p *auth.Principal, id int64) (SavedFilter, error) {
	f, err := scanFilter(fs.DB.QueryRow(ctx, "SELECT "+filterCols+" FROM saved_filters WHERE id = ?", id), p)
	if err := store.ScanErr(err); err != nil {
		return SavedFilter{}, err
	}
	k, ok := fs.Kinds.Get(f.Kind)
	if (!f.Mine && !f.Shared) || !ok || !p.Can(k.Read) {
		return SavedFilter{}, store.ErrNotFound
	}
	return f, nil
}

func (fs *Filters) kindNames() string {
	var names []string
	for _, k := range fs.Kinds.All() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

// check validates f as p would save it.
func (fs *Filters) check(p *auth.Principal, f *SavedFilter) error {
	v := domainerr.NewInvalid()
	f.Name = strings.TrimSpace(f.Name)
	domainerr.Text(v, "name", f.Name, true, domainerr.MaxShort)
	k, ok := fs.Kinds.Get(f.Kind)
	if !ok || !p.Can(k.Read) {
		v.Add("kind", "must be one of %s", fs.kindNames())
	} else {
		f.Query = strings.TrimPrefix(strings.TrimSpace(f.Query), "?")
		vals, err := url.ParseQuery(f.Query)
		switch {
		case err != nil:
			v.Add("query", "is not a query string such as state=open&group_id=3")
		case len(f.Query) > 2000:
			v.Add("query", "must be at most 2000 characters")
		default:
			for name := range vals {
				if !slices.Contains(k.FilterFields, name) {
					v.Add("query", "%q is not a field of the %s list; use %s", name, k.Name, strings.Join(k.FilterFields, ", "))
					break
				}
			}
		}
	}
	if f.Shared && !p.Can(auth.FilterShare) {
		return domainerr.ErrForbidden
	}
	return v.Err()
}

// Create saves a new filter owned by p.
func (fs *Filters) Create(ctx context.Context, p *auth.Principal, in FilterInput) (SavedFilter, error) {
	f := SavedFilter{OwnerID: p.UserID, Mine: true, Version: 1}
	for dst, src := range map[*string]*string{&f.Kind: in.Kind, &f.Name: in.Name, &f.Query: in.Query} {
		if src != nil {
			*dst = *src
		}
	}
	if in.Shared != nil {
		f.Shared = *in.Shared
	}
	if err := fs.check(p, &f); err != nil {
		return SavedFilter{}, err
	}
	var n int
	if err := fs.DB.QueryRow(ctx, "SELECT COUNT(*) FROM saved_filters WHERE owner_id = ?", p.UserID).Scan(&n); err != nil {
		return SavedFilter{}, err
	}
	if n >= maxFilters {
		return SavedFilter{}, domainerr.Conflictf("you already keep %d saved filters; delete some first", maxFilters)
	}
	f.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	f.UpdatedAt = f.CreatedAt
	err := fs.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO saved_filters (owner_id, kind, name, query, shared, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, f.OwnerID, f.Kind, f.Name, f.Query, f.Shared,
			store.TS(f.CreatedAt), store.TS(f.UpdatedAt)).Scan(&f.ID)
	})
	return f, err
}

// Update changes p's own filter id; with ifVersion other than 0 a filter
// changed meanwhile is refused with ErrStale.
func (fs *Filters) Update(ctx context.Context, p *auth.Principal, id int64, in FilterInput, ifVersion int) (SavedFilter, error) {
	f, err := fs.Get(ctx, p, id)
	if err != nil {
		return SavedFilter{}, err
	}
	if !f.Mine {
		return SavedFilter{}, domainerr.ErrForbidden
	}
	if ifVersion != 0 && ifVersion != f.Version {
		return SavedFilter{}, domainerr.ErrStale
	}
	if in.Kind != nil && *in.Kind != f.Kind {
		return SavedFilter{}, domainerr.Field("kind", "cannot change; save a new filter instead")
	}
	for dst, src := range map[*string]*string{&f.Name: in.Name, &f.Query: in.Query} {
		if src != nil {
			*dst = *src
		}
	}
	if in.Shared != nil {
		f.Shared = *in.Shared
	}
	if err := fs.check(p, &f); err != nil {
		return SavedFilter{}, err
	}
	f.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
	res, err := fs.DB.Exec(ctx, `UPDATE saved_filters SET name = ?, query = ?, shared = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ?`, f.Name, f.Query, f.Shared, store.TS(f.UpdatedAt), id, f.Version)
	if err != nil {
		return SavedFilter{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return SavedFilter{}, domainerr.ErrStale
	}
	f.Version++
	return f, nil
}

// Delete removes filter id: its owner may, and an admin may remove a
// shared one.
func (fs *Filters) Delete(ctx context.Context, p *auth.Principal, id int64) error {
	f, err := fs.Get(ctx, p, id)
	if err != nil {
		return err
	}
	if !f.Mine && !(f.Shared && p.Role == auth.Admin) {
		return domainerr.ErrForbidden
	}
	_, err = fs.DB.Exec(ctx, "DELETE FROM saved_filters WHERE id = ?", id)
	return err
}
