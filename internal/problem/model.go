// Package problem owns problem management (ISO/IEC 20000-1 clause 8.6.3):
// the problem record and its life from new through investigation to a
// known error with its root cause and workaround, resolution by a change
// and closure; the incidents a problem explains; the known-error database
// agents search and apply from an incident; the trends of recurring
// incidents problems are opened from, and the recurrence before and after
// a fix.
package problem

import (
	"fmt"
	"slices"
	"time"

	"steward/internal/patch"
	"steward/internal/record"
)

// State is where a problem is in its life.
type State string

const (
	New           State = "new"
	Investigating State = "investigating"
	KnownError    State = "known_error"
	Resolved      State = "resolved"
	Closed        State = "closed"
	Cancelled     State = "cancelled"
)

// States in life order.
var States = []State{New, Investigating, KnownError, Resolved, Closed, Cancelled}

// OpenStates are the states in which work is still owed.
var OpenStates = []State{New, Investigating, KnownError}

func (s State) valid() bool { return slices.Contains(States, s) }

// Open reports whether work is still owed.
func (s State) Open() bool { return Machine.IsOpen(string(s)) }

// Machine is a problem's life as a table. A known error needs its root
// cause and workaround given in the move itself; a resolution needs the
// root cause. A known error whose workaround stops working goes back to
// investigation, and so does a resolved problem whose fix did not hold.
var Machine = record.Machine{
	States: []string{string(New), string(Investigating), string(KnownError), string(Resolved), string(Closed), string(Cancelled)},
	Open:   []string{string(New), string(Investigating), string(KnownError)},
	Moves: []record.Move{
		{From: string(New), Action: "investigate", To: string(Investigating)},
		{From: string(New), Action: "cancel", To: string(Cancelled)},
		{From: string(Investigating), Action: "record_known_error", To: string(KnownError), Requires: []string{"root_cause", "workaround"}},
		{From: string(Investigating), Action: "resolve", To: string(Resolved), Requires: []string{"root_cause"}},
		{From: string(Investigating), Action: "cancel", To: string(Cancelled)},
		{From: string(KnownError), Action: "reinvestigate", To: string(Investigating)},
		{From: string(KnownError), Action: "resolve", To: string(Resolved), Requires: []string{"root_cause"}},
		{From: string(KnownError), Action: "cancel", To: string(Cancelled)},
		{From: string(Resolved), Action: "reopen", To: string(Investigating)},
		{From: string(Resolved), Action: "close", To: string(Closed)},
	},
}

// CanMove reports whether a person may move a problem from -> to.
func CanMove(from, to State) bool { return Machine.Can(string(from), string(to)) }

// CauseCategories classify root causes.
var CauseCategories = []string{"hardware", "software", "configuration", "capacity", "network", "supplier",
	"process", "human_error", "security", "environment", "unknown"}

// NumberPrefix starts every problem number.
const NumberPrefix = "PRB-"

// FormatNumber turns an id into its number, e.g. 12 -> PRB-000012.
func FormatNumber(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

// ParseRef accepts an id ("12") or a number ("PRB-000012", any case).
func ParseRef(ref string) (int64, bool) { return kindRef.ParseRef(ref) }

var kindRef = &record.Kind{Prefix: NumberPrefix}

// ChangePrefix starts every change number; a problem names the change
// that fixes it.
const ChangePrefix = "CHG-"

// Problem is the record.
type Problem struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	State         State      `json:"state"`
	Category      string     `json:"category"`
	RootCause     string     `json:"root_cause"`
	CauseCategory string     `json:"cause_category"`
	Workaround    string     `json:"workaround"`
	FixChangeID   *int64     `json:"fix_change_id"`
	FixChange     string     `json:"fix_change"` // the change's number, "" when none
	AssigneeID    *int64     `json:"assignee_id"`
	AssigneeName  string     `json:"assignee_name,omitempty"`
	CreatedByID   *int64     `json:"created_by_id"`
	CreatedByName string     `json:"created_by_name,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	KnownErrorAt  *time.Time `json:"known_error_at"`
	ResolvedAt    *time.Time `json:"resolved_at"`
	ClosedAt      *time.Time `json:"closed_at"`
	Version       int        `json:"version"`
	ServiceIDs    []int64    `json:"service_ids"`
	CIIDs         []int64    `json:"ci_ids"`
	// Incidents counts the incidents linked to the problem.
	Incidents int `json:"incident_count"`
}

// NewProblem is what a caller gives to open a problem. Incidents are
// numbers or ids of incidents the problem explains.
type NewProblem struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	AssigneeID  *int64   `json:"assignee_id"`
	ServiceIDs  []int64  `json:"service_ids"`
	CIIDs       []int64  `json:"ci_ids"`
	Incidents   []string `json:"incidents"`
}

// Patch changes some fields of a problem; absent fields stay. A move to
// known_error carries root_cause and workaround; fix_change is a change
// number (or id), null to clear it.
type Patch struct {
	Title         *string              `json:"title"`
	Description   *string              `json:"description"`
	Category      *string              `json:"category"`
	State         *State               `json:"state"`
	RootCause     *string              `json:"root_cause"`
	CauseCategory *string              `json:"cause_category"`
	Workaround    *string              `json:"workaround"`
	FixChange     patch.Field[string]  `json:"fix_change"`
	AssigneeID    patch.Field[int64]   `json:"assignee_id"`
	ServiceIDs    patch.Field[[]int64] `json:"service_ids"`
	CIIDs         patch.Field[[]int64] `json:"ci_ids"`
}

// Change is one field's move, as shown in the journal.
type Change = record.Change

// Entry is one line of a problem's journal.
type Entry struct {
	ID         int64     `json:"id"`
	ProblemID  int64     `json:"problem_id"`
	Kind       string    `json:"kind"` // created, work_note, change
	AuthorID   *int64    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body,omitempty"`
	Changes    []Change  `json:"changes,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
