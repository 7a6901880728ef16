package servicereview

import (
	"context"
	"encoding/json"
	"time"

	"steward/internal/auth"
	"steward/internal/sla"
	"steward/internal/store"
)

// Seed records, inside tx, a review of an agreement held every months
// before next, with its pack compiled now, its minutes and actions (the
// first done), and the next review planned for next: how a demonstration
// or an import brings in a review held before Steward.
func (s *Service) Seed(ctx context.Context, tx *store.Tx, p *auth.Principal, agreementID int64, next time.Time, every int,
	actions []NewAction, minutes string) error {
	agr, err := sla.GetAgreement(ctx, tx, agreementID)
	if err != nil {
		return err
	}
	heldOn := next.AddDate(0, -every, 0)
	id, err := insert(ctx, tx, p, agr, heldOn, heldOn.AddDate(0, -every, 0), every)
	if err != nil {
		return err
	}
	r, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	pk, err := s.compile(ctx, tx, r, heldOn)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(pk)
	if err != nil {
		return err
	}
	day := heldOn.Format(time.DateOnly)
	if _, err := tx.Exec(ctx, `UPDATE service_reviews SET state = 'held', held_on = ?, minutes = ?, attendees = ?, pack = ?, pack_at = ?
		WHERE id = ?`, day, minutes, "Customer's service manager; "+p.Name, string(raw), store.TS(heldOn), id); err != nil {
		return err
	}
	for i, a := range actions {
		var done any
		if i == 0 {
			done = store.TS(heldOn.AddDate(0, 0, 20))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO service_review_actions (review_id, title, owner_id, due_on, done_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, a.Title, a.OwnerID, a.DueOn, done, store.TS(heldOn)); err != nil {
			return err
		}
	}
	r.State, r.PlannedOn = Held, day
	return s.planNext(ctx, tx, p, r)
}
