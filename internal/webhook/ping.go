package webhook

import (
	"context"
	"encoding/json"

	"steward/internal/activity"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// KindPing is the event of a test delivery.
const KindPing = "ping"

// Result is a receiver's answer to a test delivery.
type Result struct {
	DeliveryID int64  `json:"delivery_id"`
	OK         bool   `json:"ok"`
	Status     int    `json:"status"` // 0 when no answer came
	DurationMS int64  `json:"duration_ms"`
	Response   string `json:"response"` // the first KiB of the answer's body
	Error      string `json:"error"`
}

// Ping sends a ping event to a receiver now, whatever its state, and
// returns its answer. The test is kept in the delivery log; it is not
// retried and does not count towards pausing the receiver.
func (s *Service) Ping(ctx context.Context, p *auth.Principal, id int64) (Result, error) {
	if !p.Can(PermAdmin) {
		return Result{}, domainerr.ErrForbidden
	}
	var target, secret string
	if err := s.DB.QueryRow(ctx, `SELECT url, secret FROM webhooks WHERE id = ?`, id).Scan(&target, &secret); err != nil {
		return Result{}, store.Translate(err)
	}
	now := s.now()
	data, _ := json.Marshal(map[string]any{"webhook_id": id, "by": p.Email})
	payload, err := json.Marshal(activity.Entry{At: now, Kind: KindPing, Entity: "webhook", EntityID: id,
		Summary: "Test delivery from Steward", Data: data})
	if err != nil {
		return Result{}, err
	}
	var did int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO webhook_deliveries (webhook_id, kind, entity, entity_id, payload, state, error, next_at, created_at)
			VALUES (?, ?, 'webhook', ?, ?, 'failed', 'sending', ?, ?) RETURNING id`,
			id, KindPing, id, string(payload), store.TS(now), store.TS(now)).Scan(&did)
	})
	if err != nil {
		return Result{}, store.Translate(err)
	}
	o := s.post(ctx, target, secret, KindPing, did, body(string(payload), did))
	state, delivered := "failed", any(nil)
	if o.ok() {
		state, delivered = "delivered", store.TS(s.now())
	}
	// The answer is kept even when the caller has gone meanwhile.
	wctx := context.WithoutCancel(ctx)
	err = s.DB.InTx(wctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(wctx, `UPDATE webhook_deliveries SET state = ?, attempts = 1, last_attempt_at = ?, status = ?,
			duration_ms = ?, response = ?, error = ?, delivered_at = ? WHERE id = ?`,
			state, store.TS(now), o.status, o.duration.Milliseconds(), o.response, o.err, delivered, did); err != nil {
			return err
		}
		_, err := tx.Exec(wctx, `UPDATE webhooks SET last_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?`,
			store.TS(now), o.status, o.err, id)
		return err
	})
	return Result{DeliveryID: did, OK: o.ok(), Status: o.status, DurationMS: o.duration.Milliseconds(),
		Response: o.response, Error: o.err}, err
}
