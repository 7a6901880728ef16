package sla

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/ticket"
)

// defaultAgreementKey is the setting naming the default agreement.
const defaultAgreementKey = "sla.default_agreement"

// DefaultAgreement is the SLA that measures, besides its own customer's
// tickets, every ticket raised without a customer, so no urgent ticket
// runs without a clock. It returns 0 when none is chosen.
func DefaultAgreement(ctx context.Context, q store.Querier) (int64, error) {
	var raw string
	err := store.ScanErr(q.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", defaultAgreementKey).Scan(&raw))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	id, _ := strconv.ParseInt(raw, 10, 64)
	return id, nil
}

// SetDefaultAgreement chooses the default agreement (0: none). It must be
// an active service level agreement; OLAs and underpinning contracts
// measure a group's or a supplier's part, not what a customer was promised.
// Tickets already open keep their clocks: like a new definition, the
// default measures tickets from the moment they come to meet it.
func (s *Service) SetDefaultAgreement(ctx context.Context, actor audit.Actor, id int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		old, err := DefaultAgreement(ctx, tx)
		if err != nil {
			return err
		}
		name := ""
		if id != 0 {
			a, err := GetAgreement(ctx, tx, id)
			if errors.Is(err, store.ErrNotFound) {
				return domainerr.Field("agreement_id", "agreement %d does not exist", id)
			}
			if err != nil {
				return err
			}
			switch {
			case a.Kind != SLA:
				return domainerr.Field("agreement_id", "%q is %s; only a service level agreement with customers can be the default", a.Name, kindWords(a.Kind))
			case !a.Active:
				return domainerr.Field("agreement_id", "%q is inactive; activate it first", a.Name)
			}
			name = a.Name
		}
		if old == id {
			return nil
		}
		if id == 0 {
			_, err = tx.Exec(ctx, "DELETE FROM settings WHERE key = ?", defaultAgreementKey)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
				defaultAgreementKey, strconv.FormatInt(id, 10), store.TS(s.now()))
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "setting", 0, map[string]any{
			"key": defaultAgreementKey, "agreement_id": [2]int64{old, id}, "agreement": name})
	})
}

func kindWords(k AgreementKind) string {
	switch k {
	case OLA:
		return "an operational level agreement"
	case UC:
		return "an underpinning contract"
	}
	return "a service level agreement"
}

// Unmeasured is an open ticket that runs against no clock.
type Unmeasured struct {
	Kind       ticket.Kind `json:"kind"`
	ID         int64       `json:"id"`
	Number     string      `json:"number"`
	Title      string      `json:"title"`
	State      string      `json:"state"`
	Priority   string      `json:"priority"`
	CustomerID *int64      `json:"customer_id"`
	CreatedAt  time.Time   `json:"created_at"`
	URL        string      `json:"url"`
}

// Unmeasured lists the open tickets of kind that no open clock measures,
// most urgent first, then oldest: tickets raised for a customer without an
// agreement, or before an agreement applied. At most limit (1..500).
func (s *Service) Unmeasured(ctx context.Context, kind ticket.Kind, limit int) ([]Unmeasured, error) {
	mk, ok := ticket.Measured(kind)
	if !ok {
		return nil, domainerr.Field("kind", "%q is not a kind service levels measure", kind)
	}
	limit = min(max(limit, 1), 500)
	if len(mk.Open) == 0 {
		return []Unmeasured{}, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(mk.Open)), ", ")
	args := []any{}
	for _, st := range mk.Open {
		args = append(args, st)
	}
	args = append(args, string(kind), string(Cancelled), limit)
	rows, err := s.DB.Query(ctx, `SELECT t.id, t.title, t.state, t.priority, t.customer_id, t.created_at FROM `+mk.Table+` t
		WHERE t.state IN (`+marks+`) AND NOT EXISTS (SELECT 1 FROM sla_timers s
			WHERE s.ticket_kind = ? AND s.ticket_id = t.id AND s.stopped_at IS NULL AND s.state <> ?)
		ORDER BY t.priority, t.created_at, t.id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Unmeasured{}
	for rows.Next() {
		var u Unmeasured
		var created store.Time
		if err := rows.Scan(&u.ID, &u.Title, &u.State, &u.Priority, &u.CustomerID, &created); err != nil {
			return nil, err
		}
		if _, err := strconv.Atoi(u.Priority); err == nil {
			u.Priority = "P" + u.Priority // incidents keep the level as a number
		}
		u.Kind, u.CreatedAt, u.Number = kind, created.Time, mk.Number(u.ID)
		u.URL = mk.Path + u.Number
		out = append(out, u)
	}
	return out, rows.Err()
}
