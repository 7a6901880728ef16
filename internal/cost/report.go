package cost

import (
	"context"
	"errors"
	"math"
	"math/big"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/availability"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Row is what one service cost in one period, in minor units of the
// accounting currency.
type Row struct {
	Period    string `json:"period"`
	Catalogue int64  `json:"catalogue"`
	Assets    int64  `json:"assets"`
	Contracts int64  `json:"contracts"`
	Other     int64  `json:"other"`
	Actual    int64  `json:"actual"`
	// Budget is nil when no budget covers any month of the period;
	// BudgetMonths says how many of its months one covers.
	Budget       *int64 `json:"budget"`
	BudgetMonths int    `json:"budget_months"`
	Months       int    `json:"months"`
	// Variance is budget minus actual: above zero is under budget.
	Variance        *int64   `json:"variance"`
	VariancePercent *float64 `json:"variance_percent"`
	// DowntimeSeconds is the measured downtime (availability.Downtime);
	// DowntimeCost is nil while the service has no cost per hour.
	DowntimeSeconds int64  `json:"downtime_seconds"`
	DowntimeCost    *int64 `json:"downtime_cost"`
}

// ServiceCosts is one service's rows.
type ServiceCosts struct {
	ServiceID       int64       `json:"service_id"`
	Name            string      `json:"name"`
	Status          string      `json:"status"`
	OwnerID         *int64      `json:"owner_id"`
	DowntimePerHour *int64      `json:"downtime_per_hour"`
	DowntimeCur     string      `json:"downtime_currency"`
	Rows            []Row       `json:"rows"`
	Total           Row         `json:"total"`
	Assets          []AssetLine `json:"assets"`
	// AssetsTruncated is true when the service's upstream in the CMDB was
	// too large to walk whole, so some asset costs may be missing.
	AssetsTruncated bool `json:"assets_truncated"`
}

// Report is the cost of services over a span of periods.
type Report struct {
	Currency string         `json:"currency"`
	Kind     string         `json:"kind"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Periods  []string       `json:"periods"`
	Services []ServiceCosts `json:"services"`
	// Totals are every service's rows added up, per period.
	Totals []Row `json:"totals"`
}

// ReportQuery asks for a report: one service (0: every live service and
// every other with a cost or budget recorded) over from..to, periods of
// from's kind.
type ReportQuery struct {
	ServiceID int64
	From, To  Period
}

// Report computes the costs, budgets and downtime of services.
func (s *Service) Report(ctx context.Context, p *auth.Principal, rq ReportQuery) (Report, error) {
	if !p.Can(PermRead) {
		return Report{}, domainerr.ErrForbidden
	}
	periods, err := Span(rq.From, rq.To)
	if err != nil {
		return Report{}, domainerr.Field("to", "%s", err)
	}
	var rep Report
	err = s.DB.InReadTx(ctx, func(rt *store.ReadTx) error {
		rep, err = s.report(ctx, rt, rq.ServiceID, periods)
		return err
	})
	return rep, err
}

// monthly is one service's parts per month of the span.
type monthly struct {
	catalogue, assets, contracts, other, budget []int64
	budgeted                                    []bool
	downtime                                    []time.Duration
	downtimeCost                                []int64
}

func (s *Service) report(ctx context.Context, q store.Querier, serviceID int64, periods []Period) (Report, error) {
	first, last := periods[0], periods[len(periods)-1]
	span := Period{Kind: Month, Start: first.Start, End: last.End}
	months := span.Months()
	rt, err := loadRates(ctx, q)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Currency: rt.to, Kind: first.Kind, From: first.Label, To: last.Label, Services: []ServiceCosts{}}
	for _, per := range periods {
		rep.Periods = append(rep.Periods, per.Label)
	}
	svcs, err := reportServices(ctx, q, serviceID, span)
	if err != nil {
		return Report{}, err
	}
	assets, err := loadAssets(ctx, q)
	if err != nil {
		return Report{}, err
	}
	users, truncated, err := s.upstream(ctx, q, assets)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	for i := range svcs {
		sc := &svcs[i]
		mo, err := s.serviceMonths(ctx, q, rt, sc, months, assets, users, now)
		if err != nil {
			return Report{}, err
		}
		sc.AssetsTruncated = truncated[sc.ServiceID]
		sc.Assets = []AssetLine{}
		for ci, us := range users {
			if a := assets[ci]; a != nil && containsID(us, sc.ServiceID) {
				line := a.AssetLine
				line.SharedBy = len(us)
				sc.Assets = append(sc.Assets, line)
			}
		}
		sortAssets(sc.Assets)
		sc.Rows, sc.Total = rollUp(periods, months, mo, sc.DowntimePerHour != nil)
	}
	if rt.err != nil {
		return Report{}, rateError(rt.err)
	}
	rep.Services = svcs
	rep.Totals = totals(periods, svcs)
	return rep, nil
}

// rateError is the clear error a missing exchange rate gives.
func rateError(err error) error {
	return domainerr.Field("currency", "%s: amounts in two currencies cannot be added up without it; an administrator enters the rate for the month, its quarter or its year", err)
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func reportServices(ctx context.Context, q store.Querier, serviceID int64, span Period) ([]ServiceCosts, error) {
	query := `SELECT s.id, s.name, s.status, s.owner_id, c.downtime_per_hour, COALESCE(c.downtime_currency, '')
		FROM services s LEFT JOIN service_cost_settings c ON c.service_id = s.id`
	var args []any
	if serviceID != 0 {
		query, args = query+" WHERE s.id = ?", []any{serviceID}
	} else {
		query += ` WHERE s.status = 'live'
			OR EXISTS (SELECT 1 FROM budgets b WHERE b.service_id = s.id AND b.ends_on >= ? AND b.starts_on <= ?)
			OR EXISTS (SELECT 1 FROM service_costs e WHERE e.service_id = s.id AND e.ends_on >= ? AND e.starts_on <= ?)`
		args = []any{span.startsOn(), span.endsOn(), span.startsOn(), span.endsOn()}
	}
	rows, err := q.Query(ctx, query+" ORDER BY s.name, s.id LIMIT 2000", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ServiceCosts
	for rows.Next() {
		var sc ServiceCosts
		if err := rows.Scan(&sc.ServiceID, &sc.Name, &sc.Status, &sc.OwnerID, &sc.DowntimePerHour, &sc.DowntimeCur); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if serviceID != 0 && len(out) == 0 {
		return nil, domainerr.Field("service_id", "service %d does not exist", serviceID)
	}
	return out, nil
}

// serviceMonths computes one service's parts for each month.
func (s *Service) serviceMonths(ctx context.Context, q store.Querier, rt *rates, sc *ServiceCosts, months []Period,
	assets map[int64]*asset, users map[int64][]int64, now time.Time) (monthly, error) {
	n := len(months)
	mo := monthly{catalogue: make([]int64, n), assets: make([]int64, n), contracts: make([]int64, n), other: make([]int64, n),
		budget: make([]int64, n), budgeted: make([]bool, n), downtime: make([]time.Duration, n), downtimeCost: make([]int64, n)}
	var perMonth int64
	if err := q.QueryRow(ctx, `SELECT cost_per_month FROM services WHERE id = ?`, sc.ServiceID).Scan(&perMonth); err != nil {
		return mo, err
	}
	contracts, err := listContracts(ctx, q, sc.ServiceID)
	if err != nil {
		return mo, err
	}
	span := Period{Start: months[0].Start, End: months[n-1].End}
	other, err := spreadRows(ctx, q, `SELECT period, amount, currency FROM service_costs WHERE service_id = ? AND ends_on >= ? AND starts_on <= ?`,
		sc.ServiceID, span.startsOn(), span.endsOn())
	if err != nil {
		return mo, err
	}
	budgets, err := spreadRows(ctx, q, `SELECT period, amount, currency FROM budgets WHERE service_id = ? AND ends_on >= ? AND starts_on <= ?`,
		sc.ServiceID, span.startsOn(), span.endsOn())
	if err != nil {
		return mo, err
	}
	for i, m := range months {
		if sc.Status == "live" {
			mo.catalogue[i] = perMonth
		}
		for ci, us := range users {
			if a := assets[ci]; a != nil {
				mo.assets[i] += assetShare(a, us, sc.ServiceID, m)
			}
		}
		for _, c := range contracts {
			if c.Active && (c.ContractStart == nil || *c.ContractStart <= m.endsOn()) && (c.ContractEnd == nil || *c.ContractEnd >= m.startsOn()) {
				mo.contracts[i] += rt.in(c.AmountPerMonth, c.Currency, m)
			}
		}
		for _, x := range other[m.Label] {
			mo.other[i] += rt.in(x.Amount, x.Currency, m)
		}
		for _, x := range budgets[m.Label] {
			mo.budget[i] += rt.in(x.Amount, x.Currency, m)
			mo.budgeted[i] = true
		}
		if s.instant(m.Start).Before(now) {
			d, err := availability.Downtime(ctx, q, sc.ServiceID, s.instant(m.Start), s.instant(m.End))
			if err != nil {
				return mo, err
			}
			mo.downtime[i] = d
			if sc.DowntimePerHour != nil {
				mo.downtimeCost[i] = rt.in(downtimeCost(d, *sc.DowntimePerHour), sc.DowntimeCur, m)
			}
		}
	}
	return mo, nil
}

// downtimeCost is downtime at a cost per hour, rounded half up to a
// minor unit.
func downtimeCost(d time.Duration, perHour int64) int64 {
	num := new(big.Int).Mul(big.NewInt(int64(d/time.Second)), big.NewInt(perHour))
	num.Add(num, big.NewInt(1800))
	return num.Div(num, big.NewInt(3600)).Int64()
}

// spreadRows reads amounts kept per period and spreads each evenly over
// its months, keyed by month label.
func spreadRows(ctx context.Context, q store.Querier, query string, args ...any) (map[string][]Money, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]Money{}
	for rows.Next() {
		var label, cur string
		var amount int64
		if err := rows.Scan(&label, &amount, &cur); err != nil {
			return nil, err
		}
		per, err := ParsePeriod(label)
		if err != nil {
			return nil, err
		}
		ms := per.Months()
		for i, part := range spread(amount, len(ms)) {
			out[ms[i].Label] = append(out[ms[i].Label], Money{Amount: part, Currency: cur})
		}
	}
	return out, rows.Err()
}

// rollUp adds months up into the report's periods and a total.
func rollUp(periods, months []Period, mo monthly, priced bool) ([]Row, Row) {
	rows := make([]Row, 0, len(periods))
	total := Row{Period: "total"}
	var totalBudget int64
	i := 0
	for _, per := range periods {
		r := Row{Period: per.Label}
		var budget int64
		for ; i < len(months) && per.Contains(months[i]); i++ {
			r.Months++
			r.Catalogue += mo.catalogue[i]
			r.Assets += mo.assets[i]
			r.Contracts += mo.contracts[i]
			r.Other += mo.other[i]
			r.DowntimeSeconds += int64(mo.downtime[i] / time.Second)
			if mo.budgeted[i] {
				r.BudgetMonths++
				budget += mo.budget[i]
			}
			if priced {
				c := mo.downtimeCost[i] + deref64(r.DowntimeCost)
				r.DowntimeCost = &c
			}
		}
		finish(&r, budget)
		rows = append(rows, r)
		add(&total, r)
		totalBudget += budget
	}
	if !priced {
		total.DowntimeCost = nil
	}
	finish(&total, totalBudget)
	return rows, total
}

// finish sets a row's actual, budget and variance.
func finish(r *Row, budget int64) {
	r.Actual = r.Catalogue + r.Assets + r.Contracts + r.Other
	r.Budget, r.Variance, r.VariancePercent = nil, nil, nil
	if r.BudgetMonths == 0 {
		return
	}
	v := budget - r.Actual
	r.Budget, r.Variance = &budget, &v
	if budget != 0 {
		pc := math.Round(float64(v)/float64(budget)*1000) / 10
		r.VariancePercent = &pc
	}
}

// add adds r's parts into t (budget months and months included).
func add(t *Row, r Row) {
	t.Months += r.Months
	t.Catalogue += r.Catalogue
	t.Assets += r.Assets
	t.Contracts += r.Contracts
	t.Other += r.Other
	t.BudgetMonths += r.BudgetMonths
	t.DowntimeSeconds += r.DowntimeSeconds
	if r.DowntimeCost != nil {
		c := *r.DowntimeCost + deref64(t.DowntimeCost)
		t.DowntimeCost = &c
	}
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// totals adds every service's rows per period.
func totals(periods []Period, svcs []ServiceCosts) []Row {
	out := make([]Row, len(periods))
	budgets := make([]int64, len(periods))
	for i, per := range periods {
		out[i].Period = per.Label
	}
	for _, sc := range svcs {
		for i, r := range sc.Rows {
			months := out[i].BudgetMonths
			add(&out[i], r)
			out[i].Months, out[i].BudgetMonths = r.Months, max(months, r.BudgetMonths)
			budgets[i] += deref64(r.Budget)
		}
	}
	for i := range out {
		finish(&out[i], budgets[i])
	}
	return out
}

// IsRateMissing reports whether err is a missing exchange rate.
func IsRateMissing(err error) bool {
	var inv *domainerr.Invalid
	return errors.As(err, &inv) && strings.Contains(inv.Fields["currency"], ErrNoRate.Error())
}
