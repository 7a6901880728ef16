package incident

import (
	"context"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
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
	ServiceID     int64
	Category      string
	Major         *bool
	CreatedAfter  time.Time
	CreatedBefore time.Time
	// ResolvedAfter and ResolvedBefore select the incidents resolved in
	// [ResolvedAfter, ResolvedBefore), reopened or closed since or not.
	ResolvedAfter  time.Time
	ResolvedBefore time.Time
	Query          string // full-text search over title, description and public comments
	Sort           string // created_at, updated_at, priority or number; a leading "-" sorts descending
	Limit          int
	Cursor         string
}

// MaxLimit caps one page.
const MaxLimit = 200

// ListFields are the list fields incidents read as requests do.
var ListFields = record.TicketFields[State, Priority]{States: States, Open: OpenStates, Priority: ParsePriority}

// With is f with each field the list query q names put in place of f's.
func (f Filter) With(q record.TicketQuery[State, Priority]) Filter {
	q.Apply(record.Into[State, Priority]{States: &f.States, Priorities: &f.Priorities, GroupIDs: &f.GroupIDs, Unassigned: &f.Unassigned,
		AssigneeID: &f.AssigneeID, CustomerID: &f.CustomerID, RequesterID: &f.RequesterID, ServiceID: &f.ServiceID, Query: &f.Query, Sort: &f.Sort})
	return f
}

// sorts are the keys a list may be ordered by. Each has an index that
// ends in id, so a page is a walk along it.
var sorts = &record.Sorts[Incident]{ID: "i.id", IDOf: func(i Incident) int64 { return i.ID },
	Names: "created_at, updated_at, priority, number",
	Keys: map[string]record.SortKey[Incident]{
		"created_at": {Col: "i.created_at", Val: func(i Incident) string { return store.TS(i.CreatedAt) }},
		"updated_at": {Col: "i.updated_at", Val: func(i Incident) string { return store.TS(i.UpdatedAt) }},
		"priority":   {Col: "i.priority", Int: true, Val: func(i Incident) string { return strconv.Itoa(int(i.Priority)) }},
		"number":     {Col: "i.id"},
	}}

// ErrBadCursor is returned for a cursor that was not issued for this sort.
var ErrBadCursor = record.ErrBadCursor

// Page is one page of a list.
type Page = record.Page[Incident]

// List returns the incidents p may see that match f, one page at a time.
//
// Every list is shaped so that the database walks an index in the order of
// the page and stops when the page is full, instead of fetching every match
// and sorting it. An open queue (the open states, no search) walks one of
// the indexes over open incidents only, so that the closed ones, nineteen
// in twenty at a desk that has run for a while, are never read: see
// queueLead. Any other list ordered by created_at walks, for a filter on
// one value of a column, that column's (column, created_at, id) index.
// Any other filter, and every filter of a list ordered otherwise, is
// checked row by row during the walk; the one exception is the requester,
// whose few incidents are cheaper to fetch and sort. Searches walk the
// search index newest first.
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
	from := " FROM incidents i"
	where, args := s.where(p, f, key)
	if f.Query != "" {
		clause, arg, sqliteFTS, ok := s.searchClause(f.Query)
		if !ok {
			return Page{}, domainerr.Field("q", "must contain at least one letter or digit")
		}
		if sqliteFTS {
			// Drive the page from the search index, which yields rowids in order.
			from = " FROM incident_fts f JOIN incidents i ON i.id = f.rowid"
			order.Col = "f.rowid"
		}
		where = append([]string{clause}, where...)
		args = append([]any{arg}, args...)
	}
	return order.Read(ctx, s.DB, "SELECT "+incidentCols+from+nameJoins, where, args, f.Cursor, limit, scanIncident)
}

func (s *Service) walked(col string) string { return record.Walked(s.DB.Dialect(), col) }

// openStates is the condition the queue indexes are partial on
// (migrations 0009_queue_indexes.sql), written exactly as there: SQLite
// uses a partial index only for a query that states its condition term for
// term, in literals, since a bound parameter never matches. On SQLite the
// "+" keeps the full state index from serving the condition instead.
func (s *Service) openStates() string {
	if s.DB.Dialect() == store.SQLite {
		return "+i.state IN ('new', 'in_progress', 'on_hold')"
	}
	return "i.state IN ('new', 'in_progress', 'on_hold')"
}

// isOpenQueue reports whether f lists exactly the open states, without a
// search: a queue the indexes over open incidents serve.
func isOpenQueue(f Filter) bool {
	if f.Query != "" || len(f.States) == 0 {
		return false
	}
	seen := map[State]bool{}
	for _, st := range f.States {
		if st != New && st != InProgress && st != OnHold {
			return false
		}
		seen[st] = true
	}
	return len(seen) == len(OpenStates)
}

