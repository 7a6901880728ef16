package problem

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/record"
	"steward/internal/store"
)

// Filter selects problems for a list. Zero values mean "any".
type Filter struct {
	States     []State
	AssigneeID int64
	CIID       int64
	ServiceID  int64
	// CreatedAfter and CreatedBefore select the problems opened in
	// [CreatedAfter, CreatedBefore); ClosedAfter and ClosedBefore those
	// closed or cancelled in [ClosedAfter, ClosedBefore). A zero time
	// does not narrow.
	CreatedAfter, CreatedBefore time.Time
	ClosedAfter, ClosedBefore   time.Time
	Query                       string // full-text search over title, description, root cause and workaround, or a number
	Limit                       int
	Cursor                      string
}

// MaxLimit caps one page.
const MaxLimit = 200

// Page is one page of a list, newest problem first.
type Page = record.Page[Problem]

// sorts is the one order of the list, newest first by number; its
// cursors carry "-number".
var sorts = &record.Sorts[Problem]{ID: "p.id", IDOf: func(p Problem) int64 { return p.ID }, Names: "number",
	Keys: map[string]record.SortKey[Problem]{"number": {Col: "p.id"}}}

var newestFirst = sorts.MustParse("-number")

// List returns the problems that match f, newest first, a page at a time.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if !p.Can(PermRead) {
		return Page{}, domainerr.ErrForbidden
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxLimit {
		return Page{}, domainerr.Field("limit", "must be between 1 and %d", MaxLimit)
	}
	if id, ok := record.NumberID(NumberPrefix, f.Query); ok && f.Cursor == "" {
		pr, err := get(ctx, s.DB, id)
		if err != nil {
			return Page{Items: []Problem{}}, nil
		}
		return Page{Items: []Problem{pr}}, nil
	}
	from, where, args, err := s.where(f)
	if err != nil {
		return Page{}, err
	}
	return newestFirst.Read(ctx, s.DB, "SELECT "+problemCols+from+nameJoins, where, args, f.Cursor, f.Limit, scanProblem)
}

func (s *Service) where(f Filter) (from string, where []string, args []any, err error) {
	from = " FROM problems p"
	if len(f.States) > 0 {
		marks := make([]string, len(f.States))
		for i, st := range f.States {
			if !st.valid() {
				return "", nil, nil, domainerr.Field("state", "must be open or one of new, investigating, known_error, resolved, closed, cancelled")
			}
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "p.state IN ("+strings.Join(marks, ", ")+")")
	}
	if f.AssigneeID != 0 {
		where, args = append(where, "p.assignee_id = ?"), append(args, f.AssigneeID)
	}
	if f.CIID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM record_cis rc WHERE rc.kind = 'problem' AND rc.record_id = p.id AND rc.ci_id = ?)")
		args = append(args, f.CIID)
	}
	if f.ServiceID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM problem_services ps WHERE ps.problem_id = p.id AND ps.service_id = ?)")
		args = append(args, f.ServiceID)
	}
	for _, d := range []struct {
		cond string
		at   time.Time
	}{{"p.created_at >= ?", f.CreatedAfter}, {"p.created_at < ?", f.CreatedBefore},
		{"p.closed_at >= ?", f.ClosedAfter}, {"p.closed_at < ?", f.ClosedBefore}} {
		if !d.at.IsZero() {
			where, args = append(where, d.cond), append(args, store.TS(d.at))
		}
	}
	if strings.TrimSpace(f.Query) != "" {
		arg, ok := record.FullText(s.DB.Dialect(), f.Query)
		if !ok {
			return "", nil, nil, domainerr.Field("q", "must contain at least one letter or digit")
		}
		clause := s.matchClause()
		where, args = append([]string{clause}, where...), append([]any{arg}, args...)
	}
	return from, where, args, nil
}

// matchClause is the full-text condition on problems p for one query argument.
func (s *Service) matchClause() string {
	if s.DB.Dialect() == store.Postgres {
		return "p.search @@ to_tsquery('english', ?)"
	}
	return "p.id IN (SELECT rowid FROM problem_fts WHERE problem_fts MATCH ?)"
}

