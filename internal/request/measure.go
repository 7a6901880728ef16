package request

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
		Kind: ticket.Request, Prefix: "REQ", Path: "/requests/",
		Table: "requests", Journal: "request_journal", JournalFK: "request_id",
		Load: loadSnapshot,
		Fields: map[string]ticket.Field{
			"state":   {Values: Machine.States},
			"item_id": {IDs: true},
		},
		Extra: func(s *ticket.Snapshot) map[string]string {
			item := ""
			if s.ItemID != 0 {
				item = strconv.FormatInt(s.ItemID, 10)
			}
			return map[string]string{"item_id": item}
		},
		Open:      Machine.Open,
		Untouched: []string{string(Submitted), string(AwaitingApproval)},
		Defaults: map[string]ticket.Conditions{
			"response": {Start: notIn("state", "rejected", "cancelled"), Stop: in("responded", "true"),
				Pause: none, Cancel: in("state", "rejected", "cancelled")},
			"resolution": {Start: notIn("state", "fulfilled", "closed", "rejected", "cancelled"),
				Stop: in("state", "fulfilled", "closed"), Pause: in("state", "awaiting_approval"),
				Cancel: in("state", "rejected", "cancelled")},
		},
	})
}

// loadSnapshot reads a request as service level clauses see it.
func loadSnapshot(ctx context.Context, q store.Querier, id int64) (*ticket.Snapshot, error) {
	s := &ticket.Snapshot{Kind: ticket.Request, ID: id, Number: fmt.Sprintf("REQ-%06d", id)}
	var prio int
	var customer, service, item, group, assignee *int64
	var responded store.Time
	err := q.QueryRow(ctx, `SELECT title, state, priority, customer_id, service_id, item_id, group_id,
		assignee_id, first_response_at, reopen_count FROM requests WHERE id = ?`, id).
		Scan(&s.Title, &s.State, &prio, &customer, &service, &item, &group, &assignee, &responded, &s.Reopens)
	if err != nil {
		return nil, store.ScanErr(err)
	}
	s.Priority = "P" + strconv.Itoa(prio)
	s.CustomerID, s.ServiceID, s.ItemID = deref(customer), deref(service), deref(item)
	s.GroupID, s.AssigneeID = deref(group), deref(assignee)
	s.Responded = !responded.IsZero()
	return s, nil
}
