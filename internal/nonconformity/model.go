// Package nonconformity owns clause 10.1 of ISO/IEC 20000-1: the register
// of nonconformities (NC-) with their source, reaction, root cause,
// corrective actions and effectiveness check, and the actions of the
// management system (sms_actions) with an owner and a due date, raised by
// a nonconformity, a management review or an audit.
package nonconformity

import (
	"fmt"
	"slices"
	"time"
)

// State is where a nonconformity is in its life.
type State string

const (
	Open      State = "open"      // raised; reaction and root cause being worked out
	InAction  State = "action"    // corrective actions under way
	Verifying State = "verifying" // actions done; waiting for the effectiveness check
	Closed    State = "closed"
	Cancelled State = "cancelled"
)

// States in life order.
var States = []State{Open, InAction, Verifying, Closed, Cancelled}

// OpenStates are the states in which work is still owed.
var OpenStates = []State{Open, InAction, Verifying}

// IsOpen reports whether work is still owed.
func (s State) IsOpen() bool { return slices.Contains(OpenStates, s) }

// moves is the life as a table: from -> the states one may move to by hand.
// Closing and the effectiveness check have their guards in checkMove.
var moves = map[State][]State{
	Open:      {InAction, Cancelled},
	InAction:  {Verifying, Cancelled},
	Verifying: {Closed, InAction, Cancelled},
}

// Next lists the states a nonconformity in s may move to.
func Next(s State) []State { return moves[s] }

// CanMove reports whether the table allows from -> to.
func CanMove(from, to State) bool { return slices.Contains(moves[from], to) }

// Sources say where a nonconformity was found.
var Sources = []string{"audit", "complaint", "incident", "review", "other"}

// Severities of a nonconformity.
var Severities = []string{"minor", "major"}

// Effectiveness results.
const (
	Effective    = "effective"
	NotEffective = "not_effective"
)

// EffectivenessAfter is how long after the last action is done the
// effectiveness check falls due, unless someone sets another date.
const EffectivenessAfter = 30 * 24 * time.Hour

// NumberPrefix starts every nonconformity number.
const NumberPrefix = "NC-"

// FormatNumber turns an id into its number, e.g. 12 -> NC-000012.
func FormatNumber(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

// NC is a nonconformity.
type NC struct {
	ID          int64  `json:"id"`
	Number      string `json:"number"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Source      string `json:"source"`
	SourceRef   string `json:"source_ref"`
	// SourceURL opens the record SourceRef names, or the audit the
	// checklist line belongs to; "" when there is none.
	SourceURL   string `json:"source_url,omitempty"`
	AuditItemID *int64 `json:"audit_item_id"`
	AuditID     *int64 `json:"audit_id"`
	// AuditTitle names the audit whose checklist line raised it.
	AuditTitle string `json:"audit_title,omitempty"`
	Clause     string `json:"clause"`
	Severity   string `json:"severity"`
	State      State  `json:"state"`
	OwnerID    *int64 `json:"owner_id"`
	OwnerName  string `json:"owner_name,omitempty"`
	Reaction   string `json:"reaction"`
	RootCause  string `json:"root_cause"`
	// RaisedOn, DueOn and EffectivenessDue are dates (YYYY-MM-DD).
	RaisedOn               string     `json:"raised_on"`
	DueOn                  *string    `json:"due_on"`
	EffectivenessDue       *string    `json:"effectiveness_due"`
	Effectiveness          *string    `json:"effectiveness"`
	EffectivenessCheckedAt *time.Time `json:"effectiveness_checked_at"`
	EffectivenessCheckedBy *int64     `json:"effectiveness_checked_by"`
	ClosedAt               *time.Time `json:"closed_at"`
	CreatedAt              time.Time  `json:"created_at"`
	UpdatedAt              time.Time  `json:"updated_at"`
	Version                int        `json:"version"`
	// DaysToClose is whole days from raised to closed; nil while open.
	DaysToClose *int `json:"days_to_close"`
	// DaysOpen is whole days since it was raised, while open.
	DaysOpen int `json:"days_open"`
	// OpenActions counts its corrective actions not yet done, and
	// OverdueActions those of them past their due date.
	OpenActions    int      `json:"open_actions"`
	OverdueActions int      `json:"overdue_actions"`
	Actions        []Action `json:"actions"`
}

// Overdue reports whether the nonconformity is open past its due date or
// has an action past its own.
func (n NC) Overdue(today string) bool {
	return n.State.IsOpen() && (n.OverdueActions > 0 || (n.DueOn != nil && *n.DueOn < today))
}

// NewNC is what a caller gives to raise a nonconformity.
type NewNC struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Source      string  `json:"source"`
	SourceRef   string  `json:"source_ref"`
	Clause      string  `json:"clause"`
	Severity    string  `json:"severity"`
	OwnerID     *int64  `json:"owner_id"`
	Reaction    string  `json:"reaction"`
	RaisedOn    string  `json:"raised_on"`
	DueOn       *string `json:"due_on"`
	// AuditItemID is set when a checklist line raises the nonconformity.
	AuditItemID *int64 `json:"-"`
}

// Patch changes some fields; absent fields stay. State moves the
// nonconformity on; Effectiveness records the check (effective closes it,
// not_effective sends it back to action).
type Patch struct {
	Title            *string `json:"title"`
	Description      *string `json:"description"`
	Clause           *string `json:"clause"`
	Severity         *string `json:"severity"`
	OwnerID          *int64  `json:"owner_id"`
	Reaction         *string `json:"reaction"`
	RootCause        *string `json:"root_cause"`
	DueOn            *string `json:"due_on"`
	EffectivenessDue *string `json:"effectiveness_due"`
	Effectiveness    *string `json:"effectiveness"`
	State            *State  `json:"state"`
}
