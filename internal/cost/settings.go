package cost

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// SetCurrency changes the accounting currency. Catalogue and asset costs
// carry no currency of their own: they are read in this one.
func (s *Service) SetCurrency(ctx context.Context, p *auth.Principal, code string) (string, error) {
	if !p.Can(PermAdmin) {
		return "", domainerr.ErrForbidden
	}
	c, err := CheckCurrency(code)
	if err != nil {
		return "", domainerr.Field("currency", "%s", err)
	}
	return c, s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE cost_settings SET currency = ?, updated_at = ?, version = version + 1 WHERE id = 1`, c, store.TS(s.now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "cost_settings", 1, map[string]string{"currency": c})
	})
}

// Rate is an exchange rate for a period: one unit of From is Rate units
// of To.
type Rate struct {
	ID     int64  `json:"id"`
	From   string `json:"from_currency"`
	To     string `json:"to_currency"`
	Period string `json:"period"`
	Rate   string `json:"rate"`
	micros int64
}

// RateInput records an exchange rate into the accounting currency.
type RateInput struct {
	From   string `json:"from_currency"`
	Period string `json:"period"`
	Rate   string `json:"rate"`
}

// ListRates lists the exchange rates, latest period first.
func (s *Service) ListRates(ctx context.Context, p *auth.Principal) ([]Rate, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	return listRates(ctx, s.DB)
}

func listRates(ctx context.Context, q store.Querier) ([]Rate, error) {
	rows, err := q.Query(ctx, `SELECT id, from_currency, to_currency, period, rate_micros FROM exchange_rates
		ORDER BY starts_on DESC, ends_on, from_currency LIMIT 2000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Rate{}
	for rows.Next() {
		var r Rate
		if err := rows.Scan(&r.ID, &r.From, &r.To, &r.Period, &r.micros); err != nil {
			return nil, err
		}
		r.Rate = RateString(r.micros)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRate records (or replaces) the rate from a currency into the
// accounting currency for a period.
func (s *Service) SetRate(ctx context.Context, p *auth.Principal, in RateInput) (Rate, error) {
	if !p.Can(PermAdmin) {
		return Rate{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	from, err := CheckCurrency(in.From)
	if err != nil {
		v.Add("from_currency", "%s", err)
	}
	per, err := ParsePeriod(in.Period)
	if err != nil {
		v.Add("period", "%s", err)
	}
	micros, err := ParseRate(in.Rate)
	if err != nil {
		v.Add("rate", "%s", err)
	}
	to, err := AccountingCurrency(ctx, s.DB)
	if err != nil {
		return Rate{}, err
	}
	if from == to && from != "" {
		v.Add("from_currency", "is the accounting currency; rates convert other currencies into it")
	}
	if err := v.Err(); err != nil {
		return Rate{}, err
	}
	out := Rate{From: from, To: to, Period: per.Label, Rate: RateString(micros), micros: micros}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM exchange_rates WHERE from_currency = ? AND to_currency = ? AND period = ?`, from, to, per.Label); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO exchange_rates (from_currency, to_currency, period, starts_on, ends_on, rate_micros, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, from, to, per.Label, per.startsOn(), per.endsOn(), micros, store.TS(s.now())).Scan(&out.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "exchange_rate", out.ID, in)
	})
	return out, err
}

// DeleteRate removes an exchange rate.
func (s *Service) DeleteRate(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermAdmin) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM exchange_rates WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "exchange_rate", id, nil)
	})
}

// rates converts amounts into the accounting currency, month by month:
// a month uses the rate entered for it, else for its quarter, else for
// its year.
type rates struct {
	to  string
	by  map[string]int64 // from|period → micros
	err error            // the first missing rate
}

func loadRates(ctx context.Context, q store.Querier) (*rates, error) {
	to, err := AccountingCurrency(ctx, q)
	if err != nil {
		return nil, err
	}
	list, err := listRates(ctx, q)
	if err != nil {
		return nil, err
	}
	r := &rates{to: to, by: map[string]int64{}}
	for _, x := range list {
		if x.To == to {
			r.by[x.From+"|"+x.Period] = x.micros
		}
	}
	return r, nil
}

// in converts an amount of a month into the accounting currency; a
// missing rate is remembered as the error and counts as zero.
func (r *rates) in(amount int64, cur string, month Period) int64 {
	if cur == r.to || amount == 0 {
		return amount
	}
	for _, per := range []Period{month, PeriodAt(Quarter, month.Start), PeriodAt(Year, month.Start)} {
		if m, ok := r.by[cur+"|"+per.Label]; ok {
			return convert(amount, cur, r.to, m)
		}
	}
	if r.err == nil {
		r.err = fmt.Errorf("%w from %s to %s for %s", ErrNoRate, cur, r.to, month.Label)
	}
	return 0
}

// Settings are a service's cost settings: what an hour of downtime costs
// (set by its owner) and how its cost is allocated to customers.
type Settings struct {
	ServiceID       int64   `json:"service_id"`
	ServiceName     string  `json:"service_name"`
	DowntimePerHour *int64  `json:"downtime_per_hour"`
	DowntimeCur     string  `json:"downtime_currency"`
	Allocation      string  `json:"allocation"`
	Shares          []Share `json:"shares"`
	Version         int     `json:"version"`
}

// Share is one customer's fixed share of a service's cost, in basis
// points (1/100 of a percent).
type Share struct {
	CustomerID   int64  `json:"customer_id"`
	CustomerName string `json:"customer_name"`
	BasisPoints  int    `json:"basis_points"`
}

// SettingsInput replaces a service's cost settings.
type SettingsInput struct {
	DowntimePerHour *int64  `json:"downtime_per_hour"`
	DowntimeCur     string  `json:"downtime_currency"`
	Allocation      string  `json:"allocation"`
	Shares          []Share `json:"shares"`
}

// MaxShares bounds the customers of one fixed allocation.
const MaxShares = 500

func getSettings(ctx context.Context, q store.Querier, serviceID int64) (Settings, error) {
	st := Settings{ServiceID: serviceID, Allocation: Equal, Shares: []Share{}}
	err := q.QueryRow(ctx, `SELECT s.name, c.downtime_per_hour, COALESCE(c.downtime_currency, ''), COALESCE(c.allocation, 'equal'), COALESCE(c.version, 0)
		FROM services s LEFT JOIN service_cost_settings c ON c.service_id = s.id WHERE s.id = ?`, serviceID).
		Scan(&st.ServiceName, &st.DowntimePerHour, &st.DowntimeCur, &st.Allocation, &st.Version)
	if err != nil {
		return st, store.ScanErr(err)
	}
	rows, err := q.Query(ctx, `SELECT a.customer_id, c.name, a.basis_points FROM cost_allocation_shares a
		JOIN customers c ON c.id = a.customer_id WHERE a.service_id = ? ORDER BY c.name, a.customer_id`, serviceID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var sh Share
		if err := rows.Scan(&sh.CustomerID, &sh.CustomerName, &sh.BasisPoints); err != nil {
			return st, err
		}
		st.Shares = append(st.Shares, sh)
	}
	return st, rows.Err()
}

// GetSettings loads a service's cost settings.
func (s *Service) GetSettings(ctx context.Context, p *auth.Principal, serviceID int64) (Settings, error) {
	if !p.Can(PermRead) {
		return Settings{}, domainerr.ErrForbidden
	}
	return getSettings(ctx, s.DB, serviceID)
}

// PutSettings replaces a service's cost settings: its owner or an
// administrator sets them. Fixed shares must add up to 100 %.
func (s *Service) PutSettings(ctx context.Context, p *auth.Principal, serviceID int64, in SettingsInput, version int) (Settings, error) {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return Settings{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	var cur string
	if in.DowntimePerHour != nil {
		if *in.DowntimePerHour < 0 || *in.DowntimePerHour > MaxAmount {
			v.Add("downtime_per_hour", "must be from 0 to %d minor units", MaxAmount)
		}
		c, err := CheckCurrency(in.DowntimeCur)
		if err != nil {
			v.Add("downtime_currency", "%s", err)
		}
		cur = c
	}
	if in.Allocation == "" {
		in.Allocation = Equal
	}
	switch in.Allocation {
	case Equal, Tickets:
		if len(in.Shares) > 0 {
			v.Add("shares", "are only taken with the fixed allocation")
		}
	case Fixed:
		checkShares(v, in.Shares)
	default:
		v.Add("allocation", "must be equal, tickets or fixed")
	}
	if err := v.Err(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.mayWrite(ctx, tx, p, serviceID, "service_id"); err != nil {
			if inv := (*domainerr.Invalid)(nil); errors.As(err, &inv) {
				return store.ErrNotFound
			}
			return err
		}
		old, err := getSettings(ctx, tx, serviceID)
		if err != nil {
			return err
		}
		if version != 0 && version != old.Version {
			return domainerr.ErrStale
		}
		if err := checkCustomers(ctx, tx, in.Shares); err != nil {
			return err
		}
		now := store.TS(s.now())
		if old.Version == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO service_cost_settings (service_id, downtime_per_hour, downtime_currency, allocation, updated_at)
				VALUES (?, ?, ?, ?, ?)`, serviceID, in.DowntimePerHour, cur, in.Allocation, now)
		} else {
			_, err = tx.Exec(ctx, `UPDATE service_cost_settings SET downtime_per_hour = ?, downtime_currency = ?, allocation = ?, updated_at = ?,
				version = version + 1 WHERE service_id = ?`, in.DowntimePerHour, cur, in.Allocation, now, serviceID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cost_allocation_shares WHERE service_id = ?`, serviceID); err != nil {
			return err
		}
		for _, sh := range in.Shares {
			if _, err := tx.Exec(ctx, `INSERT INTO cost_allocation_shares (service_id, customer_id, basis_points) VALUES (?, ?, ?)`,
				serviceID, sh.CustomerID, sh.BasisPoints); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "service_cost_settings", serviceID, in); err != nil {
			return err
		}
		out, err = getSettings(ctx, tx, serviceID)
		return err
	})
	return out, err
}

func checkShares(v *domainerr.Invalid, shares []Share) {
	if len(shares) == 0 {
		v.Add("shares", "name each customer's share for the fixed allocation")
		return
	}
	if len(shares) > MaxShares {
		v.Add("shares", "at most %d customers", MaxShares)
		return
	}
	seen := map[int64]bool{}
	total := 0
	for i, sh := range shares {
		f := fmt.Sprintf("shares[%d]", i)
		switch {
		case sh.CustomerID <= 0:
			v.Add(f+".customer_id", "is required")
		case seen[sh.CustomerID]:
			v.Add(f+".customer_id", "customer %d is named twice", sh.CustomerID)
		}
		seen[sh.CustomerID] = true
		if sh.BasisPoints <= 0 || sh.BasisPoints > 10000 {
			v.Add(f+".basis_points", "must be from 1 to 10000 (0.01 %% to 100 %%)")
		}
		total += sh.BasisPoints
	}
	if len(v.Fields) == 0 && total != 10000 {
		v.Add("shares", "add up to %s %%; they must add up to 100 %%", percent(total))
	}
}

func checkCustomers(ctx context.Context, q store.Querier, shares []Share) error {
	v := domainerr.NewInvalid()
	for i, sh := range shares {
		var n int
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, sh.CustomerID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add(fmt.Sprintf("shares[%d].customer_id", i), "customer %d does not exist", sh.CustomerID)
		}
	}
	return v.Err()
}

// percent writes basis points as a percentage: 3333 is 33.33.
func percent(bp int) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// ParsePercent reads a percentage with at most two decimals into basis
// points.
func ParsePercent(s string) (int, error) {
	n, err := ParseMajor(strings.TrimSuffix(strings.TrimSpace(s), "%"), "EUR")
	if err != nil || n <= 0 || n > 10000 {
		return 0, errors.New("must be a percentage from 0.01 to 100")
	}
	return int(n), nil
}

// sortShares orders shares by customer id, the order allocations use.
func sortShares(sh []Share) {
	sort.Slice(sh, func(i, j int) bool { return sh[i].CustomerID < sh[j].CustomerID })
}

var _ = time.Now
