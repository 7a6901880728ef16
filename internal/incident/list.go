package incident

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"steward/internal/auth"
	"steward/internal/problem"
	"steward/internal/store"
)

// Filter selects incidents for a list. Zero values mean "any".
type Filter struct {
	States        []State
	Priorities    []Priority
	GroupIDs      []int64
	AssigneeID    int64
	Unassigned    bool
	CustomerID    int64
	RequesterID   int64
	Category      string
	Major         *bool
	CreatedAfter  time.Time
	CreatedBefore time.Time
	Query         string // full-text search over title, description and public comments
	Sort          string // created_at, updated_at, priority; a leading "-" sorts descending
	Limit         int
	Cursor        string
}

// MaxLimit caps one page.
const MaxLimit = 200

// sortColumns are the keys a list may be ordered by.
var sortColumns = map[string]string{"created_at": "i.created_at", "updated_at": "i.updated_at", "priority": "i.priority"}

// cursor is the keyset position after the last row of a page.
type cursor struct {
	Sort string `json:"s"`
	Val  string `json:"v"`
	ID   int64  `json:"i"`
}

// ErrBadCursor is returned for a cursor that was not issued for this sort.
var ErrBadCursor = problem.Field("cursor", "is not a cursor from a previous page of this list")

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 || json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID <= 0 {
		return c, ErrBadCursor
	}
	return c, nil
}

// Page is one page of a list.
type Page struct {
	Items      []Incident `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// List returns the incidents p may see that match f, one page at a time.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if !p.Can(auth.IncidentRead) {
		return Page{}, problem.ErrForbidden
	}
	if f.Sort == "" {
		f.Sort = "-created_at"
	}
	desc := strings.HasPrefix(f.Sort, "-")
	col, ok := sortColumns[strings.TrimPrefix(f.Sort, "-")]
	if !ok {
		return Page{}, problem.Field("sort", "must be one of created_at, updated_at, priority, optionally with a leading -")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxLimit {
		return Page{}, problem.Field("limit", "must be between 1 and %d", MaxLimit)
	}
	where, args := s.where(p, f)
	if f.Query != "" {
		clause, arg, ok := s.searchClause(f.Query)
		if !ok {
			return Page{}, problem.Field("q", "must contain at least one letter or digit")
		}
		where = append(where, clause)
		args = append(args, arg)
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, f.Sort)
		if err != nil {
			return Page{}, err
		}
		var v any = c.Val
		if col == "i.priority" {
			var n int
			if _, err := fmt.Sscan(c.Val, &n); err != nil {
				return Page{}, ErrBadCursor
			}
			v = n
		}
		where = append(where, fmt.Sprintf("(%s %s ? OR (%s = ? AND i.id %s ?))", col, op, col, op))
		args = append(args, v, v, c.ID)
	}
	q := selectCols
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY %s %s, i.id %s LIMIT ?", col, dir, dir)
	args = append(args, f.Limit+1)
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	page := Page{Items: []Incident{}}
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, inc)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		last := page.Items[f.Limit-1]
		val := store.TS(last.CreatedAt)
		switch col {
		case "i.updated_at":
			val = store.TS(last.UpdatedAt)
		case "i.priority":
			val = fmt.Sprint(int(last.Priority))
		}
		page.NextCursor = encodeCursor(cursor{Sort: f.Sort, Val: val, ID: last.ID})
	}
	return page, nil
}

func (s *Service) where(p *auth.Principal, f Filter) ([]string, []any) {
	var where []string
	var args []any
	in := func(col string, n int) string {
		return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	}
	if !p.IsStaff() {
		if p.CustomerID != 0 {
			where, args = append(where, "i.customer_id = ?"), append(args, p.CustomerID)
		} else {
			where, args = append(where, "i.requester_id = ?"), append(args, p.UserID)
		}
	}
	if len(f.States) > 0 {
		where = append(where, in("i.state", len(f.States)))
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if len(f.Priorities) > 0 {
		where = append(where, in("i.priority", len(f.Priorities)))
		for _, pr := range f.Priorities {
			args = append(args, int(pr))
		}
	}
	if len(f.GroupIDs) > 0 {
		where = append(where, in("i.group_id", len(f.GroupIDs)))
		for _, g := range f.GroupIDs {
			args = append(args, g)
		}
	}
	if f.Unassigned {
		where = append(where, "i.assignee_id IS NULL")
	} else if f.AssigneeID != 0 {
		where, args = append(where, "i.assignee_id = ?"), append(args, f.AssigneeID)
	}
	if f.CustomerID != 0 {
		where, args = append(where, "i.customer_id = ?"), append(args, f.CustomerID)
	}
	if f.RequesterID != 0 {
		where, args = append(where, "i.requester_id = ?"), append(args, f.RequesterID)
	}
	if f.Category != "" {
		where, args = append(where, "i.category = ?"), append(args, f.Category)
	}
	if f.Major != nil {
		where, args = append(where, "i.major = ?"), append(args, *f.Major)
	}
	if !f.CreatedAfter.IsZero() {
		where, args = append(where, "i.created_at >= ?"), append(args, store.TS(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		where, args = append(where, "i.created_at < ?"), append(args, store.TS(f.CreatedBefore))
	}
	return where, args
}

// searchTerms splits a query into words of letters and digits, at most ten.
func searchTerms(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	if len(words) > 10 {
		words = words[:10]
	}
	return words
}

// searchClause builds the engine's full-text condition. Every word must
// match; the last one also matches as a prefix, so results follow typing.
func (s *Service) searchClause(q string) (string, string, bool) {
	words := searchTerms(q)
	if len(words) == 0 {
		return "", "", false
	}
	parts := make([]string, len(words))
	if s.DB.Dialect() == store.Postgres {
		for i, w := range words {
			parts[i] = strings.ToLower(w)
		}
		parts[len(parts)-1] += ":*"
		return "i.search @@ to_tsquery('english', ?)", strings.Join(parts, " & "), true
	}
	for i, w := range words {
		parts[i] = `"` + w + `"`
	}
	parts[len(parts)-1] += "*"
	return "i.id IN (SELECT rowid FROM incident_fts WHERE incident_fts MATCH ?)", strings.Join(parts, " "), true
}
