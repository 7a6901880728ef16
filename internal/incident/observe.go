package incident

import (
	"context"
	"time"

	"steward/internal/store"
	"steward/internal/ticket"
)

// Snapshot is the incident as the processes that watch tickets (service
// levels, escalations) see it.
func (inc Incident) Snapshot() ticket.Snapshot {
	return ticket.Snapshot{
		Kind: ticket.Incident, ID: inc.ID, Number: inc.Number, Title: inc.Title,
		State: string(inc.State), Priority: inc.Priority.String(), HoldReason: inc.HoldReason,
		Category: inc.Category, CustomerID: idOrZero(inc.CustomerID), ServiceID: idOrZero(inc.ServiceID),
		GroupID: idOrZero(inc.GroupID), AssigneeID: idOrZero(inc.AssigneeID), Major: inc.Major,
		Responded: inc.FirstResponseAt != nil, Reopens: inc.ReopenCount,
	}
}

func idOrZero(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// observe tells the Observer, when there is one, about a write inside the
// writing transaction, so that what it derives commits or rolls back with
// the write. before is nil on creation.
func (s *Service) observe(ctx context.Context, tx *store.Tx, at time.Time, before *Incident, after Incident) error {
	if s.Observer == nil {
		return nil
	}
	var b *ticket.Snapshot
	if before != nil {
		snap := before.Snapshot()
		b = &snap
	}
	a := after.Snapshot()
	return s.Observer.TicketChanged(ctx, tx, at, b, &a)
}
