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

// sorts are the orders of the list: by number, either way.
var sorts = &record.Sorts[Release]{ID: "r.id", IDOf: func(r Release) int64 { return r.ID }, Names: "number",
	Keys: map[string]record.SortKey[Release]{"number": {Col: "r.id"}}}

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
	order, err := sorts.Parse(f.Sort)
	if err != nil {
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
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	return order.Read(ctx, q, selectRelease, where, args, f.Cursor, f.Limit, scanRelease)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
