package demo

import (
	"context"
	"math"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/improvement"
	"steward/internal/kpi"
	"steward/internal/objective"
	"steward/internal/risk"
	"steward/internal/servicereport"
	"steward/internal/store"
)

// loadPlanning fills the management system's planning: a risk register
// spread over the matrix (two risks above the appetite still without a
// treatment, one review overdue), objectives on the measures computed
// from the demo's own records (most on track, one not), improvements at
// every stage (one done and measured before and after), and the service
// reports agreed, one of them overdue.
func loadPlanning(ctx context.Context, db *store.DB) error {
	people := map[string]int64{}
	for _, e := range []string{"admin@steward.demo", "mei.chen@steward.demo", "jonas.berg@steward.demo", "sam.patel@steward.demo",
		"tom.okafor@steward.demo", "lucia.romero@steward.demo"} {
		u, err := auth.UserByEmail(ctx, db, e)
		if err != nil {
			return err
		}
		people[e] = u.ID
	}
	if err := loadRisks(ctx, db, people); err != nil {
		return err
	}
	if err := loadObjectives(ctx, db, people); err != nil {
		return err
	}
	if err := loadImprovements(ctx, db, people); err != nil {
		return err
	}
	return loadServiceReports(ctx, db, people)
}

func loadRisks(ctx context.Context, db *store.DB, people map[string]int64) error {
	svc := risk.NewService(db)
	today := time.Now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	serviceID := func(name string) []int64 {
		var id int64
		if err := db.QueryRow(ctx, "SELECT id FROM services WHERE name = ?", name).Scan(&id); err != nil {
			return []int64{}
		}
		return []int64{id}
	}
	for _, x := range []struct {
		title, desc, kind, cat, process, owner string
		l, i                                   int
		treat, plan                            string
		rl, ri                                 int
		status, due, reviewed, service         string
	}{
		{"Single database cluster for ERP", "ERP runs on one database cluster in one data centre; losing it stops order entry.", "risk", "Availability", "availability",
			"jonas.berg@steward.demo", 3, 5, "reduce", "Add a standby cluster in the second data centre and test the switch-over twice a year.", 2, 4, "treating", day(60), day(-30), "ERP"},
		{"Payroll supplier contract ends without notice clause", "The payroll software contract renews yearly; the supplier may end it with 30 days' notice.", "risk", "Supplier", "supplier",
			"lucia.romero@steward.demo", 2, 4, "transfer", "Negotiate a 6-month notice period and an escrow of the software.", 1, 4, "treating", day(90), day(-45), "Payroll"},
		{"Phishing leads to mailbox takeover", "Staff mailboxes are the way into most other systems.", "risk", "Security", "security",
			"sam.patel@steward.demo", 4, 4, "reduce", "Enforce phishing-resistant sign-in for all staff; quarterly awareness exercise.", 2, 3, "treating", day(30), day(-60), "E-mail"},
		{"Ransomware encrypts file shares", "Shared drives are writable by every member of staff.", "risk", "Security", "security",
			"sam.patel@steward.demo", 3, 5, "undecided", "", 0, 0, "open", day(14), "", ""},
		{"Key person for the nightly ERP batch", "Only one engineer knows how to restart the batch after a failure.", "risk", "People", "incident",
			"jonas.berg@steward.demo", 4, 3, "undecided", "", 0, 0, "open", day(-20), day(-200), "ERP"},
		{"Change backlog before the year-end freeze", "Changes pile up in the weeks before the freeze and are rushed through.", "risk", "Change", "change",
			"mei.chen@steward.demo", 4, 2, "reduce", "Publish the freeze date two months ahead; cap normal changes per week.", 3, 2, "treating", day(45), day(-10), ""},
		{"Monitoring misses disk exhaustion on old servers", "", "risk", "Capacity", "capacity",
			"tom.okafor@steward.demo", 2, 3, "accept", "Servers are retired next quarter; accepted until then.", 2, 3, "accepted", day(80), day(-5), ""},
		{"Printer fleet out of support", "", "risk", "Assets", "configuration",
			"tom.okafor@steward.demo", 2, 1, "accept", "", 0, 0, "accepted", day(150), day(-15), ""},
		{"Data centre cooling failure", "", "risk", "Availability", "availability",
			"jonas.berg@steward.demo", 1, 5, "transfer", "Covered by the co-location provider's contract and insurance.", 1, 3, "treating", day(120), day(-90), ""},
		{"Self-service portal reduces calls", "Most password resets and access requests could be handled by requesters themselves.", "opportunity", "Service desk", "request",
			"mei.chen@steward.demo", 4, 3, "exploit", "Add password reset and standard access requests to the catalogue.", 0, 0, "treating", day(60), day(-20), ""},
		{"Shared knowledge base with the supplier", "", "opportunity", "Knowledge", "problem",
			"lucia.romero@steward.demo", 2, 2, "undecided", "", 0, 0, "open", day(30), "", ""},
		{"Old VPN concentrator replaced", "Closed when the new VPN went live.", "risk", "Security", "security",
			"sam.patel@steward.demo", 3, 3, "avoid", "Replaced.", 1, 1, "closed", "", day(-100), ""},
	} {
		in := risk.Input{Title: &x.title, Description: &x.desc, Kind: &x.kind, Category: &x.cat, ProcessKey: &x.process,
			OwnerID: ptr(people[x.owner]), Likelihood: &x.l, Impact: &x.i, Treatment: &x.treat, TreatmentPlan: &x.plan,
			ResidualLikelihood: &x.rl, ResidualImpact: &x.ri, Status: &x.status, ReviewDue: &x.due, ReviewedOn: &x.reviewed}
		if x.service != "" {
			in.ServiceIDs = ptr(serviceID(x.service))
		}
		if _, err := svc.Create(ctx, audit.System, in); err != nil {
			return err
		}
	}
	return nil
}

