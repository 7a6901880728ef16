package webhook

import (
	"context"
	"time"

	"steward/internal/store"
)

// Delivery is one entry of a receiver's delivery log.
type Delivery struct {
	ID         int64  `json:"id"`
	WebhookID  int64  `json:"webhook_id"`
	ActivityID *int64 `json:"activity_id"` // the feed entry; none for a test
	Kind       string `json:"kind"`
	Entity     string `json:"entity"`
	EntityID   int64  `json:"entity_id"`
	Ref        string `json:"ref"`
	// State is pending (waiting or being retried), delivered, or failed
	// (a test the receiver refused; tests are not retried).
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	NextAt        *time.Time `json:"next_at"` // the next attempt of a pending delivery
	CreatedAt     time.Time  `json:"created_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	Status        int        `json:"status"` // the last answer's HTTP status; 0 for none
	DurationMS    int64      `json:"duration_ms"`
	Response      string     `json:"response"` // the first KiB of the last answer's body
	Error         string     `json:"error"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

// LogFilter narrows Deliveries.
type LogFilter struct {
	Before int64 // keyset: deliveries with a smaller id
	State  string
	Limit  int
}

// MaxLogLimit caps one page of the delivery log.
const MaxLogLimit = 200

// Deliveries returns a receiver's deliveries, newest first, and the id to
// pass as Before for the next page (0 on the last).
func (s *Service) Deliveries(ctx context.Context, webhookID int64, f LogFilter) ([]Delivery, int64, error) {
	if _, err := s.Get(ctx, webhookID); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > MaxLogLimit {
		f.Limit = 50
	}
	q := `SELECT id, webhook_id, activity_id, kind, entity, entity_id, ref, state, attempts, next_at, created_at,
		last_attempt_at, status, duration_ms, response, error, delivered_at FROM webhook_deliveries WHERE webhook_id = ?`
	args := []any{webhookID}
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var next, created, last, delivered store.Time
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.ActivityID, &d.Kind, &d.Entity, &d.EntityID, &d.Ref, &d.State, &d.Attempts,
			&next, &created, &last, &d.Status, &d.DurationMS, &d.Response, &d.Error, &delivered); err != nil {
			return nil, 0, err
		}
		d.CreatedAt, d.LastAttemptAt, d.DeliveredAt = created.Time, last.Ptr(), delivered.Ptr()
		if d.State == "pending" {
			d.NextAt = next.Ptr()
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var more int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		more = out[f.Limit-1].ID
	}
	return out, more, nil
}
