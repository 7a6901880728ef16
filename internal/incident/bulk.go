package incident

import (
	"context"
	"strconv"
	"strings"

	"steward/internal/jobs"
	"steward/internal/store"
)

// Import writes a complete incident as given, with its own timestamps and
// journal, inside tx. It is for demo data, seeding and moving history in
// from another tool: the caller vouches for the data, so only the database
// constraints check it. A resolved incident gets its auto-close job. The
// Observer is told once, as of a creation at the incident's created_at,
// with the record as imported: its history is in the journal, not replayed.
func (s *Service) Import(ctx context.Context, tx *store.Tx, inc *Incident, createdBy int64, entries []Entry) error {
	var comments []string
	for _, e := range entries {
		if e.Kind == "comment" {
			comments = append(comments, e.Body)
		}
	}
	if err := insert(ctx, tx, inc, createdBy, strings.Join(comments, " ")); err != nil {
		return err
	}
	for _, e := range entries {
		e.IncidentID = inc.ID
		if _, err := journal.Insert(ctx, tx, e.line()); err != nil {
			return err
		}
	}
	if err := s.observe(ctx, tx, inc.CreatedAt, nil, *inc); err != nil {
		return err
	}
	if inc.State == Resolved && inc.ResolvedAt != nil && s.AutoCloseAfter > 0 {
		return jobs.Enqueue(ctx, tx, AutoCloseJob, "incident:"+strconv.FormatInt(inc.ID, 10),
			inc.ResolvedAt.Add(s.AutoCloseAfter), map[string]int64{"incident_id": inc.ID})
	}
	return nil
}
