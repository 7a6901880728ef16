// Package schedule is where changes meet time: freeze periods,
// maintenance windows, the change calendar and its iCalendar feed, and
// the conflicts a change's window has with all of them and with other
// changes.
package schedule

import (
	"context"
	"time"

	"steward/internal/store"
)

// The kinds of conflict a change's window can have.
const (
	// SameCI: another change touches the same CI in an overlapping window.
	SameCI = "same_ci"
	// RelatedCI: another change in an overlapping window touches a CI
	// that this change's CIs impact, or that impacts them.
	RelatedCI = "related_ci"
	// Freeze: the window overlaps a freeze period over its services or CIs.
	Freeze = "freeze"
	// OutsideMaintenance: the window is not inside the maintenance window
	// of an affected service or CI that has one.
	OutsideMaintenance = "outside_maintenance_window"
	// AssigneeBusy: the assignee implements another change in an
	// overlapping window.
	AssigneeBusy = "assignee_busy"
)

// Conflict is one reason a change's window clashes with something.
type Conflict struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Change is the other change's number, ChangeID its id.
	Change   string `json:"change,omitempty"`
	ChangeID int64  `json:"-"`
	FreezeID int64  `json:"freeze_id,omitempty"`
	CIID     int64  `json:"ci_id,omitempty"`
}

// Window is what conflict detection needs to know of a change: its
// half-open window [Start, End), what it touches and who implements it.
// ChangeID is 0 for a change not saved yet; other changes are compared
// with it, never itself.
type Window struct {
	ChangeID   int64
	Start, End time.Time
	CIs        []int64
	Services   []int64
	AssigneeID int64
}

// Service finds conflicts and keeps freeze periods and maintenance
// windows.
type Service struct {
	DB *store.DB
}

// Conflicts lists what w clashes with, read through q so that a caller
// inside a transaction sees its own writes.
func (s *Service) Conflicts(ctx context.Context, q store.Querier, w Window) ([]Conflict, error) {
	return nil, nil
}
