package change

import (
	"context"
	"slices"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// List limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// FilterFields are the list parameters a saved change filter may use.
var FilterFields = []string{"state", "type", "assignee_id", "q"}

// Filter selects changes, newest first.
type Filter struct {
	States []string
	Types  []string
	// Outcomes selects the changes implemented with one of these outcomes.
	Outcomes   []string
	AssigneeID int64
	// CreatedAfter and CreatedBefore select the changes raised in
	// [CreatedAfter, CreatedBefore); ClosedAfter and ClosedBefore those
	// that reached a final state (closed, rejected, cancelled) in
	// [ClosedAfter, ClosedBefore). A zero time does not narrow.
	CreatedAfter, CreatedBefore time.Time
	ClosedAfter, ClosedBefore   time.Time
	Query                       string
	Limit                       int
	Cursor                      string
}

// sorts is the one order of the list, newest first along the
// (created_at, id) index. Its cursors carry the name "created", as they
// always have.
var sorts = &record.Sorts[Change]{ID: "c.id", IDOf: func(c Change) int64 { return c.ID }, Names: "created_at",
	Keys:    map[string]record.SortKey[Change]{"created_at": {Col: "c.created_at", Val: func(c Change) string { return store.TS(c.CreatedAt) }}},
	Cursors: map[string]string{"-created_at": "created"}}

var newestFirst = sorts.MustParse("-created_at")

// List returns one page of the changes that match f, newest first.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (record.Page[Change], error) {
	if !p.Can(PermRead) {
		return record.Page[Change]{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	for _, st := range f.States {
		if !slices.Contains(Machine.States, st) {
			v.Add("state", "must be one of %s", strings.Join(Machine.States, ", "))
		}
	}
	for _, t := range f.Types {
		if !slices.Contains(Types, t) {
			v.Add("type", "must be standard, normal or emergency")
		}
	}
	for _, o := range f.Outcomes {
		if !slices.Contains(Outcomes, o) {
			v.Add("outcome", "must be one of %s", strings.Join(Outcomes, ", "))
		}
	}
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	f.Limit = min(f.Limit, MaxLimit)
	var where []string
	var args []any
	if len(f.States) > 0 {
		where = append(where, "c.state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	if len(f.Types) > 0 {
		where = append(where, "c.type IN ("+placeholders(len(f.Types))+")")
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	if len(f.Outcomes) > 0 {
		where = append(where, "c.outcome IN ("+placeholders(len(f.Outcomes))+")")
		for _, o := range f.Outcomes {
			args = append(args, o)
		}
	}
	if f.AssigneeID != 0 {
		where = append(where, "c.assignee_id = ?")
		args = append(args, f.AssigneeID)
	}
	for _, d := range []struct {
		cond string
		at   time.Time
	}{{"c.created_at >= ?", f.CreatedAfter}, {"c.created_at < ?", f.CreatedBefore},
		{"c.closed_at >= ?", f.ClosedAfter}, {"c.closed_at < ?", f.ClosedBefore}} {
		if !d.at.IsZero() {
			where, args = append(where, d.cond), append(args, store.TS(d.at))
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if id, ok := record.NumberID(NumberPrefix, q); ok {
			where = append(where, "c.id = ?")
			args = append(args, id)
		} else {
			where = append(where, "LOWER(c.title) LIKE ? ESCAPE '\\'")
			args = append(args, "%"+likeEscape(strings.ToLower(q))+"%")
		}
	}
	if err := v.Err(); err != nil {
		return record.Page[Change]{}, err
	}
	page, err := newestFirst.Read(ctx, s.DB, "SELECT "+changeColumns+changeFrom, where, args, f.Cursor, f.Limit,
		func(r interface{ Scan(...any) error }) (Change, error) { return scanChange(r) })
	if err != nil {
		return page, err
	}
	return page, fillLinks(ctx, s.DB, page.Items)
}

// fillLinks loads the CIs and services of a page of changes in two queries.
func fillLinks(ctx context.Context, q store.Querier, items []Change) error {
	if len(items) == 0 {
		return nil
	}
	at := map[int64]int{}
	args := make([]any, len(items))
	for i := range items {
		at[items[i].ID] = i
		args[i] = items[i].ID
		items[i].CIIDs, items[i].ServiceIDs = []int64{}, []int64{}
	}
	for _, l := range []struct {
		query string
		ci    bool
	}{
		{"SELECT record_id, ci_id FROM record_cis WHERE kind = 'change' AND record_id IN (" + placeholders(len(args)) + ") ORDER BY ci_id", true},
		{"SELECT change_id, service_id FROM change_services WHERE change_id IN (" + placeholders(len(args)) + ") ORDER BY service_id", false},
	} {
		rows, err := q.Query(ctx, l.query, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, ref int64
			if err := rows.Scan(&id, &ref); err != nil {
				rows.Close()
				return err
			}
			c := &items[at[id]]
			if l.ci {
				c.CIIDs = append(c.CIIDs, ref)
			} else {
				c.ServiceIDs = append(c.ServiceIDs, ref)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
