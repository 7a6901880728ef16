// Package compliance turns Steward's records into evidence for a
// management-system standard: evidence rules, one small function each and
// registered by clause, are evaluated against the database and each gives
// a status (met, partly met, not met, no data) with the numbers behind it,
// the period and links to the records. Clause statuses roll up from their
// rules and subclauses; evaluations are kept as snapshots, hashed and tied
// to the audit trail's head, so readiness can be followed over time and
// handed to an auditor. People's self-assessments sit beside the computed
// status and never override it.
package compliance

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"steward/internal/clauses"
	"steward/internal/store"
)

// Status is what the evidence says about a rule or a clause.
type Status string

const (
	Met       Status = "met"
	PartlyMet Status = "partly_met"
	NotMet    Status = "not_met"
	NoData    Status = "no_data"
)

// Statuses lists every status, best first.
var Statuses = []Status{Met, PartlyMet, NotMet, NoData}

// Link points at records in the product.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Number is one figure behind a result, with where its records are.
type Number struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
	// Unit is "%", "count", "days" or "hours".
	Unit string `json:"unit"`
	URL  string `json:"url,omitempty"`
}

// Period is the span a result looked at.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Result is what one rule found.
type Result struct {
	Status Status `json:"status"`
	// Summary says what was found in one sentence a person would write.
	Summary string   `json:"summary"`
	Numbers []Number `json:"numbers"`
	Period  *Period  `json:"period,omitempty"`
	// Links are the records behind the result, at most MaxLinks.
	Links []Link `json:"links"`
}

// MaxLinks bounds the records one result links to; Numbers carry a link to
// the full list.
const MaxLinks = 20

// Input is what a rule evaluates against: a read snapshot of the database
// and the instant the evaluation is for.
type Input struct {
	Q   store.Querier
	Now time.Time
}

// Rule is one evidence rule for one clause.
type Rule struct {
	// ID is unique and stable: "8.6.1-within-sla".
	ID       string
	Standard string
	Clause   string
	Title    string
	// Todo says what to do when the rule is not met.
	Todo string
	Eval func(ctx context.Context, in Input) (Result, error)
}

var (
	mu    sync.RWMutex
	rules = map[string][]Rule{} // standard -> rules in registration order
	ids   = map[string]bool{}
)

// Register adds a rule; a duplicate id, or a clause the standard's outline
// does not have, stops the program at start. The standard defaults to the
// primary one.
func Register(r Rule) Rule {
	if r.Standard == "" {
		r.Standard = clauses.Primary
	}
	std, ok := clauses.Get(r.Standard)
	if !ok {
		panic("compliance: rule " + r.ID + " names unknown standard " + r.Standard)
	}
	if _, ok := std.Clause(r.Clause); !ok || r.ID == "" || r.Eval == nil || r.Title == "" {
		panic(fmt.Sprintf("compliance: cannot register rule %q for clause %q", r.ID, r.Clause))
	}
	mu.Lock()
	defer mu.Unlock()
	if ids[r.ID] {
		panic("compliance: rule " + r.ID + " registered twice")
	}
	ids[r.ID] = true
	rules[r.Standard] = append(rules[r.Standard], r)
	return r
}

// Rules lists a standard's rules in clause order.
func Rules(standard string) []Rule {
	mu.RLock()
	out := append([]Rule(nil), rules[standard]...)
	mu.RUnlock()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Clause != out[j].Clause {
			return clauses.Less(out[i].Clause, out[j].Clause)
		}
		return false
	})
	return out
}

// RuleResult is a rule with what it found.
type RuleResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Todo  string `json:"todo,omitempty"`
	Result
	// Error is set when the rule could not be evaluated; its status is
	// then no_data.
	Error string `json:"error,omitempty"`
	// SourceClause is, when a standard is evaluated through the mapping,
	// the clause of the primary standard the rule was written for.
	SourceClause string `json:"source_clause,omitempty"`
}

// Assessment is a person's own rating of a clause, kept beside the
// computed status.
type Assessment struct {
	Rating     Status    `json:"rating"`
	Comment    string    `json:"comment"`
	Evidence   []Link    `json:"evidence"`
	AssessedBy int64     `json:"assessed_by,omitempty"`
	ByName     string    `json:"assessed_by_name,omitempty"`
	AssessedAt time.Time `json:"assessed_at"`
}

