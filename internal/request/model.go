// Package request owns service request management (ISO/IEC 20000-1 clause
// 8.6.2): the request catalogue (items offered per service, each with a
// form, an approval rule and fulfilment task templates), requests submitted
// against an item with answers checked against its form, approvals by a
// named user, the requester's manager or a group, fulfilment tasks in
// stages, the append-only journal, queues, and automatic closure after
// fulfilment. Requests are counted apart from incidents everywhere.
package request

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/incident"
	"steward/internal/record"
)

// Priority is P1 (most urgent) to P5, as for incidents, so that service
// level goals can match requests and incidents alike.
type Priority = incident.Priority

// ParsePriority reads "P1".."P5" or "1".."5".
func ParsePriority(s string) (Priority, bool) { return incident.ParsePriority(s) }

// DefaultPriority is what a request gets unless the service desk says otherwise.
const DefaultPriority Priority = 3

// State is where a request is in its life.
type State string

const (
	// Submitted is where every request starts; it moves on in the same
	// transaction, to awaiting approval or straight into fulfilment.
	Submitted        State = "submitted"
	AwaitingApproval State = "awaiting_approval"
	InFulfilment     State = "in_fulfilment"
	Fulfilled        State = "fulfilled"
	Closed           State = "closed"
	Rejected         State = "rejected"
	Cancelled        State = "cancelled"
)

// States in life order.
var States = []State{Submitted, AwaitingApproval, InFulfilment, Fulfilled, Closed, Rejected, Cancelled}

// OpenStates are the states in which something is still owed.
var OpenStates = []State{Submitted, AwaitingApproval, InFulfilment}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, x := range States {
		if x == s {
			return true
		}
	}
	return false
}

// Open reports whether something is still owed to the requester.
func (s State) Open() bool { return Machine.IsOpen(string(s)) }

// Final reports whether the request can no longer change.
func (s State) Final() bool { return Machine.Final(string(s)) }

// Machine is a request's life as a table. Fulfilled -> in_fulfilment is
// a reopen. The approvals alone move a request into and out of
// awaiting_approval (but anyone entitled may cancel it there).
var Machine = record.Machine{
	States: []string{string(Submitted), string(AwaitingApproval), string(InFulfilment), string(Fulfilled),
		string(Closed), string(Rejected), string(Cancelled)},
	Open: []string{string(Submitted), string(AwaitingApproval), string(InFulfilment)},
	Moves: []record.Move{
		{From: string(Submitted), Action: "await_approval", To: string(AwaitingApproval), By: "system"},
		{From: string(Submitted), Action: "start", To: string(InFulfilment)},
		{From: string(Submitted), Action: "cancel", To: string(Cancelled)},
		{From: string(AwaitingApproval), Action: "approve", To: string(InFulfilment), By: "system"},
		{From: string(AwaitingApproval), Action: "reject", To: string(Rejected), By: "system"},
		{From: string(AwaitingApproval), Action: "cancel", To: string(Cancelled)},
		{From: string(InFulfilment), Action: "fulfil", To: string(Fulfilled)},
		{From: string(InFulfilment), Action: "cancel", To: string(Cancelled)},
		{From: string(Fulfilled), Action: "reopen", To: string(InFulfilment)},
		{From: string(Fulfilled), Action: "close", To: string(Closed)},
	},
}

// CanMove reports whether a person may move a request from -> to.
func CanMove(from, to State) bool { return Machine.Can(string(from), string(to)) }

// NextStates lists where a person may move a request in s.
func NextStates(s State) []State {
	var out []State
	for _, n := range Machine.Next(string(s)) {
		out = append(out, State(n))
	}
	return out
}

// Request is the record.
type Request struct {
	ID              int64          `json:"id"`
	Number          string         `json:"number"`
	Title           string         `json:"title"`
	Description     string         `json:"description"`
	RequesterID     int64          `json:"requester_id"`
	CustomerID      *int64         `json:"customer_id"`
	ServiceID       int64          `json:"service_id"`
	ItemID          int64          `json:"item_id"`
	Answers         map[string]any `json:"answers"`
	Priority        Priority       `json:"priority"`
	State           State          `json:"state"`
	GroupID         *int64         `json:"group_id"`
	AssigneeID      *int64         `json:"assignee_id"`
	ReopenCount     int            `json:"reopen_count"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	FirstResponseAt *time.Time     `json:"first_response_at"`
	FulfilledAt     *time.Time     `json:"fulfilled_at"`
	ClosedAt        *time.Time     `json:"closed_at"`
	Version         int            `json:"version"`

	// Display names, read-only.
	RequesterName string `json:"requester_name,omitempty"`
	CustomerName  string `json:"customer_name,omitempty"`
	ServiceName   string `json:"service_name,omitempty"`
	ItemName      string `json:"item_name,omitempty"`
	GroupName     string `json:"group_name,omitempty"`
	AssigneeName  string `json:"assignee_name,omitempty"`

	// SubmitterID is who entered the request: the requester, or someone of
	// the service desk on their behalf; 0 when the system did.
	SubmitterID int64 `json:"-"`

	// Form is the item's form as it was when the request was submitted,
	// so the answers keep their labels when the item changes later.
	Form Form `json:"-"`
}

// NumberPrefix starts every request number.
const NumberPrefix = "REQ-"

// FormatNumber turns an id into its number, e.g. 123 -> REQ-000123.
func FormatNumber(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

// ParseRef accepts an id ("123") or a number ("REQ-000123", case-insensitive).
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

// NewRequest is what a caller gives to submit a request.
type NewRequest struct {
	ItemID      int64          `json:"item_id"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	RequesterID *int64         `json:"requester_id"`
	Answers     map[string]any `json:"answers"`
	Priority    *Priority      `json:"priority"`
	GroupID     *int64         `json:"group_id"`
	AssigneeID  *int64         `json:"assignee_id"`
}

// Change is one field's move, as shown in the journal.
type Change = incident.Change

// Entry is one line of a request's journal.
type Entry struct {
	ID         int64     `json:"id"`
	RequestID  int64     `json:"request_id"`
	Kind       string    `json:"kind"` // created, comment, work_note, change, approval, task
	AuthorID   *int64    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body,omitempty"`
	Changes    []Change  `json:"changes,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
