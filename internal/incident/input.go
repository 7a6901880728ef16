package incident

import (
	"steward/internal/patch"
)

// NewIncident is what a caller gives to create an incident.
type NewIncident struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	RequesterID *int64 `json:"requester_id"`
	CustomerID  *int64 `json:"customer_id"`
	Category    string `json:"category"`
	Subcategory string `json:"subcategory"`
	Impact      Level  `json:"impact"`
	Urgency     Level  `json:"urgency"`
	GroupID     *int64 `json:"group_id"`
	AssigneeID  *int64 `json:"assignee_id"`
	ServiceID   *int64 `json:"service_id"`
	Major       bool   `json:"major"`
}

// Patch changes some fields of an incident; absent fields stay. A state
// change travels with the fields it needs (hold_reason for on_hold,
// resolution_code and resolution_notes for resolved).
type Patch struct {
	Title           *string            `json:"title"`
	Description     *string            `json:"description"`
	RequesterID     patch.Field[int64] `json:"requester_id"`
	CustomerID      patch.Field[int64] `json:"customer_id"`
	Category        *string            `json:"category"`
	Subcategory     *string            `json:"subcategory"`
	Impact          *Level             `json:"impact"`
	Urgency         *Level             `json:"urgency"`
	GroupID         patch.Field[int64] `json:"group_id"`
	AssigneeID      patch.Field[int64] `json:"assignee_id"`
	ServiceID       patch.Field[int64] `json:"service_id"`
	Major           *bool              `json:"major"`
	State           *State             `json:"state"`
	HoldReason      *string            `json:"hold_reason"`
	ResolutionCode  *string            `json:"resolution_code"`
	ResolutionNotes *string            `json:"resolution_notes"`
}
