package compliance

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["capacity"] = func() []ruleCase { return concat(demandCases(), capacityCases()) }
}

// capService is a live service with a capacity plan (demand text and a
// review date, or none when reviewed is nil) watching one series with a
// threshold whose last sample is lastDays old (no series when lastDays is
// 0). It returns the service.
func capService(x *fx, demand string, reviewed any, lastDays int) int64 {
	svc := x.service("live", ts(-200))
	plan := x.id(`INSERT INTO capacity_plans (service_id, title, demand, reviewed_on, created_at, updated_at) VALUES (?, 'Plan', ?, ?, ?, ?)`,
		svc, demand, reviewed, ts(-100), ts(-100))
	if lastDays > 0 {
		last := now.AddDate(0, 0, -lastDays)
		series := x.id(`INSERT INTO capacity_series (service_id, metric, warn_at, act_at, act_action, created_at, updated_at)
			VALUES (?, 'cpu', 70, 90, 'Add a node', ?, ?)`, svc, ts(-100), ts(-100))
		x.exec(`INSERT INTO capacity_samples (series_id, at, value) VALUES (?, ?, 95)`, series, last.Unix())
		x.exec(`INSERT INTO capacity_plan_series (plan_id, series_id) VALUES (?, ?)`, plan, series)
	}
	return svc
}

// ticketOn raises an incident on a service, days ago.
func ticketOn(x *fx, svc int64, days int) {
	x.exec(`INSERT INTO incidents (title, impact, urgency, priority, state, service_id, created_at, updated_at)
		VALUES ('Slow', 'low', 'low', 4, 'new', ?, ?, ?)`, svc, ts(-days), ts(-days))
}

func demandCases() []ruleCase {
	good := func(x *fx) { ticketOn(x, capService(x, "Logins grow 5 % a month", dt(-30), 0), 10) }
	bad := func(x *fx) {
		// Busy, but its plan was last reviewed two years ago and says nothing of demand.
		ticketOn(x, capService(x, "", dt(-730), 0), 10)
	}
	return append(shares("8.4.2-demand", p80, nil, good, bad),
		ruleCase{"8.4.2-demand", "quiet services only", func(x *fx) {
			svc := capService(x, "", nil, 0)
			ticketOn(x, svc, 200) // before the 90 days
		}, NoData},
		ruleCase{"8.4.2-demand", "busy service without a plan", func(x *fx) {
			ticketOn(x, x.service("live", ts(-200)), 5)
		}, NotMet})
}

func capacityCases() []ruleCase {
	good := func(x *fx) { capService(x, "", dt(-30), 2) }
	bad := func(x *fx) { capService(x, "", dt(-30), 60) } // watched series silent for 60 days
	return append(shares("8.4.3-capacity", p80, nil, good, bad),
		ruleCase{"8.4.3-capacity", "only retired services", func(x *fx) { x.service("retired", ts(-300)) }, NoData},
		ruleCase{"8.4.3-capacity", "live services without plans", func(x *fx) {
			x.service("live", ts(-100))
			x.service("live", ts(-100))
		}, NotMet})
}