func loadObjectives(ctx context.Context, db *store.DB, people map[string]int64) error {
	svc := objective.NewService(db)
	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -3, 0)
	for _, x := range []struct {
		title, owner, key, dir string
		// margin moves the target from today's value: a target the
		// objective meets (on track) or one it does not (off track).
		margin float64
	}{
		{"Resolve incidents within their SLA", "admin@steward.demo", "incident.within_sla", "at_least", -0.1},
		{"Resolve incidents faster", "mei.chen@steward.demo", "incident.mttr_hours", "at_most", 0.15},
		{"Changes succeed first time", "jonas.berg@steward.demo", "change.success_rate", "at_least", 0.08},
		{"Keep emergency changes rare", "jonas.berg@steward.demo", "change.emergency_pct", "at_most", 0.3},
	} {
		m, ok := kpi.Get(x.key)
		if !ok {
			continue
		}
		v, err := kpi.Current(ctx, db, m, 90, now)
		if err != nil {
			return err
		}
		target := math.Round(v.Value * (1 + x.margin))
		if m.Unit == "%" {
			target = math.Min(100, target)
		}
		if target <= 0 {
			target = 5
		}
		base := math.Round(v.Value * (1 - x.margin/2))
		in := objective.Input{Title: &x.title, OwnerID: ptr(people[x.owner]), MetricKey: &x.key, PeriodDays: ptr(90), Target: &target,
			Direction: &x.dir, StartsOn: ptr(start.Format("2006-01-02")), DueOn: ptr(start.AddDate(1, 0, 0).Format("2006-01-02"))}
		if v.N > 0 {
			in.Baseline = &base
		}
		if _, err := svc.Create(ctx, audit.System, in); err != nil {
			return err
		}
	}
	return nil
}