// ClauseResult is one clause of the outline with its status, rolled up
// from its own rules and its subclauses.
type ClauseResult struct {
	Clause string       `json:"clause"`
	Title  string       `json:"title"`
	Depth  int          `json:"depth"`
	Status Status       `json:"status"`
	Rules  []RuleResult `json:"rules"`
	// SelfAssessment is filled in when the evaluation is shown, from the
	// assessments kept now; snapshots do not hold it.
	SelfAssessment *Assessment `json:"self_assessment,omitempty"`
}

// Disagrees reports whether a person rated the clause differently from
// what the evidence says.
func (c ClauseResult) Disagrees() bool {
	return c.SelfAssessment != nil && c.Status != NoData && c.SelfAssessment.Rating != c.Status
}

// GroupScore is a top-level clause's score.
type GroupScore struct {
	Clause string         `json:"clause"`
	Title  string         `json:"title"`
	Score  float64        `json:"score"`
	Counts map[Status]int `json:"counts"`
}

// Evaluation is every clause of a standard evaluated at one instant.
type Evaluation struct {
	Standard string         `json:"standard"`
	At       time.Time      `json:"at"`
	Clauses  []ClauseResult `json:"clauses"`
	// Score is the share of the leaf clauses' evidence that is met, 0-100:
	// a met clause counts 1, partly met 0.5, not met and no data 0.
	Score  float64        `json:"score"`
	Counts map[Status]int `json:"counts"`
	Groups []GroupScore   `json:"groups"`
	// Took is how long the rules took to evaluate.
	Took time.Duration `json:"took_ns"`
}

// Clause finds a clause's result.
func (e *Evaluation) Clause(number string) (*ClauseResult, bool) {
	for i := range e.Clauses {
		if e.Clauses[i].Clause == number {
			return &e.Clauses[i], true
		}
	}
	return nil, false
}

// Combine is the status of a clause from the statuses of its rules and
// subclauses: met only when all are met; not met when none has any part
// met; no data when none has data; partly met otherwise.
func Combine(parts []Status) Status {
	if len(parts) == 0 {
		return NoData
	}
	var met, partly, not, none int
	for _, s := range parts {
		switch s {
		case Met:
			met++
		case PartlyMet:
			partly++
		case NotMet:
			not++
		default:
			none++
		}
	}
	switch {
	case met == len(parts):
		return Met
	case none == len(parts):
		return NoData
	case met == 0 && partly == 0:
		return NotMet
	default:
		return PartlyMet
	}
}

func credit(s Status) float64 {
	switch s {
	case Met:
		return 1
	case PartlyMet:
		return 0.5
	}
	return 0
}

// Evaluate runs every rule of the standard against one read snapshot of
// the database and rolls the results up the clause outline.
func Evaluate(ctx context.Context, db *store.DB, standard string, now time.Time) (Evaluation, error) {
	var ev Evaluation
	err := db.InReadTx(ctx, func(rt *store.ReadTx) error {
		var err error
		ev, err = EvaluateIn(ctx, rt, standard, now)
		return err
	})
	return ev, err
}

// EvaluateIn is Evaluate over a querier the caller holds. A standard
// mapped onto the primary one is judged from the primary one's results.
func EvaluateIn(ctx context.Context, q store.Querier, standard string, now time.Time) (Evaluation, error) {
	if _, mapped := clauses.MappedFrom(standard); !mapped {
		return evaluate(ctx, q, standard, now, nil)
	}
	src, err := evaluate(ctx, q, clauses.Primary, now, nil)
	if err != nil {
		return Evaluation{}, err
	}
	return evaluate(ctx, q, standard, now, &src)
}

