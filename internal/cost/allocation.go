package cost

import (
	"context"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Allocation is a service's actual cost for a period divided among its
// customers by the service's key.
type Allocation struct {
	ServiceID int64  `json:"service_id"`
	Period    string `json:"period"`
	Key       string `json:"key"`
	Currency  string `json:"currency"`
	Total     int64  `json:"total"`
	// Unallocated is what no customer could be given: the whole cost when
	// the key has nothing to divide by (no customers, or no tickets).
	Unallocated int64      `json:"unallocated"`
	Lines       []Allocate `json:"lines"`
	// Reason says why nothing was allocated, when nothing was.
	Reason string `json:"reason,omitempty"`
}

// Allocate is one customer's part.
type Allocate struct {
	CustomerID   int64  `json:"customer_id"`
	CustomerName string `json:"customer_name"`
	// Weight is what the key divided by: 1 each (equal), the tickets
	// (tickets), or basis points (fixed).
	Weight int64 `json:"weight"`
	Amount int64 `json:"amount"`
}

// Allocate divides a service's actual cost for a period among its
// customers: equally among the customers it serves (every customer when
// the catalogue names none), by the incidents and requests each raised on
// it in the period, or by fixed shares. Parts add up to the total exactly;
// a remainder of minor units goes to the largest fractions first.
func (s *Service) Allocate(ctx context.Context, p *auth.Principal, serviceID int64, per Period) (Allocation, error) {
	if !p.Can(PermRead) {
		return Allocation{}, domainerr.ErrForbidden
	}
	var out Allocation
	err := s.DB.InReadTx(ctx, func(rt *store.ReadTx) error {
		st, err := getSettings(ctx, rt, serviceID)
		if err != nil {
			return err
		}
		rep, err := s.report(ctx, rt, serviceID, []Period{per})
		if err != nil {
			return err
		}
		out = Allocation{ServiceID: serviceID, Period: per.Label, Key: st.Allocation, Currency: rep.Currency,
			Total: rep.Services[0].Total.Actual, Lines: []Allocate{}}
		lines, err := s.allocationWeights(ctx, rt, st, serviceID, per)
		if err != nil {
			return err
		}
		weights := make([]int64, len(lines))
		var sum int64
		for i, l := range lines {
			weights[i] = l.Weight
			sum += l.Weight
		}
		if sum == 0 {
			out.Unallocated = out.Total
			out.Reason = map[string]string{Equal: "The service has no customers to share its cost.",
				Tickets: "No incidents or requests on the service named a customer in the period.",
				Fixed:   "No fixed shares are set."}[st.Allocation]
			out.Lines = lines
			return nil
		}
		for i, amount := range byWeights(out.Total, weights) {
			lines[i].Amount = amount
		}
		out.Lines = lines
		return nil
	})
	return out, err
}

// allocationWeights lists the customers with their weight under the key,
// in customer id order.
func (s *Service) allocationWeights(ctx context.Context, q store.Querier, st Settings, serviceID int64, per Period) ([]Allocate, error) {
	var query string
	var args []any
	switch st.Allocation {
	case Fixed:
		sh := append([]Share(nil), st.Shares...)
		sortShares(sh)
		out := make([]Allocate, 0, len(sh))
		for _, x := range sh {
			out = append(out, Allocate{CustomerID: x.CustomerID, CustomerName: x.CustomerName, Weight: int64(x.BasisPoints)})
		}
		return out, nil
	case Tickets:
		from, to := store.TS(s.instant(per.Start)), store.TS(s.instant(per.End))
		query = `SELECT c.id, c.name, (SELECT COUNT(*) FROM incidents i WHERE i.service_id = ? AND i.customer_id = c.id AND i.created_at >= ? AND i.created_at < ?)
			+ (SELECT COUNT(*) FROM requests r WHERE r.service_id = ? AND r.customer_id = c.id AND r.created_at >= ? AND r.created_at < ?)
			FROM customers c ORDER BY c.id LIMIT 5000`
		args = []any{serviceID, from, to, serviceID, from, to}
	default:
		query = `SELECT c.id, c.name, 1 FROM customers c WHERE NOT EXISTS (SELECT 1 FROM service_customers x WHERE x.service_id = ?)
			OR EXISTS (SELECT 1 FROM service_customers x WHERE x.service_id = ? AND x.customer_id = c.id) ORDER BY c.id LIMIT 5000`
		args = []any{serviceID, serviceID}
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Allocate{}
	for rows.Next() {
		var a Allocate
		if err := rows.Scan(&a.CustomerID, &a.CustomerName, &a.Weight); err != nil {
			return nil, err
		}
		if a.Weight > 0 {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}