func loadImprovements(ctx context.Context, db *store.DB, people map[string]int64) error {
	svc := improvement.NewService(db)
	admin := audit.Actor{Type: "user", ID: people["admin@steward.demo"], Name: "Ada Admin"}
	for _, x := range []struct {
		title, desc, source, ref, criteria, prio, owner, metric string
		actions                                                 []string
		// before is the measure as it stood when the improvement was
		// approved, months ago.
		before float64
	}{
		{"Known-error panel on the incident page", "Show matching known errors while an agent works an incident.", "problem", "Problem overview",
			"Agents use a known error on at least a quarter of the incidents it matches; resolution time falls.", "high", "mei.chen@steward.demo",
			"incident.mttr_hours", []string{"approve", "start", "finish"}, 0},
		{"Change review checklist for failed changes", "", "audit", "Internal audit, finding 3",
			"Every failed change has a review within ten working days.", "high", "jonas.berg@steward.demo", "change.failed_reviewed_pct",
			[]string{"approve", "start"}, 0},
		{"Quarterly CI verification of the ERP estate", "", "management_review", "Management review, item 7",
			"Every ERP CI verified at least once a quarter.", "medium", "tom.okafor@steward.demo", "cmdb.verified_pct", []string{"approve"}, 0},
		{"Chat channel for the service desk", "Requesters asked for a chat channel besides e-mail and the portal.", "customer", "Customer survey",
			"", "low", "", "", nil, 0},
		{"Second on-call rota for weekends", "", "suggestion", "",
			"Fewer breaches at weekends at the cost of one more person on call.", "medium", "sam.patel@steward.demo", "", []string{"reject"}, 0},
	} {
		in := improvement.Input{Title: &x.title, Description: &x.desc, Source: &x.source, SourceRef: &x.ref, Criteria: &x.criteria,
			Priority: &x.prio, MetricKey: &x.metric}
		if x.owner != "" {
			in.OwnerID = ptr(people[x.owner])
		}
		i, err := svc.Create(ctx, admin, in)
		if err != nil {
			return err
		}
		for _, a := range x.actions {
			if i, err = svc.Act(ctx, admin, i.ID, a, 0); err != nil {
				return err
			}
			// The known-error panel went in four months ago, when
			// incidents took longer to resolve: its baseline is from then.
			if a == "approve" && x.title == "Known-error panel on the incident page" {
				then := time.Now().UTC().AddDate(0, -4, 0)
				before := 30.0
				if i.BaselineValue != nil {
					before = math.Round(*i.BaselineValue*1.35*10) / 10
				}
				if _, err := db.Exec(ctx, `UPDATE improvements SET approved_at = ?, baseline_value = ?, baseline_at = ? WHERE id = ?`,
					store.TS(then), before, store.TS(then), i.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func loadServiceReports(ctx context.Context, db *store.DB, people map[string]int64) error {
	svc := servicereport.NewService(db)
	admin := audit.Actor{Type: "user", ID: people["admin@steward.demo"], Name: "Ada Admin"}
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for _, x := range []struct {
		name, content, audience, freq, source, owner string
		// runs are the periods produced so far, oldest first; the next
		// due date follows from the last.
		runs [][2]time.Time
		due  time.Time
	}{
		{"Monthly service level report", "SLA attainment per agreement and priority, breaches with their causes, and the trend.", "Customers' service owners",
			"monthly", "/reports/sla", "admin@steward.demo",
			[][2]time.Time{{month.AddDate(0, -2, 0), month.AddDate(0, -1, -1)}, {month.AddDate(0, -1, 0), month.AddDate(0, 0, -1)}}, month.AddDate(0, -1, 5)},
		{"Weekly major incident summary", "Major incidents of the week, their impact, and the problems opened.", "IT management",
			"weekly", "/?view=all&major=yes", "mei.chen@steward.demo",
			[][2]time.Time{{now.AddDate(0, 0, -35), now.AddDate(0, 0, -29)}}, now.AddDate(0, 0, -35)},
		{"Quarterly change and release review", "Change success, emergency changes, failed changes and their reviews, releases deployed.", "Change advisory board",
			"quarterly", "/changes/overview", "jonas.berg@steward.demo", nil, month.AddDate(0, 2, 0)},
	} {
		due := x.due.Format("2006-01-02")
		d, err := svc.Create(ctx, admin, servicereport.Input{Name: &x.name, Content: &x.content, Audience: &x.audience, Frequency: &x.freq,
			Source: &x.source, OwnerID: ptr(people[x.owner]), NextDue: &due})
		if err != nil {
			return err
		}
		for _, p := range x.runs {
			if _, err := svc.Produce(ctx, admin, d.ID, servicereport.RunInput{PeriodFrom: p[0].Format("2006-01-02"),
				PeriodTo: p[1].Format("2006-01-02"), Link: x.source, Note: ""}, 0); err != nil {
				return err
			}
		}
		// The runs were produced a few days after each period's end.
		for _, p := range x.runs {
			if _, err := db.Exec(ctx, `UPDATE report_runs SET produced_at = ? WHERE definition_id = ? AND period_to = ?`,
				store.TS(p[1].AddDate(0, 0, 3)), d.ID, p[1].Format("2006-01-02")); err != nil {
				return err
			}
		}
	}
	return nil
}
