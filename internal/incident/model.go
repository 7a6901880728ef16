// Package incident owns incident management (ISO/IEC 20000-1 clause 8.6.1):
// the incident record, its priority from impact and urgency, the state
// machine with holds, resolution, reopen and closure, the append-only
// journal, search and queues, and automatic closure after resolution.
package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/record"
)

// Level is an impact or urgency.
type Level string

const (
	High   Level = "high"
	Medium Level = "medium"
	Low    Level = "low"
)

// Levels in order, highest first.
var Levels = []Level{High, Medium, Low}

func (l Level) valid() bool { return l == High || l == Medium || l == Low }

// State is where an incident is in its life.
type State string

const (
	New        State = "new"
	InProgress State = "in_progress"
	OnHold     State = "on_hold"
	Resolved   State = "resolved"
	Closed     State = "closed"
)

// States in life order.
var States = []State{New, InProgress, OnHold, Resolved, Closed}

// OpenStates are the states in which work is still owed.
var OpenStates = []State{New, InProgress, OnHold}

func (s State) valid() bool {
	for _, x := range States {
		if x == s {
			return true
		}
	}
	return false
}

// Open reports whether work is still owed.
func (s State) Open() bool { return Machine.IsOpen(string(s)) }

var resolving = []string{"resolution_code", "resolution_notes"}

// Machine is an incident's life as a table: which action moves it where,
// and which fields the move needs. Resolved -> in_progress is a reopen,
// resolved -> closed the requester's confirmation (or the desk's, or the
// automatic closure), and an open incident -> closed a withdrawal: it was
// not needed any more, and its resolution code says withdrawn.
var Machine = record.Machine{
	States: []string{string(New), string(InProgress), string(OnHold), string(Resolved), string(Closed)},
	Open:   []string{string(New), string(InProgress), string(OnHold)},
	Moves: []record.Move{
		{From: string(New), Action: "start", To: string(InProgress)},
		{From: string(New), Action: "hold", To: string(OnHold), Requires: []string{"hold_reason"}},
		{From: string(New), Action: "resolve", To: string(Resolved), Requires: resolving},
		{From: string(New), Action: "withdraw", To: string(Closed)},
		{From: string(InProgress), Action: "hold", To: string(OnHold), Requires: []string{"hold_reason"}},
		{From: string(InProgress), Action: "resolve", To: string(Resolved), Requires: resolving},
		{From: string(InProgress), Action: "withdraw", To: string(Closed)},
		{From: string(OnHold), Action: "resume", To: string(InProgress)},
		{From: string(OnHold), Action: "resolve", To: string(Resolved), Requires: resolving},
		{From: string(OnHold), Action: "withdraw", To: string(Closed)},
		{From: string(Resolved), Action: "reopen", To: string(InProgress)},
		{From: string(Resolved), Action: "close", To: string(Closed)},
	},
}

// CanMove reports whether from -> to is a legal transition.
func CanMove(from, to State) bool { return Machine.Can(string(from), string(to)) }

// NextStates lists where an incident in s may go.
func NextStates(s State) []State {
	var out []State
	for _, n := range Machine.Next(string(s)) {
		out = append(out, State(n))
	}
	return out
}

// HoldReasons are the reasons an incident may wait.
var HoldReasons = []string{AwaitingRequester, "awaiting_supplier", "awaiting_change"}

// AwaitingRequester is the hold in which the desk waits for the requester,
// who is told so.
const AwaitingRequester = "awaiting_requester"

// ResolutionCodes classify how a resolved incident ended.
var ResolutionCodes = []string{"fixed", "workaround", "no_fault_found", "duplicate", "cancelled", "other"}

