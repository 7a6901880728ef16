// Package change owns change records (clauses 8.5.1 and 8.5.2): changes of
// type standard, normal and emergency, their assessment (impact from the
// CMDB and a risk questionnaire), their approval by a board chosen by
// type and risk, the conflicts of their window, their implementation and
// post-implementation review, the standard change catalogue and the
// change management KPIs.
package change

import (
	"encoding/json"
	"time"

	"steward/internal/patch"
	"steward/internal/record"
)

// NumberPrefix starts every change number: CHG-000123.
const NumberPrefix = "CHG-"

// KindName is the change kind's name in links, attachments and search.
const KindName = "change"

// The types of change.
const (
	Standard  = "standard"
	Normal    = "normal"
	Emergency = "emergency"
)

// Types lists the types, for validation and forms.
var Types = []string{Standard, Normal, Emergency}

// The states of a change.
const (
	Draft        = "draft"
	Assessment   = "assessment"
	Approval     = "approval"
	Scheduled    = "scheduled"
	Implementing = "implementing"
	Review       = "review"
	Closed       = "closed"
	Rejected     = "rejected"
	Cancelled    = "cancelled"
)

// The outcomes of an implemented change.
const (
	Successful           = "successful"
	SuccessfulWithIssues = "successful_with_issues"
	Failed               = "failed"
	BackedOut            = "backed_out"
)

// Outcomes lists the outcomes, for validation and forms.
var Outcomes = []string{Successful, SuccessfulWithIssues, Failed, BackedOut}

// Change is one change record.
type Change struct {
	ID                 int64             `json:"id"`
	Number             string            `json:"number"`
	Title              string            `json:"title"`
	Type               string            `json:"type"`
	State              string            `json:"state"`
	Description        string            `json:"description"`
	Justification      string            `json:"justification"`
	RequesterID        *int64            `json:"requester_id"`
	GroupID            *int64            `json:"group_id"`
	AssigneeID         *int64            `json:"assignee_id"`
	AssigneeName       string            `json:"assignee_name,omitempty"`
	TemplateID         *int64            `json:"template_id"`
	CIIDs              []int64           `json:"ci_ids"`
	ServiceIDs         []int64           `json:"service_ids"`
	RiskAnswers        map[string]string `json:"risk_answers"`
	Risk               string            `json:"risk"`
	Impact             *Impact           `json:"impact_analysis"`
	ImplementationPlan string            `json:"implementation_plan"`
	TestPlan           string            `json:"test_plan"`
	BackoutPlan        string            `json:"backout_plan"`
	PlannedStart       *time.Time        `json:"planned_start"`
	PlannedEnd         *time.Time        `json:"planned_end"`
	ActualStart        *time.Time        `json:"actual_start"`
	ActualEnd          *time.Time        `json:"actual_end"`
	Outcome            string            `json:"outcome"`
	Review             string            `json:"review"`
	ApprovalRule       string            `json:"approval_rule"`
	ApprovalBoard      string            `json:"approval_board"`
	ApprovedAt         *time.Time        `json:"approved_at"`
	CreatedBy          *int64            `json:"created_by"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
	ClosedAt           *time.Time        `json:"closed_at"`
	Version            int               `json:"version"`
}

// Approved reports whether the change may be implemented: its board
// approved it, or it is a standard change from an approved template.
func (c Change) Approved() bool { return c.ApprovedAt != nil }

// ReviewRequired reports whether the change needs a post-implementation
// review before it closes: failed, backed-out and emergency changes do.
func (c Change) ReviewRequired() bool {
	return c.Type == Emergency || c.Outcome == Failed || c.Outcome == BackedOut
}

// Impact is the impact analysis stored with a change: what its CIs failing
// would reach, computed from the CMDB when its CIs were last set.
type Impact struct {
	ComputedAt time.Time      `json:"computed_at"`
	CIs        int            `json:"cis"`
	Services   []ImpactedItem `json:"services"`
	Items      []ImpactedItem `json:"items"`
	Customers  int            `json:"customers"`
	Truncated  bool           `json:"truncated"`
}

// ImpactedItem is one CI the analysis reached.
type ImpactedItem struct {
	CIID  int64  `json:"ci_id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	State string `json:"state"`
}

// NewChange is what a person gives to raise a change. A draft needs only a
// title and a type (a template gives the type standard).
type NewChange struct {
	Title         string     `json:"title"`
	Type          string     `json:"type"`
	Description   string     `json:"description"`
	Justification string     `json:"justification"`
	CIIDs         []int64    `json:"ci_ids"`
	ServiceIDs    []int64    `json:"service_ids"`
	PlannedStart  *time.Time `json:"planned_start"`
	PlannedEnd    *time.Time `json:"planned_end"`
	AssigneeID    *int64     `json:"assignee_id"`
	GroupID       *int64     `json:"group_id"`
	TemplateID    *int64     `json:"template_id"`
}

// Patch changes a change; absent fields stay as they are. State moves the
// change along its table; AcknowledgeConflicts is the comment with which
// a person schedules a change whose window has conflicts.
type Patch struct {
	Title                *string                `json:"title"`
	Type                 *string                `json:"type"`
	Description          *string                `json:"description"`
	Justification        *string                `json:"justification"`
	CIIDs                *[]int64               `json:"ci_ids"`
	ServiceIDs           *[]int64               `json:"service_ids"`
	AssigneeID           patch.Field[int64]     `json:"assignee_id"`
	GroupID              patch.Field[int64]     `json:"group_id"`
	RiskAnswers          map[string]string      `json:"risk_answers"`
	ImplementationPlan   *string                `json:"implementation_plan"`
	TestPlan             *string                `json:"test_plan"`
	BackoutPlan          *string                `json:"backout_plan"`
	PlannedStart         patch.Field[time.Time] `json:"planned_start"`
	PlannedEnd           patch.Field[time.Time] `json:"planned_end"`
	ActualStart          *time.Time             `json:"actual_start"`
	ActualEnd            *time.Time             `json:"actual_end"`
	Outcome              *string                `json:"outcome"`
	Review               *string                `json:"review"`
	State                *string                `json:"state"`
	AcknowledgeConflicts *string                `json:"acknowledge_conflicts"`
}

// Entry is one line of a change's journal.
type Entry struct {
	ID         int64     `json:"id"`
	ChangeID   int64     `json:"change_id"`
	Kind       string    `json:"kind"`
	AuthorID   *int64    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body,omitempty"`
	Changes    []Field   `json:"changes,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Field is one field's change in a journal entry.
type Field = record.Change

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
