package record

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Page is one page of a keyset-paged list: its items and the cursor of
// the next page, "" on the last one.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Cursor is the keyset position after the last row of a page: the value
// of the sort column and the id, for the sort it was issued for.
type Cursor struct {
	Sort string `json:"s"`
	Val  string `json:"v"`
	ID   int64  `json:"i"`
}

// ErrBadCursor is returned for a cursor that was not issued for this sort.
var ErrBadCursor = domainerr.Field("cursor", "is not a cursor from a previous page of this list")

// Encode writes the cursor for a link.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor, refusing one issued for another sort.
func DecodeCursor(s, sort string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 || json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID <= 0 {
		return c, ErrBadCursor
	}
	return c, nil
}

// ByID is a list paged by id, newest first, whose cursor is the id of the
// previous page's last row: the lists of kinds with no sort of their own.
type ByID struct {
	Limit int
	After int64 // 0 on the first page
}

// PageByID reads a list's limit (0 is 50, above max refused) and cursor
// into v.
func PageByID(v *domainerr.Invalid, limit, max int, cursor string) ByID {
	b := ByID{Limit: limit}
	if b.Limit <= 0 {
		b.Limit = 50
	}
	if b.Limit > max {
		v.Add("limit", "must be at most %d", max)
	}
	if cursor != "" {
		after, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || after <= 0 {
			v.Add("cursor", "is not a page link this list gave")
		}
		b.After = after
	}
	return b
}

// ReadByID runs sel (a SELECT with its FROM) under where, past the cursor on
// column id, newest first, and reads a page with scan.
func ReadByID[T any](ctx context.Context, q store.Querier, b ByID, sel, id string, where []string, args []any,
	scan func(*sql.Rows) (T, error), idOf func(T) int64) (Page[T], error) {
	if b.After != 0 {
		where, args = append(where, id+" < ?"), append(args, b.After)
	}
	if len(where) > 0 {
		sel += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := q.Query(ctx, sel+" ORDER BY "+id+" DESC LIMIT ?", append(args, b.Limit+1)...)
	if err != nil {
		return Page[T]{}, err
	}
	defer rows.Close()
	out := Page[T]{Items: []T{}}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return Page[T]{}, err
		}
		out.Items = append(out.Items, x)
	}
	if err := rows.Err(); err != nil {
		return Page[T]{}, err
	}
	if len(out.Items) > b.Limit {
		out.Items = out.Items[:b.Limit]
		out.NextCursor = strconv.FormatInt(idOf(out.Items[b.Limit-1]), 10)
	}
	return out, nil
}

// In is the condition that col is one of n values.
func In(col string, n int) string {
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}
