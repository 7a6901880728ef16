package request

import (
	"context"
	"errors"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Filter selects requests for a list. Zero values mean "any".
type Filter struct {
	States      []State
	Priorities  []Priority
	GroupIDs    []int64
	AssigneeID  int64
	Unassigned  bool
	CustomerID  int64
	RequesterID int64
	ServiceID   int64
	ItemID      int64
	// CreatedAfter/CreatedBefore select the requests raised in
	// [CreatedAfter, CreatedBefore); FulfilledAfter/FulfilledBefore those
	// fulfilled in such a span.
	CreatedAfter, CreatedBefore     time.Time
	FulfilledAfter, FulfilledBefore time.Time
	Query                           string // full-text search over title and description, or a request number
	Sort                            string // created_at, updated_at or number; a leading "-" sorts descending
	Limit                           int
	Cursor                          string
}

// MaxLimit caps one page.
const MaxLimit = 200

// ListFields are the list fields requests read as incidents do.
var ListFields = record.TicketFields[State, Priority]{States: States, Open: OpenStates, Priority: ParsePriority}

// With is f with each field the list query q names put in place of f's.
func (f Filter) With(q record.TicketQuery[State, Priority]) Filter {
	q.Apply(record.Into[State, Priority]{States: &f.States, Priorities: &f.Priorities, GroupIDs: &f.GroupIDs, Unassigned: &f.Unassigned,
		AssigneeID: &f.AssigneeID, CustomerID: &f.CustomerID, RequesterID: &f.RequesterID, ServiceID: &f.ServiceID, Query: &f.Query, Sort: &f.Sort})
	return f
}

// sorts are the keys a list may be ordered by; each has an index ending
// in id, so a page is a walk along it.
var sorts = &record.Sorts[Request]{ID: "r.id", IDOf: func(r Request) int64 { return r.ID },
	Names: "created_at, updated_at, number",
	Keys: map[string]record.SortKey[Request]{
		"created_at": {Col: "r.created_at", Val: func(r Request) string { return store.TS(r.CreatedAt) }},
		"updated_at": {Col: "r.updated_at", Val: func(r Request) string { return store.TS(r.UpdatedAt) }},
		"number":     {Col: "r.id"},
	}}

// ErrBadCursor is returned for a cursor that was not issued for this sort.
var ErrBadCursor = record.ErrBadCursor

// Page is one page of a list.
type Page = record.Page[Request]

// List returns the requests p may see that match f, one page at a time,
// walking an index in page order as incident lists do.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if !p.Can(PermRead) {
		return Page{}, domainerr.ErrForbidden
	}
	if id, ok := record.NumberID(NumberPrefix, f.Query); ok && f.Cursor == "" {
		return s.byNumber(ctx, p, id)
	}
	order, limit, err := sorts.TicketOrder(f.Sort, f.Query, f.Limit, MaxLimit)
	if err != nil {
		return Page{}, err
	}
	key := order.Key
	from := " FROM requests r"
	where, args := s.where(p, f, key == "created_at" && f.Query == "")
	if f.Query != "" {
		arg, ok := record.FullText(s.DB.Dialect(), f.Query)
		if !ok {
			return Page{}, domainerr.Field("q", "must contain at least one letter or digit")
		}
		clause := "r.search @@ to_tsquery('english', ?)"
		if s.DB.Dialect() == store.SQLite {
			// Drive the page from the search index, which yields rowids in order.
			from, clause = " FROM request_fts f JOIN requests r ON r.id = f.rowid", "request_fts MATCH ?"
		}
		where, args = append([]string{clause}, where...), append([]any{arg}, args...)
	}
	return order.Read(ctx, s.DB, "SELECT "+requestCols+from+nameJoins, where, args, f.Cursor, limit, scanRequest)
}

func (s *Service) walked(col string) string { return record.Walked(s.DB.Dialect(), col) }

// where builds the filter. With byIndex, single-value filters may use
// their column's index; otherwise they are checked during the walk, on
// PostgreSQL as one array parameter each so that a queue keeps one plan
// (see record.OneOf).
func (s *Service) where(p *auth.Principal, f Filter, byIndex bool) ([]string, []any) {
	var where []string
	var args []any
	add := func(clause string, vals ...any) {
		where, args = append(where, clause), append(args, vals...)
	}
	in := func(col string, vals []any) {
		if len(vals) == 1 && byIndex {
			add(col+" = ?", vals[0])
			return
		}
		cond, bound := record.OneOf(s.DB.Dialect(), col, vals)
		add(cond, bound...)
	}
	eq := func(col string, val any) { in(col, []any{val}) }
	if !p.IsStaff() {
		if p.CustomerID != 0 {
			eq("r.customer_id", p.CustomerID)
		} else {
			add("r.requester_id = ?", p.UserID)
		}
	}
	if len(f.States) > 0 {
		vals := make([]any, len(f.States))
		for i, st := range f.States {
			vals[i] = string(st)
		}
		in("r.state", vals)
	}
	if len(f.Priorities) > 0 {
		vals := make([]any, len(f.Priorities))
		for i, pr := range f.Priorities {
			vals[i] = int(pr)
		}
		in("r.priority", vals)
	}
	if len(f.GroupIDs) > 0 {
		vals := make([]any, len(f.GroupIDs))
		for i, g := range f.GroupIDs {
			vals[i] = g
		}
		in("r.group_id", vals)
	}
	switch {
	case f.Unassigned && byIndex:
		add("r.assignee_id IS NULL")
	case f.Unassigned:
		add(s.walked("r.assignee_id") + " IS NULL")
	case f.AssigneeID != 0:
		eq("r.assignee_id", f.AssigneeID)
	}
	if f.CustomerID != 0 {
		eq("r.customer_id", f.CustomerID)
	}
	if f.RequesterID != 0 {
		add("r.requester_id = ?", f.RequesterID)
	}
	if f.ServiceID != 0 {
		eq("r.service_id", f.ServiceID)
	}
	if f.ItemID != 0 {
		eq("r.item_id", f.ItemID)
	}
	for _, c := range []struct {
		cond string
		at   time.Time
	}{{"r.created_at >= ?", f.CreatedAfter}, {"r.created_at < ?", f.CreatedBefore},
		{"r.fulfilled_at >= ?", f.FulfilledAfter}, {"r.fulfilled_at < ?", f.FulfilledBefore}} {
		if !c.at.IsZero() {
			add(c.cond, store.TS(c.at))
		}
	}
	return where, args
}

// byNumber is the answer to a search for one request number: that request
// when p may see it, else nothing.
func (s *Service) byNumber(ctx context.Context, p *auth.Principal, id int64) (Page, error) {
	r, err := s.Get(ctx, p, id)
	if errors.Is(err, store.ErrNotFound) {
		return Page{Items: []Request{}}, nil
	}
	if err != nil {
		return Page{}, err
	}
	return Page{Items: []Request{r}}, nil
}
