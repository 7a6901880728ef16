package compliance

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["continuity"] = continuityCases
}

// requirement gives a new service an RTO and RPO in minutes.
func (x *fx) requirement(rto, rpo int) int64 {
	svc := x.service("live", ts(-200))
	x.exec(`INSERT INTO continuity_requirements (service_id, rto_minutes, rpo_minutes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		svc, rto, rpo, ts(-200), ts(-200))
	return svc
}

// continuityPlan writes a plan covering services.
func (x *fx) continuityPlan(state string, services ...int64) int64 {
	id := x.id(`INSERT INTO continuity_plans (title, state, created_at, updated_at) VALUES (?, ?, ?, ?)`, "Plan", state, ts(-150), ts(-150))
	for _, s := range services {
		x.exec(`INSERT INTO continuity_plan_services (plan_id, service_id) VALUES (?, ?)`, id, s)
	}
	return id
}

// continuityTest records a test of plan days from now; rto nil for not
// measured.
func (x *fx) continuityTest(plan int64, days int, rto any) {
	x.exec(`INSERT INTO continuity_tests (plan_id, kind, held_on, rto_achieved_minutes, created_at, updated_at) VALUES (?, 'simulation', ?, ?, ?, ?)`,
		plan, dt(days), rto, ts(days), ts(days))
}

func continuityCases() []ruleCase {
	const rule = "8.7.2-tested"
	good := func(x *fx) { x.continuityTest(x.continuityPlan("approved", x.requirement(240, 60)), -30, 180) }
	return []ruleCase{
		{rule, "nothing recorded", nil, NoData},
		{rule, "a plan tested within its RTO", good, Met},
		{rule, "a plan tested within its RTO, and a service whose only plan is retired", func(x *fx) {
			good(x)
			x.continuityPlan("retired", x.requirement(60, 0))
		}, PartlyMet},
		{rule, "requirements without a plan", func(x *fx) { x.requirement(240, 60) }, NotMet},
		{rule, "a plan never tested", func(x *fx) { x.continuityPlan("draft", x.requirement(240, 60)) }, NotMet},
		{rule, "a plan last tested 13 months ago", func(x *fx) {
			x.continuityTest(x.continuityPlan("approved", x.requirement(240, 60)), -395, 60)
		}, NotMet},
		{rule, "a plan whose test missed the RTO", func(x *fx) {
			x.continuityTest(x.continuityPlan("approved", x.requirement(240, 60)), -30, 300)
		}, NotMet},
		{rule, "a tabletop that measured nothing", func(x *fx) {
			x.continuityTest(x.continuityPlan("approved", x.requirement(240, 60)), -30, nil)
		}, NotMet},
		{rule, "one good plan and one untested", func(x *fx) {
			good(x)
			x.continuityPlan("approved", x.requirement(240, 60))
		}, PartlyMet},
		{rule, "one good plan, one missed and one service without a plan", func(x *fx) {
			good(x)
			x.continuityTest(x.continuityPlan("approved", x.requirement(30, 0)), -10, 45)
			x.requirement(60, 0)
		}, NotMet},
	}
}