// evaluate runs the standard's own rules and, for a mapped standard, puts
// the results of src (the primary standard's evaluation) beside the
// clauses they count for.
func evaluate(ctx context.Context, q store.Querier, standard string, now time.Time, src *Evaluation) (Evaluation, error) {
	std, ok := clauses.Get(standard)
	if !ok {
		return Evaluation{}, fmt.Errorf("compliance: unknown standard %q", standard)
	}
	start := time.Now()
	byClause := map[string][]RuleResult{}
	for _, r := range Rules(standard) {
		if err := ctx.Err(); err != nil {
			return Evaluation{}, err
		}
		res, err := r.Eval(ctx, Input{Q: q, Now: now})
		rr := RuleResult{ID: r.ID, Title: r.Title, Todo: r.Todo, Result: res}
		if err != nil {
			rr.Result = Result{Status: NoData, Summary: "The rule could not be evaluated."}
			rr.Error = err.Error()
		}
		if rr.Status == "" {
			rr.Status = NoData
		}
		if rr.Numbers == nil {
			rr.Numbers = []Number{}
		}
		if rr.Links == nil {
			rr.Links = []Link{}
		}
		if len(rr.Links) > MaxLinks {
			rr.Links = rr.Links[:MaxLinks]
		}
		byClause[r.Clause] = append(byClause[r.Clause], rr)
	}
	if from, ok := clauses.MappedFrom(standard); ok && src != nil {
		addMapped(*src, from, byClause)
	}
	ev := rollUp(std, byClause)
	ev.Standard, ev.At, ev.Took = standard, now.UTC(), time.Since(start)
	return ev, nil
}

// EvaluateAll evaluates every standard of the catalogue in one read
// snapshot, running the primary standard's rules once: the others are
// judged from its results.
func EvaluateAll(ctx context.Context, db *store.DB, now time.Time) ([]Evaluation, error) {
	var out []Evaluation
	err := db.InReadTx(ctx, func(rt *store.ReadTx) error {
		src, err := evaluate(ctx, rt, clauses.Primary, now, nil)
		if err != nil {
			return err
		}
		out = []Evaluation{src}
		for _, s := range clauses.All() {
			if s.ID == clauses.Primary {
				continue
			}
			ev, err := evaluate(ctx, rt, s.ID, now, &src)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// addMapped puts the primary standard's rule results beside the clauses
// of another standard they count for, each marked with the clause it was
// gathered for; a clause nothing maps to stays without evidence.
func addMapped(src Evaluation, from map[string][]string, byClause map[string][]RuleResult) {
	for to, sources := range from {
		for _, f := range sources {
			c, ok := src.Clause(f)
			if !ok {
				continue
			}
			for _, r := range c.Rules {
				r.SourceClause = f
				byClause[to] = append(byClause[to], r)
			}
		}
	}
}

// rollUp builds the clause tree bottom-up from the rules' results.
func rollUp(std *clauses.Standard, byClause map[string][]RuleResult) Evaluation {
	ev := Evaluation{Counts: map[Status]int{}, Groups: []GroupScore{}}
	status := map[string]Status{}
	// Children follow their parent in the outline, so walking it backwards
	// sees every subclause before the clause it sits under.
	children := map[string][]Status{}
	for i := len(std.Clauses) - 1; i >= 0; i-- {
		c := std.Clauses[i]
		parts := children[c.Number]
		for _, r := range byClause[c.Number] {
			parts = append(parts, r.Status)
		}
		s := Combine(parts)
		status[c.Number] = s
		if p := c.Parent(); p != "" {
			children[p] = append(children[p], s)
		}
	}
	for _, c := range std.Clauses {
		rs := byClause[c.Number]
		if rs == nil {
			rs = []RuleResult{}
		}
		ev.Clauses = append(ev.Clauses, ClauseResult{Clause: c.Number, Title: c.Title, Depth: c.Depth(), Status: status[c.Number], Rules: rs})
	}
	groups := map[string]*GroupScore{}
	var total float64
	leaves := std.Leaves()
	for _, c := range leaves {
		s := status[c.Number]
		ev.Counts[s]++
		total += credit(s)
		top := c.Number
		if i := indexDot(top); i > 0 {
			top = top[:i]
		}
		g := groups[top]
		if g == nil {
			t, _ := std.Clause(top)
			g = &GroupScore{Clause: top, Title: t.Title, Counts: map[Status]int{}}
			groups[top] = g
			ev.Groups = append(ev.Groups, GroupScore{Clause: top})
		}
		g.Counts[s]++
		g.Score += credit(s)
	}
	for i := range ev.Groups {
		g := groups[ev.Groups[i].Clause]
		n := 0
		for _, k := range g.Counts {
			n += k
		}
		g.Score = round1(100 * g.Score / float64(n))
		ev.Groups[i] = *g
	}
	if len(leaves) > 0 {
		ev.Score = round1(100 * total / float64(len(leaves)))
	}
	return ev
}

func indexDot(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
