// Package ticket is what incidents and service requests have in common for
// the processes that watch them: a flat snapshot of the fields that service
// level definitions match on, and the Observer that is told, inside the
// writing transaction, whenever a ticket is created or changes.
package ticket

import (
	"context"
	"time"

	"steward/internal/store"
)

// Kind says which process a ticket belongs to. Incidents and requests are
// counted and reported separately everywhere.
type Kind string

const (
	Incident Kind = "incident"
	Request  Kind = "request"
)

// Snapshot is a ticket as a service level definition sees it.
type Snapshot struct {
	Kind       Kind
	ID         int64
	Number     string // INC-000123, REQ-000045
	Title      string
	State      string // the kind's own state names
	Priority   string // "P1".."P5"
	HoldReason string
	Category   string
	CustomerID int64 // 0 when none
	ServiceID  int64
	GroupID    int64
	AssigneeID int64
	ItemID     int64 // requests: the catalogue item
	Major      bool
	// Responded is true once an agent answered the requester publicly.
	Responded bool
	// Reopens counts how often the ticket came back after resolution.
	Reopens int
}

// Observer is told about every ticket write, in the same transaction, so
// that what it derives (timers, escalations) commits or rolls back with it.
// before is nil on creation. at is the instant of the change.
type Observer interface {
	TicketChanged(ctx context.Context, tx *store.Tx, at time.Time, before, after *Snapshot) error
}

// Observers fans one notification out to several observers in order.
type Observers []Observer

// TicketChanged calls each observer and stops at the first error.
func (os Observers) TicketChanged(ctx context.Context, tx *store.Tx, at time.Time, before, after *Snapshot) error {
	for _, o := range os {
		if err := o.TicketChanged(ctx, tx, at, before, after); err != nil {
			return err
		}
	}
	return nil
}
