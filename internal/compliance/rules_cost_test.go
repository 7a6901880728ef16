package compliance

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["cost"] = func() []ruleCase {
		// good: a live service with a budget for this month and a cost
		// entered for the quarter; bad: budgeted but nothing spent
		// recorded, or costed but without a budget.
		good := func(x *fx) {
			s := x.service("live", ts(-100))
			x.budget(s, "2026-12", "2026-12-01", "2026-12-31")
			x.serviceCost(s, "2026-10", "2026-10-01", "2026-10-31")
		}
		bad := func(x *fx) {
			s := x.service("live", ts(-100))
			if x.seq()%2 == 0 {
				x.budget(s, "2026-Q4", "2026-10-01", "2026-12-31")
			} else {
				x.exec(`UPDATE services SET cost_per_month = 1000 WHERE id = ?`, s)
				x.budget(s, "2026-11", "2026-11-01", "2026-11-30")
			}
		}
		return concat(
			[]ruleCase{{"8.4.1-budget", "no live services", func(x *fx) { x.service("retired", ts(-10)) }, NoData}},
			shares("8.4.1-budget", []scenario{{10, 0, Met}, {6, 4, PartlyMet}, {1, 3, NotMet}}, nil, good, bad)[1:],
			[]ruleCase{{"8.4.1-budget", "catalogue cost and a year's budget", func(x *fx) {
				s := x.service("live", ts(-100))
				x.exec(`UPDATE services SET cost_per_month = 1000 WHERE id = ?`, s)
				x.budget(s, "2026", "2026-01-01", "2026-12-31")
			}, Met}},
		)
	}
}

func (x *fx) budget(service int64, period, from, to string) {
	x.exec(`INSERT INTO budgets (service_id, period, starts_on, ends_on, amount, currency, created_at, updated_at) VALUES (?, ?, ?, ?, 100, 'EUR', ?, ?)`,
		service, period, from, to, ts(-1), ts(-1))
}

func (x *fx) serviceCost(service int64, period, from, to string) {
	x.exec(`INSERT INTO service_costs (service_id, period, starts_on, ends_on, category, amount, currency, created_at) VALUES (?, ?, ?, ?, 'staff', 100, 'EUR', ?)`,
		service, period, from, to, ts(-1))
}
