package record

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	scan func(interface{ Scan(...any) error }) (T, error), idOf func(T) int64) (Page[T], error) {
	if b.After != 0 {
		where, args = append(where, id+" < ?"), append(args, b.After)
	}
	if len(where) > 0 {
		sel += " WHERE " + strings.Join(where, " AND ")
	}
	return readPage(ctx, q, sel+" ORDER BY "+id+" DESC LIMIT ?", append(args, b.Limit+1), b.Limit, scan,
		func(last T) string { return strconv.FormatInt(idOf(last), 10) })
}

// readPage runs the query of a page of limit rows (it asks for one more),
// reads them with scan, and gives the page the cursor next makes from its
// last row when there is more.
func readPage[T any](ctx context.Context, q store.Querier, query string, args []any, limit int,
	scan func(interface{ Scan(...any) error }) (T, error), next func(last T) string) (Page[T], error) {
	rows, err := q.Query(ctx, query, args...)
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
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.NextCursor = next(out.Items[limit-1])
	}
	return out, nil
}

// In is the condition that col is one of n values.
func In(col string, n int) string {
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// SortKey is one key a kind's list may be ordered by: its column, which
// an index ending in the record's id walks, and the value a page's last
// row leaves in the cursor. A key whose Val is nil is the id itself.
type SortKey[T any] struct {
	Col string
	// Int says the cursor's value is an integer column's, compared as one.
	Int bool
	Val func(T) string
}

// Sorts declares the orders of one kind's list: its keys by name, the id
// column (the tie-break), how a row's id is read, and the keys' names for
// the message that refuses another.
type Sorts[T any] struct {
	Keys  map[string]SortKey[T]
	ID    string
	IDOf  func(T) int64
	Names string
	// Cursors names, for an order as a request names it ("-created_at"),
	// the sort its cursors carry where that is another name ("created"):
	// the name a list wrote into its cursors before it declared its
	// orders, kept so that the links it handed out still lead on.
	Cursors map[string]string
}

// Sorted is one order of a list, as a request named it ("-created_at").
type Sorted[T any] struct {
	s    *Sorts[T]
	Sort string // as named, with its "-"
	Key  string // the key's name
	Col  string // the column walked; a kind may point it elsewhere (a search index's rowid)
	Desc bool
	k    SortKey[T]
	// cursor is the sort this order's cursors carry.
	cursor string
}

// Parse reads sort, a key's name with an optional leading "-".
func (s *Sorts[T]) Parse(sort string) (Sorted[T], error) {
	key := strings.TrimPrefix(sort, "-")
	k, ok := s.Keys[key]
	if !ok {
		return Sorted[T]{}, domainerr.Field("sort", "must be one of %s, optionally with a leading -", s.Names)
	}
	cursor := sort
	if c, ok := s.Cursors[sort]; ok {
		cursor = c
	}
	return Sorted[T]{s: s, Sort: sort, Key: key, Col: k.Col, Desc: strings.HasPrefix(sort, "-"), k: k, cursor: cursor}, nil
}

// MustParse is Parse for an order a list fixes itself, which a request
// never names: it panics on an undeclared one.
func (s *Sorts[T]) MustParse(sort string) Sorted[T] {
	o, err := s.Parse(sort)
	if err != nil {
		panic("record: undeclared order " + sort)
	}
	return o
}

func (o Sorted[T]) op() (string, string) {
	if o.Desc {
		return "<", "DESC"
	}
	return ">", "ASC"
}

// After adds to where the condition that rows come after cursor, which
// must have been issued for this order.
func (o Sorted[T]) After(cursor string, where []string, args []any) ([]string, []any, error) {
	if cursor == "" {
		return where, args, nil
	}
	c, err := DecodeCursor(cursor, o.cursor)
	if err != nil {
		return where, args, err
	}
	op, _ := o.op()
	if o.k.Val == nil {
		return append(where, o.Col+" "+op+" ?"), append(args, c.ID), nil
	}
	var v any = c.Val
	if o.k.Int {
		n, err := strconv.Atoi(c.Val)
		if err != nil {
			return where, args, ErrBadCursor
		}
		v = n
	}
	return append(where, "("+o.Col+", "+o.s.ID+") "+op+" (?, ?)"), append(args, v, c.ID), nil
}

// Order is the ORDER BY list of this order: the column, then the id.
func (o Sorted[T]) Order() string {
	_, dir := o.op()
	if o.k.Val == nil {
		return o.Col + " " + dir
	}
	return o.Col + " " + dir + ", " + o.s.ID + " " + dir
}

// Next is the cursor of the page after the one ending at last.
func (o Sorted[T]) Next(last T) string {
	c := Cursor{Sort: o.cursor, ID: o.s.IDOf(last)}
	if o.k.Val != nil {
		c.Val = o.k.Val(last)
	}
	return c.Encode()
}

// Read runs sel (a SELECT with its FROM and joins) under where, past
// cursor, in this order, and reads a page of limit rows with scan and the
// cursor of the next one. The page size is written into the statement,
// not bound: PostgreSQL costs an unknown limit as a tenth of the table and
// would plan every page afresh.
func (o Sorted[T]) Read(ctx context.Context, q store.Querier, sel string, where []string, args []any, cursor string,
	limit int, scan func(interface{ Scan(...any) error }) (T, error)) (Page[T], error) {
	where, args, err := o.After(cursor, where, args)
	if err != nil {
		return Page[T]{}, err
	}
	if len(where) > 0 {
		sel += " WHERE " + strings.Join(where, " AND ")
	}
	return readPage(ctx, q, sel+fmt.Sprintf(" ORDER BY %s LIMIT %d", o.Order(), limit+1), args, limit, scan, o.Next)
}

// TicketOrder reads a ticket list's sort and page size as every ticket
// kind takes them: newest first unless sort names another order; a search
// (query) by number, the only order its index yields, newest first unless
// "number" asks for the oldest; 50 rows unless limit says, and at most max.
func (s *Sorts[T]) TicketOrder(sort, query string, limit, max int) (Sorted[T], int, error) {
	if sort == "" {
		sort = "-created_at"
		if query != "" {
			sort = "-number"
		}
	}
	order, err := s.Parse(sort)
	if err != nil {
		return order, 0, err
	}
	if query != "" && order.Key != "number" {
		return order, 0, domainerr.Field("sort", "search results are ordered by number: use number or -number")
	}
	if limit <= 0 {
		limit = 50
	}
	if limit > max {
		return order, 0, domainerr.Field("limit", "must be between 1 and %d", max)
	}
	return order, limit, nil
}