// Withdrawn is the resolution code of an incident closed before it was
// resolved, because it was no longer needed; only a withdrawal sets it.
const Withdrawn = "withdrawn"

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Incident is the record.
type Incident struct {
	ID              int64      `json:"id"`
	Number          string     `json:"number"`
	Title           string     `json:"title"`
	Description     string     `json:"description"`
	RequesterID     *int64     `json:"requester_id"`
	CustomerID      *int64     `json:"customer_id"`
	Category        string     `json:"category"`
	Subcategory     string     `json:"subcategory"`
	Impact          Level      `json:"impact"`
	Urgency         Level      `json:"urgency"`
	Priority        Priority   `json:"priority"`
	State           State      `json:"state"`
	HoldReason      string     `json:"hold_reason"`
	GroupID         *int64     `json:"group_id"`
	AssigneeID      *int64     `json:"assignee_id"`
	ServiceID       *int64     `json:"service_id"`
	Major           bool       `json:"major"`
	ResolutionCode  string     `json:"resolution_code"`
	ResolutionNotes string     `json:"resolution_notes"`
	ReopenCount     int        `json:"reopen_count"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	FirstResponseAt *time.Time `json:"first_response_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	Version         int        `json:"version"`
	// CreatedByID is who raised the incident: the requester, or someone of
	// the service desk for them; nil when it was imported or the account is gone.
	CreatedByID *int64 `json:"created_by_id"`
	// Source is where the incident came from: SourceDesk (by hand, the
	// portal, the API) or SourceEvent (opened from alerts).
	Source string `json:"source"`
	// AlertIDs are the alerts grouped into an incident opened from events.
	AlertIDs []int64 `json:"alert_ids,omitempty"`

	// Display names, read-only.
	RequesterName string `json:"requester_name,omitempty"`
	CustomerName  string `json:"customer_name,omitempty"`
	GroupName     string `json:"group_name,omitempty"`
	AssigneeName  string `json:"assignee_name,omitempty"`
	ServiceName   string `json:"service_name,omitempty"`
	CreatedByName string `json:"created_by_name,omitempty"`
}

// NumberPrefix starts every incident number.
const NumberPrefix = "INC-"

// FormatNumber turns an id into its number, e.g. 123 -> INC-000123.
func FormatNumber(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

// ParseRef accepts an id ("123") or a number ("INC-000123", case-insensitive).
func ParseRef(ref string) (int64, bool) {
	s := strings.TrimSpace(ref)
	if len(s) > len(NumberPrefix) && strings.EqualFold(s[:len(NumberPrefix)], NumberPrefix) {
		s = s[len(NumberPrefix):]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// Priority is P1 (most urgent) to P5.
type Priority int

func (p Priority) String() string { return "P" + strconv.Itoa(int(p)) }

// MarshalJSON writes "P1".."P5".
func (p Priority) MarshalJSON() ([]byte, error) { return []byte(`"` + p.String() + `"`), nil }

// UnmarshalJSON reads "P1".."P5" or 1..5.
func (p *Priority) UnmarshalJSON(b []byte) error {
	v, ok := ParsePriority(strings.Trim(string(b), `"`))
	if !ok {
		return fmt.Errorf("priority must be P1 to P5")
	}
	*p = v
	return nil
}

// ParsePriority reads "P1".."P5" or "1".."5".
func ParsePriority(s string) (Priority, bool) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "P")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 5 {
		return 0, false
	}
	return Priority(n), true
}

// Matrix maps impact and urgency to a priority.
type Matrix map[Level]map[Level]Priority

// DefaultMatrix: high/high P1; high/medium and medium/high P2; high/low,
// medium/medium and low/high P3; medium/low and low/medium P4; low/low P5.
func DefaultMatrix() Matrix {
	return Matrix{
		High:   {High: 1, Medium: 2, Low: 3},
		Medium: {High: 2, Medium: 3, Low: 4},
		Low:    {High: 3, Medium: 4, Low: 5},
	}
}

// Priority looks up impact x urgency.
func (m Matrix) Priority(impact, urgency Level) Priority { return m[impact][urgency] }

// Validate checks that every one of the nine cells holds P1..P5.
func (m Matrix) Validate() error {
	for _, i := range Levels {
		for _, u := range Levels {
			p := m[i][u]
			if p < 1 || p > 5 {
				return fmt.Errorf("impact %s, urgency %s: priority must be P1 to P5", i, u)
			}
		}
	}
	if len(m) != 3 {
		return fmt.Errorf("matrix must have exactly the impacts high, medium, low")
	}
	for i, row := range m {
		if !i.valid() || len(row) != 3 {
			return fmt.Errorf("matrix rows must be high, medium, low, each with three urgencies")
		}
	}
	return nil
}
