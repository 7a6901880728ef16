package sla

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"steward/internal/store"
	"steward/internal/ticket"
)

// Backfill gives timers to tickets of kind that have none, by replaying
// each ticket's journal through the engine: the ticket as it was created,
// then every recorded change and every public answer by staff, at the
// instants they happened. Imported and demo tickets get their history
// measured this way; tickets that change later are measured live.
// It returns how many tickets it replayed.
func (s *Service) Backfill(ctx context.Context, kind ticket.Kind) (int, error) {
	tt := tablesOf(kind)
	rows, err := s.DB.Query(ctx, `SELECT t.id FROM `+tt.table+` t
		WHERE NOT EXISTS (SELECT 1 FROM sla_timers x WHERE x.ticket_kind = ? AND x.ticket_id = t.id) ORDER BY t.id`, string(kind))
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.replay(ctx, tx, kind, id) }); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

type journalStep struct {
	kind    string
	staff   bool
	changes []struct{ Field, Old, New string }
	at      time.Time
}

func (s *Service) replay(ctx context.Context, tx *store.Tx, kind ticket.Kind, id int64) error {
	tt := tablesOf(kind)
	now, err := LoadSnapshot(ctx, tx, kind, id)
	if err != nil {
		return err
	}
	var created store.Time
	if err := tx.QueryRow(ctx, `SELECT created_at FROM `+tt.table+` WHERE id = ?`, id).Scan(&created); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT j.kind, coalesce(u.role, ''), j.changes, j.created_at FROM `+tt.journal+` j
		LEFT JOIN users u ON u.id = j.author_id WHERE j.`+tt.fk+` = ? ORDER BY j.id`, id)
	if err != nil {
		return err
	}
	var steps []journalStep
	for rows.Next() {
		var st journalStep
		var role, changes string
		var at store.Time
		if err := rows.Scan(&st.kind, &role, &changes, &at); err != nil {
			rows.Close()
			return err
		}
		st.staff, st.at = role != "" && role != "requester", at.Time
		_ = json.Unmarshal([]byte(changes), &st.changes)
		steps = append(steps, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Undo every change, newest first, to find the ticket as created.
	cur := *now
	cur.Responded = false
	for i := len(steps) - 1; i >= 0; i-- {
		for _, c := range steps[i].changes {
			setField(&cur, c.Field, c.Old)
		}
	}
	first := cur
	if err := s.TicketChanged(ctx, tx, created.Time, nil, &first); err != nil {
		return err
	}
	prev := first
	for _, st := range steps {
		next := prev
		for _, c := range st.changes {
			setField(&next, c.Field, c.New)
		}
		if st.kind == "comment" && st.staff {
			next.Responded = true
		}
		if next == prev {
			continue
		}
		p := prev
		if err := s.TicketChanged(ctx, tx, st.at, &p, &next); err != nil {
			return err
		}
		prev = next
	}
	return nil
}

// setField applies one journal change to a snapshot; fields definitions
// do not look at are ignored.
func setField(s *ticket.Snapshot, field, v string) {
	id := func() int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }
	switch field {
	case "state":
		s.State = v
	case "priority":
		s.Priority = v
	case "hold_reason":
		s.HoldReason = v
	case "category":
		s.Category = v
	case "major":
		s.Major = v == "true"
	case "customer_id":
		s.CustomerID = id()
	case "service_id":
		s.ServiceID = id()
	case "group_id":
		s.GroupID = id()
	case "assignee_id":
		s.AssigneeID = id()
	}
}
