package compliance

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"steward/internal/clauses"
	"steward/internal/store/storetest"
)

// ruleCase is one hand-made picture of the records and the status a rule
// must give for it.
type ruleCase struct {
	rule, name string
	setup      func(x *fx)
	want       Status
}

// scenario is good and bad record counts with the status they give.
type scenario struct {
	good, bad int
	want      Status
}

// Scenarios per pair of thresholds (met from, partly met from).
var (
	p95    = []scenario{{20, 0, Met}, {17, 3, PartlyMet}, {1, 3, NotMet}}
	p90    = []scenario{{10, 0, Met}, {8, 2, PartlyMet}, {1, 3, NotMet}} // 90/80, 90/75, 90/70
	p96    = []scenario{{10, 0, Met}, {7, 3, PartlyMet}, {1, 3, NotMet}} // 90/60
	p80    = []scenario{{10, 0, Met}, {6, 4, PartlyMet}, {1, 3, NotMet}} // 80/50
	pAll95 = []scenario{{20, 0, Met}, {19, 1, PartlyMet}, {17, 3, NotMet}}
	pAll80 = []scenario{{5, 0, Met}, {4, 1, PartlyMet}, {1, 1, NotMet}}
	pAll50 = []scenario{{4, 0, Met}, {1, 1, PartlyMet}, {0, 2, NotMet}}
	// Survey response rates: met from 30 %, partly from 10 %.
	pResponse = []scenario{{3, 7, Met}, {2, 8, PartlyMet}, {0, 10, NotMet}}
)

// shares builds a rule's cases from record makers: no records gives no
// data; each scenario runs prep, then good and bad records.
func shares(rule string, sc []scenario, prep func(x *fx), good, bad func(x *fx)) []ruleCase {
	out := []ruleCase{{rule: rule, name: "no records", want: NoData}}
	for _, s := range sc {
		s := s
		out = append(out, ruleCase{rule: rule, name: fmt.Sprintf("%d good %d bad", s.good, s.bad), want: s.want, setup: func(x *fx) {
			if prep != nil {
				prep(x)
			}
			for i := 0; i < s.good; i++ {
				good(x)
			}
			for i := 0; i < s.bad; i++ {
				bad(x)
			}
		}})
	}
	return out
}

// documentCases covers a rule judging one kind of document.
func documentCases(rule, docType, key string) []ruleCase {
	return []ruleCase{
		{rule, "none", nil, NoData},
		{rule, "draft", func(x *fx) { x.doc(docType, key, "draft", nil) }, NotMet},
		{rule, "approved, review overdue", func(x *fx) { x.doc(docType, key, "approved", dt(-1)) }, PartlyMet},
		{rule, "approved and current", func(x *fx) { x.doc(docType, key, "approved", dt(100)) }, Met},
	}
}

// processCases covers a rule over the seeded processes, k of which are
// made good.
func processCases(rule string, ks [3]int, set func(x *fx, id int64, key string)) []ruleCase {
	out := []ruleCase{{rule, "nothing recorded", nil, NoData}}
	for i, want := range []Status{Met, PartlyMet, NotMet} {
		k := ks[i]
		out = append(out, ruleCase{rule, fmt.Sprintf("%d processes", k), func(x *fx) {
			x.processes(k, func(id int64, key string) { set(x, id, key) })
		}, want})
	}
	return out
}

// areaCases are the cases of rules kept in files of their own, one
// function per area, each registered by its test file's init.
var areaCases = map[string]func() []ruleCase{}

// noDataOnly are the rules that can say nothing but "no data" while the
// records they judge are not kept.
var noDataOnly = map[string]bool{}

