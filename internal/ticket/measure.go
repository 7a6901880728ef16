package ticket

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"steward/internal/store"
)

// Clause is one test on a ticket field: the field's value is (op "in") or
// is not (op "not_in") one of Values. A condition is a list of clauses
// that must all hold, and optionally further groups of clauses (the
// "any" lists beside it): then it holds when every clause of the list or
// of any one group holds. An empty list beside groups is no group of its
// own; an empty condition always holds.
type Clause struct {
	Field  string   `json:"field"`
	Op     string   `json:"op"`
	Values []string `json:"values"`
}

// Conditions say when a clock starts, stops, pauses and is cancelled.
// Each may have further groups of clauses, any of which will do.
type Conditions struct {
	Start     []Clause   `json:"start"`
	Stop      []Clause   `json:"stop"`
	Pause     []Clause   `json:"pause"`
	Cancel    []Clause   `json:"cancel"`
	StartAny  [][]Clause `json:"start_any,omitempty"`
	StopAny   [][]Clause `json:"stop_any,omitempty"`
	PauseAny  [][]Clause `json:"pause_any,omitempty"`
	CancelAny [][]Clause `json:"cancel_any,omitempty"`
}

// Groups lists a condition's groups of clauses: the list, unless it is
// empty beside further groups, then each further group.
func Groups(all []Clause, more [][]Clause) [][]Clause {
	out := make([][]Clause, 0, 1+len(more))
	if len(all) > 0 || len(more) == 0 {
		out = append(out, all)
	}
	return append(out, more...)
}

// Field is a field of a kind that service level clauses may test. Values
// lists what it can hold; nil means any value (ids, free text). Only
// fields with Values may drive start, stop, pause and cancel conditions,
// whose consistency is checked by trying every combination.
type Field struct {
	Values []string
	IDs    bool // values must be positive integers
}

// Measure is what a kind declares so that service levels can be measured
// on it. The SLA engine reads these declarations; it knows no kind by name.
type Measure struct {
	Kind   Kind
	Prefix string // INC, REQ: numbers are Prefix-000123
	Path   string // where a ticket's page lives: Path + number
	// Table, Journal and JournalFK name the ticket's table, its journal and
	// the journal's column that refers to the ticket, for replays.
	Table, Journal, JournalFK string
	// Load reads one ticket as clauses see it.
	Load func(ctx context.Context, q store.Querier, id int64) (*Snapshot, error)
	// Fields are the kind's own fields, "state" among them, beside the
	// ones every kind has (priority, responded, customer, service, group,
	// category); Extra gives their values other than state.
	Fields map[string]Field
	Extra  func(s *Snapshot) map[string]string
	// Open are the states in which the ticket is being worked, so it
	// should run against a clock (the list of tickets without one).
	Open []string
	// Untouched are the states in which nobody has answered the ticket yet:
	// leaving them counts as the first response.
	Untouched []string
	// Defaults are the conditions each metric ("response", "resolution")
	// uses when a definition leaves them out.
	Defaults map[string]Conditions
}

// Number formats a ticket number of this kind.
func (m *Measure) Number(id int64) string { return fmt.Sprintf("%s-%06d", m.Prefix, id) }

var measures = struct {
	sync.RWMutex
	m map[Kind]*Measure
}{m: map[Kind]*Measure{}}

// Declare makes a kind measurable. Kinds declare themselves once, from
// their package's init; declaring a kind twice is a programming error.
func Declare(m Measure) {
	measures.Lock()
	defer measures.Unlock()
	if _, dup := measures.m[m.Kind]; dup {
		panic("ticket: kind " + string(m.Kind) + " declared twice")
	}
	measures.m[m.Kind] = &m
}

// Measured returns the declaration of kind k.
func Measured(k Kind) (*Measure, bool) {
	measures.RLock()
	defer measures.RUnlock()
	m, ok := measures.m[k]
	return m, ok
}

// Kinds lists the measurable kinds by name.
func Kinds() []Kind {
	measures.RLock()
	defer measures.RUnlock()
	out := make([]Kind, 0, len(measures.m))
	for k := range measures.m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// In is the clause "field is one of values".
func In(field string, values ...string) []Clause {
	return []Clause{{Field: field, Op: "in", Values: values}}
}

// NotIn is the clause "field is none of values".
func NotIn(field string, values ...string) []Clause {
	return []Clause{{Field: field, Op: "not_in", Values: values}}
}

// Always is the empty condition, which always holds.
func Always() []Clause { return []Clause{} }
