package incident

import (
	"context"
	"fmt"
	"strconv"

	"steward/internal/store"
	"steward/internal/ticket"
)

func init() {
	in := func(f string, vs ...string) []ticket.Clause { return []ticket.Clause{{Field: f, Op: "in", Values: vs}} }
	notIn := func(f string, vs ...string) []ticket.Clause {
		return []ticket.Clause{{Field: f, Op: "not_in", Values: vs}}
	}
	none := []ticket.Clause{}
	ticket.Declare(ticket.Measure{
		Kind: ticket.Incident, Prefix: "INC", Path: "/incidents/",
		Table: "incidents", Journal: "incident_journal", JournalFK: "incident_id",
		Load: loadSnapshot,
		Fields: map[string]ticket.Field{
			"state":       {Values: Machine.States},
			"hold_reason": {Values: append([]string{""}, HoldReasons...)},
			"major":       {Values: []string{"true", "false"}},
		},
		Extra: func(s *ticket.Snapshot) map[string]string {
			return map[string]string{"hold_reason": s.HoldReason, "major": strconv.FormatBool(s.Major)}
		},
		Open:      Machine.Open,
		Untouched: []string{string(New)},
		Defaults: map[string]ticket.Conditions{
			"response": {Start: none, Stop: in("responded", "true"), Pause: none, Cancel: none},
			"resolution": {Start: notIn("state", "resolved", "closed"), Stop: in("state", "resolved", "closed"),
				Pause: in("state", "on_hold"), Cancel: none},
		},
	})
}

// loadSnapshot reads an incident as service level clauses see it.
func loadSnapshot(ctx context.Context, q store.Querier, id int64) (*ticket.Snapshot, error) {
	s := &ticket.Snapshot{Kind: ticket.Incident, ID: id, Number: fmt.Sprintf("INC-%06d", id)}
	var prio int
	var customer, service, group, assignee *int64
	var responded store.Time
	err := q.QueryRow(ctx, `SELECT title, state, priority, hold_reason, category, customer_id, service_id,
		group_id, assignee_id, major, first_response_at, reopen_count FROM incidents WHERE id = ?`, id).
		Scan(&s.Title, &s.State, &prio, &s.HoldReason, &s.Category, &customer, &service, &group, &assignee,
			&s.Major, &responded, &s.Reopens)
	if err != nil {
		return nil, store.ScanErr(err)
	}
	s.Priority = "P" + strconv.Itoa(prio)
	s.CustomerID, s.ServiceID, s.GroupID, s.AssigneeID = idOrZero(customer), idOrZero(service), idOrZero(group), idOrZero(assignee)
	s.Responded = !responded.IsZero()
	return s, nil
}