// queueLead names the filter columns of an open queue ordered by key whose
// index leads the walk; the others are checked during it. The indexes over
// all open incidents, one per order, carry the group, assignee, priority
// and major flag, so a walk checks those in the index and reads only the
// incidents it shows, and it never passes more than the open incidents.
// Two queues that are few in a crowd have an index of their own: the
// unassigned incidents of one group (fetched and sorted when ordered other
// than by last update), and the major ones by last update, which the
// index's condition leads (see where).
func queueLead(f Filter, key string) map[string]bool {
	switch {
	case f.Unassigned && len(f.GroupIDs) == 1:
		return map[string]bool{"i.assignee_id": true, "i.group_id": true}
	case key == "updated_at":
		return map[string]bool{"i.major": true}
	}
	return nil
}

// where builds the filter for a list ordered by key. Filters on the
// columns that lead the walk may use their index; the others are checked
// during the walk (see record.OneOf, which also keeps PostgreSQL on one
// plan).
func (s *Service) where(p *auth.Principal, f Filter, key string) ([]string, []any) {
	var where []string
	var args []any
	add := func(clause string, vals ...any) {
		where, args = append(where, clause), append(args, vals...)
	}
	open := isOpenQueue(f)
	byIndex := key == "created_at" && f.Query == "" && !open
	var lead map[string]bool
	if open {
		lead = queueLead(f, key)
	}
	in := func(col string, vals []any) {
		// Priority's index is (priority, id), not (priority, created_at,
		// id): a seek in it fetches and sorts every incident of that
		// priority, while a walk of incidents_created fills a page soon
		// unless that priority is very rare (P1 is one incident in
		// twenty-five at the seeded desk), so one priority is checked
		// during the walk, as several are.
		seeks := byIndex && col != "i.priority"
		if len(vals) == 1 && (seeks || lead[col]) {
			add(col+" = ?", vals[0])
			return
		}
		cond, bound := record.OneOf(s.DB.Dialect(), col, vals)
		add(cond, bound...)
	}
	eq := func(col string, val any) { in(col, []any{val}) }
	if !p.IsStaff() {
		if p.CustomerID != 0 {
			eq("i.customer_id", p.CustomerID)
		} else {
			add("i.requester_id = ?", p.UserID)
		}
	}
	if open {
		add(s.openStates())
	} else if len(f.States) > 0 {
		vals := make([]any, len(f.States))
		for i, st := range f.States {
			vals[i] = string(st)
		}
		in("i.state", vals)
	}
	if len(f.Priorities) > 0 {
		vals := make([]any, len(f.Priorities))
		for i, pr := range f.Priorities {
			vals[i] = int(pr)
		}
		in("i.priority", vals)
	}
	if len(f.GroupIDs) > 0 {
		vals := make([]any, len(f.GroupIDs))
		for i, g := range f.GroupIDs {
			vals[i] = g
		}
		in("i.group_id", vals)
	}
	if f.Unassigned && (byIndex || lead["i.assignee_id"]) {
		add("i.assignee_id IS NULL")
	} else if f.Unassigned {
		add(s.walked("i.assignee_id") + " IS NULL")
	} else if f.AssigneeID != 0 {
		eq("i.assignee_id", f.AssigneeID)
	}
	if f.CustomerID != 0 {
		eq("i.customer_id", f.CustomerID)
	}
	if f.RequesterID != 0 {
		add("i.requester_id = ?", f.RequesterID)
	}
	if f.ServiceID != 0 {
		eq("i.service_id", f.ServiceID)
	}
	if f.Category != "" {
		eq("i.category", f.Category)
	}
	switch {
	case f.Major == nil:
	case *f.Major && lead["i.major"]:
		add("i.major") // the condition of the major queue's index
	case *f.Major:
		add(s.walked("i.major"))
	default:
		add("NOT " + s.walked("i.major"))
	}
	if !f.CreatedAfter.IsZero() {
		add("i.created_at >= ?", store.TS(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		add("i.created_at < ?", store.TS(f.CreatedBefore))
	}
	if !f.ResolvedAfter.IsZero() {
		add("i.resolved_at >= ?", store.TS(f.ResolvedAfter))
	}
	if !f.ResolvedBefore.IsZero() {
		add("i.resolved_at < ?", store.TS(f.ResolvedBefore))
	}
	return where, args
}

// searchClause builds the engine's full-text condition (see
// record.FullText: every word must match, with English stemming; a word
// ended with "*" matches as a prefix, opt-in because prefixes cost the
// index far more than whole words).
func (s *Service) searchClause(q string) (clause, arg string, sqliteFTS, ok bool) {
	arg, ok = record.FullText(s.DB.Dialect(), q)
	if s.DB.Dialect() == store.Postgres {
		return "i.search @@ to_tsquery('english', ?)", arg, false, ok
	}
	return "incident_fts MATCH ?", arg, true, ok
}