func (s *Service) scanAll(ctx context.Context, q string, args ...any) ([]Problem, error) {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Problem{}
	for rows.Next() {
		pr, err := scanProblem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}

// KnownErrorFilter selects known errors: by words, CI or service.
type KnownErrorFilter struct {
	Query     string
	CIID      int64
	ServiceID int64
	Limit     int
}

// KnownErrors lists the known errors (problems in state known_error, with
// their workaround) that match f, newest first.
func (s *Service) KnownErrors(ctx context.Context, p *auth.Principal, f KnownErrorFilter) ([]Problem, error) {
	if f.Limit <= 0 || f.Limit > MaxLimit {
		f.Limit = 50
	}
	page, err := s.List(ctx, p, Filter{States: []State{KnownError}, Query: f.Query, CIID: f.CIID, ServiceID: f.ServiceID, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	items := page.Items[:0]
	for _, pr := range page.Items {
		if pr.State == KnownError { // a number names any problem; only known errors answer here
			items = append(items, pr)
		}
	}
	return s.withRefs(ctx, items)
}

// withRefs fills the services and CIs of each problem in a short list.
func (s *Service) withRefs(ctx context.Context, items []Problem) ([]Problem, error) {
	for i := range items {
		var err error
		if items[i].ServiceIDs, err = store.IDs(ctx, s.DB, "SELECT service_id FROM problem_services WHERE problem_id = ? ORDER BY service_id", items[i].ID); err != nil {
			return nil, err
		}
		if items[i].CIIDs, err = store.IDs(ctx, s.DB, "SELECT ci_id FROM record_cis WHERE kind = 'problem' AND record_id = ? ORDER BY ci_id", items[i].ID); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// Suggestion is a known error that may explain an incident, with why.
type Suggestion struct {
	Problem
	Reasons []string `json:"reasons"` // same CI, same service, same category, matching words
	Linked  bool     `json:"linked"`  // the incident is already linked to it
}

// maxSuggestions bounds the known errors an incident page suggests.
const maxSuggestions = 8

// Suggest lists the known errors that match an incident: one of its CIs,
// its service, its category, or words of its title.
func (s *Service) Suggest(ctx context.Context, p *auth.Principal, inc incident.Incident) ([]Suggestion, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	var conds []string
	var args []any
	conds = append(conds, `EXISTS (SELECT 1 FROM record_cis pc JOIN record_cis ic ON ic.ci_id = pc.ci_id
		AND ic.kind = 'incident' AND ic.record_id = ? WHERE pc.kind = 'problem' AND pc.record_id = p.id)`)
	args = append(args, inc.ID)
	if inc.ServiceID != nil {
		conds = append(conds, "EXISTS (SELECT 1 FROM problem_services ps WHERE ps.problem_id = p.id AND ps.service_id = ?)")
		args = append(args, *inc.ServiceID)
	}
	if inc.Category != "" {
		conds = append(conds, "LOWER(p.category) = LOWER(?)")
		args = append(args, inc.Category)
	}
	if arg, ok := anyWords(s.DB.Dialect(), inc.Title); ok {
		conds = append(conds, s.matchClause())
		args = append(args, arg)
	}
	q := "SELECT " + problemCols + " FROM problems p" + nameJoins + " WHERE p.state = 'known_error' AND (" +
		strings.Join(conds, " OR ") + fmt.Sprintf(") ORDER BY p.id DESC LIMIT %d", maxSuggestions)
	items, err := s.scanAll(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	if items, err = s.withRefs(ctx, items); err != nil {
		return nil, err
	}
	incCIs, err := store.IDs(ctx, s.DB, "SELECT ci_id FROM record_cis WHERE kind = 'incident' AND record_id = ? LIMIT 500", inc.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Suggestion, len(items))
	for i, pr := range items {
		out[i] = Suggestion{Problem: pr, Reasons: reasons(pr, inc, incCIs)}
		if out[i].Linked, err = linked(ctx, s.DB, pr.ID, inc.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func reasons(pr Problem, inc incident.Incident, incCIs []int64) []string {
	var out []string
	for _, c := range pr.CIIDs {
		if contains(incCIs, c) {
			out = append(out, "same CI")
			break
		}
	}
	if inc.ServiceID != nil && contains(pr.ServiceIDs, *inc.ServiceID) {
		out = append(out, "same service")
	}
	if inc.Category != "" && strings.EqualFold(pr.Category, inc.Category) {
		out = append(out, "same category")
	}
	if len(out) == 0 {
		out = append(out, "matching words")
	}
	return out
}

func contains(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// stopWords are left out when an incident's title is matched against
// known errors: they would match nearly every one.
var stopWords = map[string]bool{"with": true, "from": true, "that": true, "this": true, "have": true, "does": true,
	"when": true, "after": true, "cannot": true, "still": true, "again": true, "some": true, "they": true, "there": true,
	"into": true, "working": true, "error": true, "issue": true, "problem": true, "please": true}

// anyWords is a full-text query matching any of the longer words of s
// (at most six), for suggestions.
func anyWords(d store.Dialect, s string) (string, bool) {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if len([]rune(w)) < 4 || stopWords[w] || len(words) == 6 {
			continue
		}
		if _, err := strconv.Atoi(w); err == nil {
			continue
		}
		words = append(words, w)
	}
	if len(words) == 0 {
		return "", false
	}
	if d == store.Postgres {
		return strings.Join(words, " | "), true
	}
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	return strings.Join(words, " OR "), true
}
