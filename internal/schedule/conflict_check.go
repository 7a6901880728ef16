package schedule

import (
	"context"

	"steward/internal/domainerr"
)

// ProposalConflicts is Conflicts for a window someone is considering:
// its start and end are required, and the CIs, services and assignee it
// names must exist.
func (s *Service) ProposalConflicts(ctx context.Context, w Window) ([]Conflict, error) {
	v := domainerr.NewInvalid()
	if w.Start.IsZero() {
		v.Add("planned_start", "is required")
	}
	if w.End.IsZero() {
		v.Add("planned_end", "is required")
	}
	if !w.Start.IsZero() && !w.End.IsZero() && !w.End.After(w.Start) {
		v.Add("planned_end", "must be after the planned start")
	}
	if len(w.CIs) > MaxWindowCIs {
		v.Add("ci_ids", "at most %d", MaxWindowCIs)
	}
	if len(w.Services) > MaxWindowServices {
		v.Add("service_ids", "at most %d", MaxWindowServices)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		field, table, what string
		ids                []int64
	}{{"ci_ids", "cis", "CI", w.CIs}, {"service_ids", "services", "service", w.Services},
		{"assignee_id", "users", "user", nonzero(w.AssigneeID)}, {"change_id", "changes", "change", nonzero(w.ChangeID)}} {
		missing, err := missingIDs(ctx, s.DB, c.table, c.ids)
		if err != nil {
			return nil, err
		}
		for _, id := range c.ids {
			if missing[id] {
				v.Add(c.field, "no %s with id %d", c.what, id)
				break
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.Conflicts(ctx, s.DB, w)
}
