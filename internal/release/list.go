package release

import (
	"context"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Filter selects releases for a list. Zero values mean "any".
type Filter struct {
	States []State
	Types  []Type
	Query  string // words in the title, or a release number
	Sort   string // -number (newest first, the default) or number
	Limit  int
	Cursor string
}

// MaxLimit caps one page.
const MaxLimit = 200

// Page is one page of releases.
type Page = record.Page[Release]

// List returns the releases that match f, one page at a time, walking the
// primary key (or the state and type indexes, which end in it).
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if !p.Can(PermRead) {
		return Page{}, domainerr.ErrForbidden
	}
	return list(ctx, s.DB, f)
}

func list(ctx context.Context, q store.Querier, f Filter) (Page, error) {
	v := domainerr.NewInvalid()
	if f.Sort == "" {
		f.Sort = "-number"
	}
	if f.Sort != "number" && f.Sort != "-number" {
		v.Add("sort", "must be number or -number")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	var where []string
	var args []any
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			if !st.valid() {
				v.Add("state", "must be one of %s", strings.Join(Machine.States, ", "))
			}
			ph[i], args = "?", append(args, string(st))
		}
		where = append(where, "r.state IN ("+strings.Join(ph, ", ")+")")
	}
	if len(f.Types) > 0 {
		ph := make([]string, len(f.Types))
		for i, t := range f.Types {
			if !t.valid() {
				v.Add("type", "must be major, minor or emergency")
			}
			ph[i], args = "?", append(args, string(t))
		}
		where = append(where, "r.type IN ("+strings.Join(ph, ", ")+")")
	}
	if words := strings.TrimSpace(f.Query); words != "" {
		if id, ok := record.NumberID(NumberPrefix, words); ok {
			where, args = append(where, "r.id = ?"), append(args, id)
		} else {
			where = append(where, `lower(r.title) LIKE ? ESCAPE '\'`)
			args = append(args, "%"+likeEscape(strings.ToLower(words))+"%")
		}
	}
	op, dir := "<", "DESC"
	if f.Sort == "number" {
		op, dir = ">", "ASC"
	}
	if f.Cursor != "" {
		c, err := record.DecodeCursor(f.Cursor, f.Sort)
		if err != nil {
			return Page{}, err
		}
		where, args = append(where, "r.id "+op+" ?"), append(args, c.ID)
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	query := selectRelease
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := q.Query(ctx, query+" ORDER BY r.id "+dir+" LIMIT ?", append(args, f.Limit+1)...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	page := Page{Items: []Release{}}
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		page.NextCursor = record.Cursor{Sort: f.Sort, ID: page.Items[f.Limit-1].ID}.Encode()
	}
	return page, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
