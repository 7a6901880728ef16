package cmdb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// CIFilter selects CIs for a list. Zero values mean "any". Faults are
// reported under the query parameter's name: type, status, attr.<name>,
// limit, cursor.
type CIFilter struct {
	Types      []string // names or ids
	Statuses   []Status
	CustomerID int64
	GroupID    int64
	ServiceID  int64
	Query      string            // part of the name, any letter case
	Attrs      map[string]string // attribute name -> exact value
	Limit      int
	Cursor     string
}

// Paging limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	MaxAttrTerms = 10
)

// CIPage is one page of CIs.
type CIPage struct {
	Items      []CI   `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// ErrBadCursor is returned for a cursor this list did not issue.
var ErrBadCursor = domainerr.Field("cursor", "is not a cursor from a previous page of this list")

// idCursor is the keyset position after a page ordered by id.
type idCursor struct {
	After int64 `json:"a"`
}

func encodeIDCursor(id int64) string {
	b, _ := json.Marshal(idCursor{After: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeIDCursor reads a cursor; "" is the first page (0).
func decodeIDCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	var c idCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 100 || json.Unmarshal(b, &c) != nil || c.After <= 0 {
		return 0, ErrBadCursor
	}
	return c.After, nil
}

func checkLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 1 || n > MaxLimit:
		return 0, domainerr.Field("limit", "must be between 1 and %d", MaxLimit)
	}
	return n, nil
}

// ListCIs returns the CIs that match f, by id.
func (s *Service) ListCIs(ctx context.Context, f CIFilter) (CIPage, error) {
	limit, err := checkLimit(f.Limit)
	if err != nil {
		return CIPage{}, err
	}
	after, err := decodeIDCursor(f.Cursor)
	if err != nil {
		return CIPage{}, err
	}
	where, args, err := s.ciWhere(ctx, f)
	if err != nil {
		return CIPage{}, err
	}
	where = append(where, "c.id > ?")
	args = append(args, after, limit+1)
	rows, err := s.DB.Query(ctx, "SELECT "+ciCols+ciFrom+" WHERE "+strings.Join(where, " AND ")+" ORDER BY c.id LIMIT ?", args...)
	if err != nil {
		return CIPage{}, err
	}
	defer rows.Close()
	page := CIPage{Items: []CI{}}
	for rows.Next() {
		c, err := scanCI(rows)
		if err != nil {
			return CIPage{}, err
		}
		page.Items = append(page.Items, c)
	}
	if err := rows.Err(); err != nil {
		return CIPage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = encodeIDCursor(page.Items[limit-1].ID)
	}
	return page, nil
}

// CheckCIFilter reports every fault of a filter at once, under the query
// parameters' names, without listing anything.
func (s *Service) CheckCIFilter(ctx context.Context, f CIFilter) error {
	v := domainerr.NewInvalid()
	if _, err := checkLimit(f.Limit); err != nil {
		mergeInvalid(v, err)
	}
	if _, err := decodeIDCursor(f.Cursor); err != nil {
		mergeInvalid(v, err)
	}
	if _, _, err := s.ciWhere(ctx, f); err != nil {
		if err := mergeInvalid(v, err); err != nil {
			return err
		}
	}
	return v.Err()
}

// ciWhere turns a filter into SQL conditions on cis c.
func (s *Service) ciWhere(ctx context.Context, f CIFilter) ([]string, []any, error) {
	v := domainerr.NewInvalid()
	var where []string
	var args []any
	add := func(clause string, vals ...any) {
		where, args = append(where, clause), append(args, vals...)
	}
	var types []CIType
	for _, ref := range f.Types {
		t, err := FindType(ctx, s.DB, ref)
		if errors.Is(err, store.ErrNotFound) {
			v.Add("type", "no CI type %q", ref)
			continue
		} else if err != nil {
			return nil, nil, err
		}
		types = append(types, t)
	}
	if len(types) > 0 {
		ids := make([]int64, len(types))
		for i, t := range types {
			ids[i] = t.ID
		}
		add("c.type_id IN ("+placeholders(len(ids))+")", int64Args(ids)...)
	}
	if len(f.Statuses) > 0 {
		vals := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			if !st.Valid() {
				v.Add("status", "must be planned, in_use, maintenance or retired (commas for several)")
			}
			vals[i] = string(st)
		}
		add("c.status IN ("+placeholders(len(vals))+")", vals...)
	}
	for _, col := range []struct {
		name string
		id   int64
	}{{"c.customer_id", f.CustomerID}, {"c.group_id", f.GroupID}, {"c.service_id", f.ServiceID}} {
		if col.id != 0 {
			add(col.name+" = ?", col.id)
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
		add(`lower(c.name) LIKE lower(?) ESCAPE '\'`, "%"+esc+"%")
	}
	if len(f.Attrs) > MaxAttrTerms {
		v.Add("attr", "at most %d attribute filters", MaxAttrTerms)
	} else if len(f.Attrs) > 0 {
		if len(f.Types) == 0 {
			all, err := allTypes(ctx, s.DB)
			if err != nil {
				return nil, nil, err
			}
			types = all
		}
		names := make([]string, 0, len(f.Attrs))
		for n := range f.Attrs {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			clause, vals := attrFilter(s.DB.Dialect(), types, len(f.Types) > 0, n, f.Attrs[n], v)
			if clause != "" {
				add(clause, vals...)
			}
		}
	}
	if len(where) == 0 {
		where = append(where, "1 = 1")
	}
	return where, args, v.Err()
}

// attrFilter matches CIs whose attribute name equals value, read as each
// type that has the attribute reads it: through the identifier index for
// unique attributes, the stored JSON otherwise.
func attrFilter(d store.Dialect, types []CIType, chosen bool, name, value string, v *domainerr.Invalid) (string, []any) {
	field := "attr." + name
	var clauses []string
	var args []any
	var lastErr error
	defined := false
	for i := range types {
		t := &types[i]
		a, ok := t.Attr(name)
		if !ok {
			continue
		}
		defined = true
		val, err := CoerceValue(a, value)
		if err != nil {
			lastErr = err
			continue
		}
		if a.Unique {
			clauses = append(clauses, "(c.type_id = ? AND c.id IN (SELECT ci_id FROM ci_identifiers WHERE type_id = ? AND attribute = ? AND value = ?))")
			args = append(args, t.ID, t.ID, name, IdentifierValue(val))
			continue
		}
		clauses = append(clauses, "(c.type_id = ? AND "+attrMatch(d, "c.attributes")+")")
		args = append(append(args, t.ID), attrMatchArgs(d, name, val)...)
	}
	switch {
	case !defined && len(types) == 1:
		v.Add(field, "type %q has no attribute %q", types[0].Name, name)
	case !defined && chosen:
		v.Add(field, "none of these CI types has an attribute %q", name)
	case !defined:
		v.Add(field, "no CI type has an attribute %q", name)
	case len(clauses) == 0:
		v.Add(field, "%s", lastErr)
	}
	if len(clauses) == 0 {
		return "", nil
	}
	return "(" + strings.Join(clauses, " OR ") + ")", args
}