func allCases() []ruleCase {
	var c []ruleCase
	for _, name := range slices.Sorted(maps.Keys(areaCases)) {
		c = append(c, areaCases[name]()...)
	}
	add := func(cs ...[]ruleCase) {
		for _, x := range cs {
			c = append(c, x...)
		}
	}
	issue := func(origin, review string) func(x *fx) {
		return func(x *fx) {
			x.exec(`INSERT INTO context_issues (title, origin, identified_on, review_due, created_at, updated_at) VALUES ('Issue', ?, ?, ?, ?, ?)`, origin, dt(-100), review, ts(-100), ts(-100))
		}
	}
	alternate := func(x *fx) {
		if x.seq()%2 == 0 {
			issue("internal", dt(30))(x)
		} else {
			issue("external", dt(30))(x)
		}
	}
	add(shares("4.1-issues-reviewed", p95, nil, alternate, issue("internal", dt(-1))),
		[]ruleCase{{"4.1-issues-reviewed", "only internal issues", func(x *fx) {
			for i := 0; i < 5; i++ {
				issue("internal", dt(30))(x)
			}
		}, PartlyMet}},
		[]ruleCase{
			{"4.1-climate", "none", nil, NoData},
			{"4.1-climate", "undecided", issue("external", dt(30)), NotMet},
			{"4.1-climate", "decided", func(x *fx) {
				x.exec(`INSERT INTO context_issues (title, origin, identified_on, climate_decision, created_at, updated_at) VALUES ('Climate', 'external', ?, 'not_relevant', ?, ?)`, dt(-10), ts(-10), ts(-10))
			}, Met},
		})
	party := func(x *fx) int64 {
		return x.id(`INSERT INTO interested_parties (name, category, reviewed_on, created_at, updated_at) VALUES (?, 'customer', ?, ?, ?)`, fmt.Sprintf("Party %d", x.seq()), dt(-30), ts(-30), ts(-30))
	}
	requirement := func(x *fx, p int64, svc any) {
		x.exec(`INSERT INTO party_requirements (party_id, requirement, service_id, created_at) VALUES (?, 'Needs it', ?, ?)`, p, svc, ts(-30))
	}
	add(shares("4.2-party-requirements", p95, nil, func(x *fx) { requirement(x, party(x), nil) }, func(x *fx) { party(x) }),
		shares("4.2-requirements-traced", p96, func(x *fx) { x.vars["party"] = party(x); x.vars["svc"] = x.service("live", ts(-10)) },
			func(x *fx) { requirement(x, x.vars["party"], x.vars["svc"]) }, func(x *fx) { requirement(x, x.vars["party"], nil) }))
	scope := func(x *fx, approved bool) int64 {
		var at any
		if approved {
			at = ts(-10)
		}
		return x.id(`INSERT INTO scope_statements (number, statement, created_at, approved_at) VALUES (?, 'All services', ?, ?)`, x.seq(), ts(-10), at)
	}
	add([]ruleCase{
		{"4.3-scope-approved", "none", nil, NoData},
		{"4.3-scope-approved", "draft", func(x *fx) { scope(x, false) }, NotMet},
		{"4.3-scope-approved", "approved without services", func(x *fx) { scope(x, true) }, PartlyMet},
		{"4.3-scope-approved", "approved with a service", func(x *fx) {
			x.exec(`INSERT INTO scope_services (scope_id, service_id) VALUES (?, ?)`, scope(x, true), x.service("live", ts(-10)))
		}, Met},
	}, shares("4.3-scope-covers-live", p96, func(x *fx) { x.vars["scope"] = scope(x, true) },
		func(x *fx) {
			x.exec(`INSERT INTO scope_services (scope_id, service_id) VALUES (?, ?)`, x.vars["scope"], x.service("live", ts(-10)))
		}, func(x *fx) { x.service("live", ts(-10)) }))
	var prev int64
	add(processCases("4.4-process-interfaces", [3]int{26, 22, 2}, func(x *fx, id int64, _ string) {
		if prev != 0 && prev < id {
			x.exec(`INSERT INTO process_interfaces (from_id, to_id) VALUES (?, ?)`, prev, id)
		}
		prev = id
	}))
	for i := range c {
		if c[i].rule == "4.4-process-interfaces" && c[i].setup != nil {
			inner := c[i].setup
			c[i].setup = func(x *fx) { prev = 0; inner(x) }
		}
	}
	add(processCases("4.4-process-documented", [3]int{26, 22, 5}, func(x *fx, _ int64, key string) { x.doc("process", key, "approved", dt(100)) }))

	add([]ruleCase{
		{"5.1-review-led", "none", nil, NoData},
		{"5.1-review-led", "held and led", func(x *fx) {
			r := x.review(dt(-30), "held", x.vars["admin"], "minutes")
			x.exec(`INSERT INTO management_review_attendees (review_id, user_id) VALUES (?, ?)`, r, x.vars["admin"])
		}, Met},
		{"5.1-review-led", "held without chair", func(x *fx) { x.review(dt(-30), "held", nil, "minutes") }, PartlyMet},
		{"5.1-review-led", "held long ago", func(x *fx) { x.review(dt(-400), "closed", x.vars["admin"], "minutes") }, NotMet},
	})
	for _, a := range []struct{ rule, kind string }{{"5.1-review-actions", "management_review"}, {"10.1-corrective-actions", "nonconformity"}} {
		kind := a.kind
		add(shares(a.rule, p95, nil, func(x *fx) { x.action(kind, dt(10)) }, func(x *fx) { x.action(kind, dt(-5)) }))
	}
	add(documentCases("5.2-policy-approved", "policy", ""))
	ackPolicy := func(x *fx) {
		d := x.doc("policy", "", "approved", dt(100))
		v := x.id(`INSERT INTO document_versions (document_id, number, created_at) VALUES (?, 1, ?)`, d, ts(-50))
		x.exec(`UPDATE documents SET requires_ack = 1, current_version_id = ? WHERE id = ?`, v, d)
		x.exec(`INSERT INTO document_acknowledgements (version_id, user_id, acknowledged_at)
			SELECT ?, id, ? FROM users WHERE role IN ('admin', 'agent')`, v, ts(-5))
		x.vars["version"] = v
	}
	add(shares("5.2-policy-acknowledged", p95, ackPolicy, func(x *fx) {
		x.exec(`INSERT INTO document_acknowledgements (version_id, user_id, acknowledged_at) VALUES (?, ?, ?)`, x.vars["version"], x.user("agent"), ts(-1))
	}, func(x *fx) { x.user("agent") }))
	add(processCases("5.3-process-owners", [3]int{26, 22, 5}, func(x *fx, id int64, _ string) {
		x.exec(`UPDATE processes SET owner_id = ? WHERE id = ?`, x.vars["agent"], id)
	}))
	add(processCases("5.3-raci-accountable", [3]int{26, 22, 5}, func(x *fx, id int64, _ string) {
		x.exec(`INSERT INTO process_raci (process_id, activity, user_id, letter) VALUES (?, 'Run', ?, 'A')`, id, x.vars["agent"])
	}))

	add(shares("6.1-risks-treated", p95, nil, func(x *fx) { x.risk(x.vars["agent"], "reduce", dt(30), "") }, func(x *fx) { x.risk(x.vars["agent"], "undecided", dt(30), "") }),
		shares("6.1-risks-reviewed", p95, nil, func(x *fx) { x.risk(x.vars["agent"], "reduce", dt(30), "") }, func(x *fx) { x.risk(x.vars["agent"], "reduce", dt(-1), "") }),
		shares("6.2-objectives-owned", p95, nil, func(x *fx) { x.objective(x.vars["agent"], "test.compliance.half", 40, dt(30)) },
			func(x *fx) { x.objective(nil, "test.compliance.half", 40, dt(30)) }),
		shares("6.2-objectives-on-track", p80, nil, func(x *fx) { x.objective(x.vars["agent"], "test.compliance.half", 40, dt(30)) },
			func(x *fx) { x.objective(x.vars["agent"], "test.compliance.half", 60, dt(30)) }),
		[]ruleCase{{"6.2-objectives-on-track", "measure without records", func(x *fx) { x.objective(x.vars["agent"], "test.compliance.empty", 40, dt(30)) }, NoData}},
		documentCases("6.3-sms-plan", "sms_plan", ""),
		documentCases("7.1-resource-plan", "resource_plan", ""))

	skillPrep := func(x *fx) {
		x.vars["skill"] = x.id(`INSERT INTO skills (name) VALUES ('Triage')`)
		x.vars["role"] = x.id(`INSERT INTO job_roles (name) VALUES ('Agent')`)
		x.exec(`INSERT INTO job_role_skills (role_id, skill_id, level) VALUES (?, ?, 2)`, x.vars["role"], x.vars["skill"])
	}
	person := func(level int) func(x *fx) {
		return func(x *fx) {
			u := x.user("agent")
			x.exec(`INSERT INTO user_job_roles (user_id, role_id) VALUES (?, ?)`, u, x.vars["role"])
			x.exec(`INSERT INTO user_skills (user_id, skill_id, level, assessed_on) VALUES (?, ?, ?, ?)`, u, x.vars["skill"], level, dt(-10))
		}
	}
	training := func(kind, effectiveness string, user string) func(x *fx) {
		return func(x *fx) {
			u := x.vars[user]
			if user == "" {
				u = x.user("agent")
			}
			x.exec(`INSERT INTO trainings (user_id, kind, title, completed_on, effectiveness, created_at) VALUES (?, ?, 'Course', ?, ?, ?)`, u, kind, dt(-60), effectiveness, ts(-60))
		}
	}
	add(shares("7.2-competence-covered", p90, skillPrep, person(3), person(1)),
		shares("7.2-training-effective", p96, nil, training("training", "effective", "agent"), training("training", "pending", "agent")),
		shares("7.3-awareness", p95, func(x *fx) {
			x.exec(`INSERT INTO trainings (user_id, kind, title, completed_on, created_at) SELECT id, 'induction', 'Induction', ?, ? FROM users WHERE role IN ('admin', 'agent')`, dt(-300), ts(-300))
		}, training("awareness", "pending", ""), func(x *fx) { x.user("agent") }),
		documentCases("7.4-communication-plan", "communication_plan", ""),
		shares("7.5-documents-controlled", p95, nil, func(x *fx) { x.doc("record", "", "approved", dt(30)) }, func(x *fx) { x.doc("record", "", "approved", dt(-1)) }),
		[]ruleCase{
			{"7.5-mandatory-set", "none", nil, NoData},
			{"7.5-mandatory-set", "all approved", func(x *fx) {
				for _, t := range mandatoryTypes {
					x.doc(t.docType, "", "approved", dt(30))
				}
			}, Met},
			{"7.5-mandatory-set", "three approved", func(x *fx) {
				for _, t := range mandatoryTypes[:3] {
					x.doc(t.docType, "", "approved", dt(30))
				}
			}, PartlyMet},
			{"7.5-mandatory-set", "only drafts", func(x *fx) { x.doc("policy", "", "draft", nil) }, NotMet},
		})
	knownError := func(workaround string, linked bool) func(x *fx) {
		return func(x *fx) {
			p := x.problem("known_error", "cause", workaround, ts(-30), nil)
			if linked {
				x.link("incident", x.incident(ts(-10), "network", false, nil), "problem", p)
			}
		}
	}
	add(shares("7.6-known-errors-workaround", p90, nil, knownError("restart", false), knownError("", false)),
		shares("7.6-known-errors-used", p80, nil, knownError("restart", true), knownError("restart", false)))

	add(processCasesOperational(),
		shares("8.2.1-services-run", p95, nil, func(x *fx) {
			x.exec(`UPDATE services SET owner_id = ?, support_group_id = (SELECT MIN(id) FROM support_groups) WHERE id = ?`, x.vars["agent"], x.service("live", ts(-10)))
		}, func(x *fx) { x.service("live", ts(-10)) }),
		shares("8.2.2-service-requirements", p95, func(x *fx) { x.vars["party"] = party(x) },
			func(x *fx) { requirement(x, x.vars["party"], x.service("live", ts(-10))) }, func(x *fx) { x.service("live", ts(-10)) }),
		shares("8.2.3-parties-controlled", p95, nil, func(x *fx) { x.agreement("uc", dt(30), nil) }, func(x *fx) { x.agreement("ola", dt(-1), nil) }),
		shares("8.2.4-catalogue-complete", p95, nil, func(x *fx) {
			x.exec(`UPDATE services SET description = 'What it does', hours = '24x7', owner_id = ?, support_group_id = (SELECT MIN(id) FROM support_groups) WHERE id = ?`, x.vars["agent"], x.service("live", ts(-10)))
		}, func(x *fx) { x.service("live", ts(-10)) }))
	asset := func(owned bool, licence any) func(x *fx) {
		return func(x *fx) {
			var owner any
			if owned {
				owner = x.vars["agent"]
			}
			x.exec(`INSERT INTO assets (ci_id, licence_end, created_at, updated_at) VALUES (?, ?, ?, ?)`, x.ci("in_use", owner), licence, ts(-10), ts(-10))
		}
	}
	history := func(ref string) func(x *fx) {
		return func(x *fx) {
			x.exec(`INSERT INTO ci_history (ci_id, at, actor_name, action, field, change_ref) VALUES (1, ?, 'Admin', 'update', 'name', ?)`, ts(-5), ref)
		}
	}
	verification := func(days, ok, differs int) func(x *fx) {
		return func(x *fx) {
			v := x.id(`INSERT INTO ci_verifications (verified_by, created_at) VALUES ('Admin', ?)`, ts(days))
			for i := 0; i < ok+differs; i++ {
				result := "ok"
				if i >= ok {
					result = "differs"
				}
				x.exec(`INSERT INTO ci_verification_items (verification_id, ci_id, result) VALUES (?, ?, ?)`, v, i+1, result)
			}
		}
	}
	add(shares("8.2.5-assets-owned", p95, nil, asset(true, nil), asset(false, nil)),
		shares("8.2.5-licences-current", pAll95, nil, asset(true, dt(30)), asset(true, dt(-1))),
		shares("8.2.6-cis-owned", p95, nil, func(x *fx) { x.ci("in_use", x.vars["agent"]) }, func(x *fx) { x.ci("in_use", nil) }),
		[]ruleCase{
			{"8.2.6-verified", "never", nil, NoData},
			{"8.2.6-verified", "long ago", verification(-400, 20, 0), NotMet},
			{"8.2.6-verified", "recent and clean", verification(-30, 20, 0), Met},
			{"8.2.6-verified", "recent with differences", verification(-30, 17, 3), PartlyMet},
		},
		shares("8.2.6-changes-traced", p96, nil, history("CHG-000001"), history("")))

	complaint := func(state string, target string, closed any) func(x *fx) {
		return func(x *fx) {
			x.exec(`INSERT INTO complaints (title, state, source, target_on, created_at, updated_at, closed_at) VALUES (?, ?, 'agent', ?, ?, ?, ?)`,
				fmt.Sprintf("Complaint %d", x.seq()), state, target, ts(-30), ts(-30), closed)
		}
	}
	survey := func(answered bool) func(x *fx) {
		return func(x *fx) {
			if x.vars["requester"] == 0 {
				x.vars["requester"] = x.user("requester")
			}
			var rating, at any
			if answered {
				rating, at = 4, ts(-5)
			}
			x.exec(`INSERT INTO satisfaction_surveys (ticket_kind, ticket_id, requester_id, sent_at, expires_at, rating, answered_at) VALUES ('incident', ?, ?, ?, ?, ?, ?)`,
				x.seq(), x.vars["requester"], ts(-10), ts(4), rating, at)
		}
	}
	serviceReview := func(state string, planned string) func(x *fx) {
		return func(x *fx) {
			if x.vars["reviewed"] == 0 {
				x.vars["reviewed"] = x.agreement("sla", dt(30), nil)
			}
			var held any
			if state == "held" {
				held = planned
			}
			x.exec(`INSERT INTO service_reviews (agreement_id, every_months, planned_on, period_start, period_end, state, held_on, created_at, updated_at)
				VALUES (?, 3, ?, ?, ?, ?, ?, ?, ?)`, x.vars["reviewed"], planned, dt(-120), planned, state, held, ts(-130), ts(-130))
		}
	}
	customer := func(reviewed any) func(x *fx) {
		return func(x *fx) {
			x.exec(`INSERT INTO interested_parties (name, category, reviewed_on, created_at, updated_at) VALUES (?, 'customer', ?, ?, ?)`, fmt.Sprintf("Customer %d", x.seq()), reviewed, ts(-30), ts(-30))
		}
	}
	slaPrep := func(kind string) func(x *fx) {
		return func(x *fx) {
			x.vars["agreement"] = x.agreement(kind, dt(30), nil)
			x.vars["definition"] = x.definition(x.vars["agreement"])
		}
	}
	timer := func(kind, metric, state string) func(x *fx) {
		return func(x *fx) { x.timer(kind, metric, x.vars["definition"], x.vars["agreement"], state) }
	}
	add(shares("8.3.2-customer-reviews", p96, nil, customer(dt(-30)), customer(nil)),
		shares("8.3.2-complaints-closed", p90, nil, complaint("received", dt(10), nil), complaint("investigating", dt(-1), nil)),
		// Complaints closed late count against; those logged as
		// nonconformities before complaints were records count too.
		[]ruleCase{{"8.3.2-complaints-closed", "closed late, and one kept as a nonconformity", func(x *fx) {
			complaint("closed", dt(-5), ts(-2))(x)
			x.nc("open", dt(10), "complaint", "", nil, nil)
		}, NotMet}},
		shares("8.3.2-satisfaction", pResponse, nil, survey(true), survey(false)),
		shares("8.3.2-service-reviews", p96, nil, serviceReview("held", dt(-20)), serviceReview("planned", dt(-3))),
		shares("8.3.3-sla-attainment", p90, slaPrep("sla"), timer("incident", "response", "met"), timer("request", "resolution", "breached")),
		shares("8.3.3-agreements-reviewed", p95, nil, func(x *fx) { x.definition(x.agreement("sla", dt(30), nil)) }, func(x *fx) { x.agreement("sla", dt(30), nil) }),
		shares("8.3.4-contracts-current", p95, nil, func(x *fx) { x.agreement("uc", dt(30), dt(100)) }, func(x *fx) { x.agreement("uc", dt(30), dt(-1)) }),
		shares("8.3.4-supplier-performance", p90, slaPrep("uc"), timer("incident", "resolution", "met"), timer("incident", "resolution", "breached")),
		documentCases("8.4.1-documented", "process", "budgeting"),
		documentCases("8.4.2-documented", "procedure", "demand"),
		documentCases("8.4.3-documented", "plan", "capacity"))

	change := func(typ string, approved bool, extra string) func(x *fx) {
		return func(x *fx) {
			var at any
			if approved {
				at = ts(-11)
			}
			x.change(typ, at, ts(-10), extra)
		}
	}
	add(shares("8.5.1-approved-first", pAll95, nil, change("normal", true, ""), change("normal", false, "")),
		[]ruleCase{{"8.5.1-approved-first", "approved after implementation", func(x *fx) { x.change("normal", ts(-9), ts(-10), "") }, NotMet}},
		shares("8.5.1-plans", p95, nil, change("normal", true, ""), change("emergency", true, "no-backout")),
		shares("8.5.1-emergency-share", p90, nil, change("normal", true, ""), change("emergency", true, "")),
		shares("8.5.1-success-rate", p90, nil, change("standard", true, ""), change("normal", true, "failed")),
		shares("8.5.1-failed-reviewed", p95, nil, change("normal", true, "failed-reviewed"), change("normal", true, "failed")),
		shares("8.5.2-new-services-transitioned", p96, nil, func(x *fx) {
			s := x.service("live", ts(-30))
			x.exec(`INSERT INTO change_services (change_id, service_id) VALUES (?, ?)`, x.change("normal", ts(-40), ts(-35), ""), s)
		}, func(x *fx) { x.service("pipeline", ts(-30)) }))
	rel := func(x *fx, criteria string) int64 {
		return x.id(`INSERT INTO releases (title, type, state, acceptance_criteria, test_results, created_at, updated_at) VALUES (?, 'minor', 'deployed', ?, 'passed', ?, ?)`,
			fmt.Sprintf("Release %d", x.seq()), criteria, ts(-20), ts(-20))
	}
	deploy := func(x *fx, release, ci int64, verification string) {
		x.exec(`INSERT INTO release_deployments (release_id, environment, ci_id, deployed_at, verification, created_at, updated_at) VALUES (?, 'production', ?, ?, ?, ?, ?)`,
			release, ci, ts(-5), verification, ts(-5), ts(-5))
	}
	add(shares("8.5.3-acceptance", p95, func(x *fx) { x.vars["ci"] = x.ci("in_use", nil) },
		func(x *fx) { deploy(x, rel(x, "works"), x.vars["ci"], "passed") }, func(x *fx) { deploy(x, rel(x, ""), x.vars["ci"], "passed") }),
		shares("8.5.3-deployments-verified", p95, func(x *fx) { x.vars["ci"] = x.ci("in_use", nil); x.vars["release"] = rel(x, "works") },
			func(x *fx) { deploy(x, x.vars["release"], x.vars["ci"], "passed") }, func(x *fx) { deploy(x, x.vars["release"], x.vars["ci"], "pending") }))

	major := func(linked bool) func(x *fx) {
		return func(x *fx) {
			i := x.incident(ts(-20), "network", true, ts(-5))
			if linked {
				x.link("incident", i, "problem", x.problem("investigating", "", "", ts(-4), nil))
			}
		}
	}
	add(shares("8.6.1-classified", p95, nil, func(x *fx) { x.incident(ts(-5), "network", false, nil) }, func(x *fx) { x.incident(ts(-5), "", false, nil) }),
		shares("8.6.1-within-sla", p90, slaPrep("sla"), timer("incident", "resolution", "met"), timer("incident", "resolution", "breached")),
		shares("8.6.1-major-reviewed", pAll50, nil, major(true), major(false)),
		shares("8.6.2-within-target", p90, slaPrep("sla"), timer("request", "resolution", "met"), timer("request", "resolution", "breached")),
		shares("8.6.2-items-routed", p95, func(x *fx) { x.vars["svc"] = x.service("live", ts(-10)) }, func(x *fx) {
			x.exec(`INSERT INTO catalog_items (service_id, name, group_id, created_at, updated_at) VALUES (?, ?, (SELECT MIN(id) FROM support_groups), ?, ?)`, x.vars["svc"], fmt.Sprintf("Item %d", x.seq()), ts(-10), ts(-10))
		}, func(x *fx) {
			x.exec(`INSERT INTO catalog_items (service_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)`, x.vars["svc"], fmt.Sprintf("Item %d", x.seq()), ts(-10), ts(-10))
		}),
		shares("8.6.3-root-cause", p95, nil, func(x *fx) { x.problem("closed", "disk full", "", ts(-50), ts(-10)) }, func(x *fx) { x.problem("resolved", "", "", ts(-50), ts(-10)) }),
		shares("8.6.3-investigated", p80, nil, func(x *fx) { x.problem("investigating", "", "", ts(-10), nil) }, func(x *fx) { x.problem("new", "", "", ts(-100), nil) }),
		documentCases("8.7.1-documented", "plan", "availability"),
		documentCases("8.7.2-plan", "plan", "continuity"),
		documentCases("8.7.3-policy", "policy", "security"),
		shares("8.7.3-risks-assessed", p95, nil, func(x *fx) { x.risk(x.vars["agent"], "reduce", dt(30), "security") }, func(x *fx) { x.risk(nil, "reduce", dt(30), "security") }))

	add(shares("9.1-objectives-measured", p95, nil, func(x *fx) { x.objective(x.vars["agent"], "test.compliance.half", 40, dt(30)) },
		func(x *fx) { x.objective(x.vars["agent"], "no.such.metric", 40, dt(30)) }),
		[]ruleCase{
			{"9.2-audit-held", "none", nil, NoData},
			{"9.2-audit-held", "reported", func(x *fx) { x.audit("reported", ts(-30), dt(-40)) }, Met},
			{"9.2-audit-held", "only planned", func(x *fx) { x.audit("planned", nil, dt(10)) }, PartlyMet},
			{"9.2-audit-held", "reported long ago", func(x *fx) { x.audit("reported", ts(-400), dt(-410)) }, NotMet},
		})
	add(processCases("9.2-processes-covered", [3]int{26, 13, 5}, func(x *fx, id int64, _ string) {
		a, ok := x.vars["audit"]
		if !ok {
			a = x.audit("reported", ts(-30), dt(-40))
			x.vars["audit"] = a
		}
		x.exec(`INSERT INTO internal_audit_processes (audit_id, process_id) VALUES (?, ?)`, a, id)
	}))
	audited := func(auditor string) func(x *fx) {
		return func(x *fx) {
			a := x.audit("reported", ts(-30), dt(-40))
			x.exec(`INSERT INTO internal_audit_processes (audit_id, process_id) VALUES (?, (SELECT MIN(id) FROM processes))`, a)
			x.exec(`INSERT INTO internal_audit_auditors (audit_id, user_id) VALUES (?, ?)`, a, x.vars[auditor])
		}
	}
	finding := func(raised bool) func(x *fx) {
		return func(x *fx) {
			i := x.id(`INSERT INTO internal_audit_items (audit_id, clause, result) VALUES (?, ?, 'minor_nc')`, x.vars["audit"], fmt.Sprintf("4.%d", x.seq()))
			if raised {
				x.exec(`UPDATE nonconformities SET audit_item_id = ? WHERE id = ?`, i, x.nc("open", dt(10), "audit", "", nil, nil))
			}
		}
	}
	add(shares("9.2-auditors-independent", pAll80, func(x *fx) {
		x.exec(`UPDATE processes SET owner_id = ? WHERE id = (SELECT MIN(id) FROM processes)`, x.vars["agent"])
	}, audited("agent2"), audited("agent")),
		shares("9.2-findings-raised", pAll80, func(x *fx) { x.vars["audit"] = x.audit("reported", ts(-30), dt(-40)) }, finding(true), finding(false)),
		[]ruleCase{
			{"9.3-review-held", "none", nil, NoData},
			{"9.3-review-held", "held this year", func(x *fx) { x.review(dt(-30), "held", nil, "m") }, Met},
			{"9.3-review-held", "held 15 months ago", func(x *fx) { x.review(dt(-450), "closed", nil, "m") }, PartlyMet},
			{"9.3-review-held", "held 20 months ago", func(x *fx) { x.review(dt(-600), "closed", nil, "m") }, NotMet},
		},
		shares("9.3-review-complete", pAll50, nil, func(x *fx) { x.review(dt(-30), "held", nil, "minutes") }, func(x *fx) { x.review(dt(-30), "held", nil, "") }),
		shares("9.4-reports-produced", p95, nil, func(x *fx) {
			d := x.id(`INSERT INTO report_definitions (name, frequency, created_at, updated_at) VALUES (?, 'monthly', ?, ?)`, fmt.Sprintf("Report %d", x.seq()), ts(-100), ts(-100))
			x.exec(`INSERT INTO report_runs (definition_id, period_from, period_to, produced_at) VALUES (?, ?, ?, ?)`, d, dt(-40), dt(-10), ts(-10))
		}, func(x *fx) {
			x.exec(`INSERT INTO report_definitions (name, frequency, created_at, updated_at) VALUES (?, 'monthly', ?, ?)`, fmt.Sprintf("Report %d", x.seq()), ts(-100), ts(-100))
		}))

	improvement := func(status string, approved bool, due any, measured bool) func(x *fx) {
		return func(x *fx) {
			var at, base, result, done any
			if approved {
				at = ts(-40)
			}
			if measured {
				base, result = 10.0, 20.0
			}
			if status == "done" {
				done = ts(-10)
			}
			x.exec(`INSERT INTO improvements (title, status, approved_at, due_on, baseline_value, result_value, done_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				fmt.Sprintf("Improvement %d", x.seq()), status, at, due, base, result, done, ts(-50), ts(-50))
		}
	}
	add(shares("10.1-ncs-on-time", p90, nil, func(x *fx) { x.nc("action", dt(10), "audit", "", nil, nil) }, func(x *fx) { x.nc("open", dt(-1), "audit", "", nil, nil) }),
		[]ruleCase{{"10.1-ncs-on-time", "all closed", func(x *fx) { x.nc("closed", dt(-10), "audit", "cause", "effective", ts(-5)) }, Met}},
		shares("10.1-ncs-closed-properly", p95, nil, func(x *fx) { x.nc("closed", dt(-10), "audit", "cause", "effective", ts(-5)) },
			func(x *fx) { x.nc("closed", dt(-10), "audit", "", "effective", ts(-5)) }),
		shares("10.2-improvements-approved", p95, nil, improvement("in_progress", true, nil, false), improvement("done", false, nil, false)),
		[]ruleCase{{"10.2-improvements-approved", "only proposals", improvement("proposed", false, nil, false), NotMet}},
		shares("10.2-improvements-measured", p80, nil, improvement("done", true, nil, true), improvement("done", true, nil, false)),
		shares("10.2-improvements-on-time", p90, nil, improvement("approved", true, dt(10), false), improvement("in_progress", true, dt(-1), false)))
	return c
}

// processCasesOperational covers 8.1 over the 20 operational processes.
func processCasesOperational() []ruleCase {
	rule := "8.1-operational-controls"
	set := func(k int) func(x *fx) {
		return func(x *fx) {
			rows, err := x.q.Query(x.ctx, `SELECT id, key FROM processes WHERE clause LIKE '8.%' ORDER BY id LIMIT ?`, k)
			if err != nil {
				x.t.Fatal(err)
			}
			var ids []int64
			var keys []string
			for rows.Next() {
				var id int64
				var key string
				rows.Scan(&id, &key)
				ids, keys = append(ids, id), append(keys, key)
			}
			rows.Close()
			for i := range ids {
				x.exec(`UPDATE processes SET owner_id = ? WHERE id = ?`, x.vars["agent"], ids[i])
				x.doc("process", keys[i], "approved", dt(100))
			}
		}
	}
	return []ruleCase{{rule, "none", nil, NoData}, {rule, "all 20", set(20), Met}, {rule, "17 of 20", set(17), PartlyMet}, {rule, "5 of 20", set(5), NotMet}}
}

// Each rule gives the status its hand-made records call for, on both
// engines.
func TestRuleCases(t *testing.T) {
	cases := allCases()
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		vars := base(t, e.DB)
		for _, c := range cases {
			t.Run(c.rule+"/"+c.name, func(t *testing.T) {
				res := evalRule(t, e.DB, vars, c.rule, c.setup)
				if res.Status != c.want {
					t.Errorf("%s, want %s: %s", res.Status, c.want, res.Summary)
				}
				if res.Summary == "" || strings.Contains(res.Summary, "%!") {
					t.Errorf("summary %q", res.Summary)
				}
				if res.Status != NoData && res.Status != Met && len(res.Links) == 0 {
					t.Errorf("a shortfall without links to the records behind it: %s", res.Summary)
				}
				if len(res.Links) > MaxLinks {
					t.Errorf("%d links", len(res.Links))
				}
			})
		}
	})
}

// Every rule has cases, and every rule that can judge reaches each status.
func TestRuleCasesCoverEveryStatus(t *testing.T) {
	reached := map[string]map[Status]bool{}
	for _, c := range allCases() {
		if reached[c.rule] == nil {
			reached[c.rule] = map[Status]bool{}
		}
		reached[c.rule][c.want] = true
	}
	// Rules whose records are not kept say no data and nothing else; the
	// climate decision is made or not, with no half way.
	only := map[string][]Status{"4.1-climate": {Met, NotMet, NoData}}
	for id := range noDataOnly {
		only[id] = []Status{NoData}
	}
	for _, r := range Rules(clauses.Primary) {
		want := Statuses
		if s, ok := only[r.ID]; ok {
			want = s
		}
		for _, s := range want {
			if !reached[r.ID][s] {
				t.Errorf("rule %s has no case giving %s", r.ID, s)
			}
		}
	}
}

// concat joins case lists.
func concat(cs ...[]ruleCase) []ruleCase {
	var out []ruleCase
	for _, c := range cs {
		out = append(out, c...)
	}
	return out
}
