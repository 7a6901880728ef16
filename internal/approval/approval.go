// Package approval owns the decisions a record waits for, for every kind
// of record that has them: the approvals table (one row per decision owed,
// by a named user or by any one member of a group), the rules a step is
// decided by, who may decide and only once, the journal line, audit entry
// and feed entry of each decision, the "waiting for you" lookups, and the
// notices to approvers and requesters. A kind declares itself with a Kind;
// what an outcome does to the record (fulfil a request, approve a change)
// stays with the kind.
package approval

import (
	"context"
	"time"

	"steward/internal/auth"
	"steward/internal/store"
)

// Rule is how the decisions of one step add up.
type Rule string

// The rules a step is decided by.
const (
	Any      Rule = "any"      // one approval approves
	All      Rule = "all"      // every approver must approve
	Majority Rule = "majority" // more than half must approve
)

// Rules lists the rules, for validation and forms.
var Rules = []Rule{Any, All, Majority}

// Needed is how many approvals approve a step of n approvals under r.
func (r Rule) Needed(n int) int {
	switch r {
	case All:
		return n
	case Majority:
		return n/2 + 1
	}
	return 1
}

// State is where one approval stands.
type State string

const (
	Pending  State = "pending"
	Approved State = "approved"
	Rejected State = "rejected"
	// Withdrawn approvals are no longer needed: the record was rejected by
	// another approver or cancelled.
	Withdrawn State = "cancelled"
)

// Approval is one decision owed on a record: by a named user, or by any
// one member of a group (ApproverID nil).
type Approval struct {
	ID            int64
	RecordKind    string
	RecordID      int64
	ApproverID    *int64
	ApproverName  string
	GroupID       *int64
	GroupName     string
	State         State
	Comment       string
	DecidedBy     *int64
	DecidedByName string
	CreatedAt     time.Time
	DecidedAt     *time.Time
	// Round counts the times the record was put to its approvers, from 1;
	// SupersededAt is when a later round replaced this approval's (nil
	// for the current round, the only one that counts).
	Round        int
	SupersededAt *time.Time
}

// Who names whoever the approval waits for, a person or a group.
func (a Approval) Who() string {
	if a.ApproverName != "" {
		return a.ApproverName
	}
	return a.GroupName
}

// Slot is one approval to open: a named user, a group any member of which
// decides (UserID nil), or a member of a group who must decide themself.
type Slot struct {
	UserID  *int64
	GroupID *int64
}

// Tally is where a step stands under rule after the decisions in as:
// Approved once enough approved, Rejected once enough rejected that the
// rule can no longer be met, Pending otherwise. Withdrawn approvals do
// not count.
func Tally(rule Rule, as []Approval) State {
	n, yes, no := 0, 0, 0
	for _, a := range as {
		switch a.State {
		case Withdrawn:
			continue
		case Approved:
			yes++
		case Rejected:
			no++
		}
		n++
	}
	need := rule.Needed(n)
	switch {
	case n == 0:
		return Pending
	case yes >= need:
		return Approved
	case n-no < need:
		return Rejected
	}
	return Pending
}

// Subject is the record a step is about, as the kind sees it now.
type Subject struct {
	ID     int64
	Number string
	Title  string
	// SubmitterID and RequesterID had a hand in raising the record: they
	// never decide on it (record.SeparationOfDuties). 0 is nobody.
	SubmitterID, RequesterID int64
	// Awaiting is whether the record waits for decisions now, and Standing
	// words where it stands otherwise ("the request is rejected").
	Awaiting bool
	Standing string
	// Rule is the step's rule, and Board the name of those who decide
	// ("" when the approvers are named one by one).
	Rule  Rule
	Board string
}

// Notice is a notification a step sends, in English with the values it
// was written from (notify.AddWith).
type Notice struct {
	Kind, Title, Body string
	Params            map[string]string
}

// Kind is what a kind of record declares to have approvals.
type Kind struct {
	// Name is the record kind ("request", "change"), as the approvals
	// table, the activity feed and the audit trail name it.
	Name string
	// Perm lets a user decide approvals of this kind addressed to them.
	Perm auth.Permission
	// Link is the record's page.
	Link func(Subject) string
	// Journal writes a decision into the record's journal; a carries the
	// decision just made.
	Journal func(ctx context.Context, tx *store.Tx, s Subject, p *auth.Principal, a Approval, at time.Time) error
	// ApprovalEntity, when set, audits each decision as an update of the
	// approval under that entity name, with the record's id in its data
	// ("<kind>_id"); when empty, a decision is audited as the record's own
	// action, approve or reject.
	ApprovalEntity string
	// Asked words the notice to those asked to decide, and Told the one to
	// the requester when the step is settled (nil: no notice).
	Asked func(Subject) Notice
	Told  func(s Subject, outcome State, comment string) Notice
}
