package demo

import (
	"context"
	"time"

	"steward/internal/audit"
	"steward/internal/sms"
	"steward/internal/store"
)

// loadSMS fills the management system's records the way a provider a year
// into its SMS would have them: a context register with one issue overdue
// for review and the climate decision taken, interested parties with
// requirements traced to services, scope version 1 approved and version 2
// waiting, most processes owned (three not yet), a RACI for incident and
// change management, the main interfaces, and a competence matrix with a
// couple of gaps and a lapsed certificate.
func loadSMS(ctx context.Context, db *store.DB) error {
	svc := sms.NewService(db)
	ids := map[string]int64{}
	for _, e := range []string{"admin", "agent", "sam.patel", "mei.chen", "jonas.berg", "lucia.romero", "tom.okafor"} {
		var id int64
		if err := db.QueryRow(ctx, "SELECT id FROM users WHERE email = ?", e+"@steward.demo").Scan(&id); err != nil {
			return store.ScanErr(err)
		}
		ids[e] = id
	}
	ada := audit.Actor{Type: "user", ID: ids["admin"], Name: "Ada Admin"}
	today := time.Now().UTC()
	day := func(months, days int) string { return today.AddDate(0, months, days).Format(sms.DateLayout) }
	s := func(v string) *string { return &v }
	u := func(k string) *int64 { v := ids[k]; return &v }
	if err := loadContext(ctx, svc, ada, day, s, u); err != nil {
		return err
	}
	services := map[string]int64{}
	rows, err := db.Query(ctx, "SELECT id, name FROM services")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		services[n] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := loadParties(ctx, db, svc, ada, services, day, s); err != nil {
		return err
	}
	if err := loadScope(ctx, svc, ada, services); err != nil {
		return err
	}
	if err := loadProcesses(ctx, db, svc, ada, ids); err != nil {
		return err
	}
	return loadCompetence(ctx, svc, ada, ids, day, s, u)
}

func loadContext(ctx context.Context, svc *sms.Service, ada audit.Actor, day func(int, int) string, s func(string) *string, u func(string) *int64) error {
	for _, in := range []sms.IssueInput{
		{Title: s("Customers move workloads to public cloud"), Origin: s("external"), Category: s("Technological"), OwnerID: u("admin"),
			Description:  s("Two of three customers plan to move parts of their ERP hosting to a hyperscaler within two years."),
			Effect:       s("Fewer hosted services, more brokered ones: supplier management and the catalogue must follow."),
			IdentifiedOn: s(day(-14, 0)), ReviewedOn: s(day(-2, 0)), ReviewDue: s(day(10, 0))},
		{Title: s("Heat waves and cooling of the server room"), Origin: s("external"), Category: s("Environmental"), OwnerID: u("tom.okafor"),
			ClimateDecision: s("relevant"),
			Description:     s("Summers above 35 °C pushed the server room to its cooling limit twice last year."),
			Effect:          s("Climate change is relevant: availability and continuity plans must cover heat events; cooling capacity is on the capacity plan."),
			IdentifiedOn:    s(day(-10, 0)), ReviewedOn: s(day(-4, 0)), ReviewDue: s(day(8, 0))},
		{Title: s("New data protection guidance for health data"), Origin: s("external"), Category: s("Legal"), OwnerID: u("mei.chen"),
			Description:  s("Contoso Health's regulator announced stricter logging and retention rules."),
			Effect:       s("Security controls and retention of records for Contoso Health need review."),
			IdentifiedOn: s(day(-13, 0)), ReviewDue: s(day(-1, -12))},
		{Title: s("Two senior engineers retire within 18 months"), Origin: s("internal"), Category: s("Organisational"), OwnerID: u("admin"),
			Effect:       s("Knowledge of the network and ERP platforms concentrates in few people: competence planning and knowledge articles."),
			IdentifiedOn: s(day(-6, 0)), ReviewDue: s(day(3, 0))},
		{Title: s("Service desk tooling replaced"), Origin: s("internal"), Category: s("Technological"), OwnerID: u("agent"),
			Effect:       s("Records now live in Steward; old tickets archived read-only."),
			IdentifiedOn: s(day(-12, 0)), ReviewedOn: s(day(-1, 0)), ReviewDue: s(day(11, 0)), Status: s("closed")},
	} {
		if _, err := svc.CreateIssue(ctx, ada, in); err != nil {
			return err
		}
	}
	return nil
}

func loadParties(ctx context.Context, db *store.DB, svc *sms.Service, ada audit.Actor, services map[string]int64, day func(int, int) string, s func(string) *string) error {
	customer := func(name string) *int64 {
		var id int64
		if err := db.QueryRow(ctx, "SELECT id FROM customers WHERE name = ?", name).Scan(&id); err != nil {
			return nil
		}
		return &id
	}
	type req struct{ text, source, service string }
	for _, p := range []struct {
		in   sms.PartyInput
		reqs []req
	}{
		{sms.PartyInput{Name: s("Northwind Traders"), Category: s("customer"), Contact: s("IT procurement"), CustomerID: customer("Northwind Traders"), ReviewedOn: s(day(-3, 0)), ReviewDue: s(day(9, 0))},
			[]req{{"ERP available 99.5% in business hours", "Service agreement", "ERP"}, {"Incidents on the ERP answered within 30 minutes", "Service agreement", "ERP"}, {"Monthly service report", "Contract", ""}}},
		{sms.PartyInput{Name: s("Contoso Health"), Category: s("customer"), Contact: s("CIO office"), CustomerID: customer("Contoso Health"), ReviewedOn: s(day(-5, 0)), ReviewDue: s(day(7, 0))},
			[]req{{"Health data stays in EU data centres", "Contract, data processing annex", "File shares"}, {"E-mail encrypted in transit", "Regulator guidance", "E-mail"}}},
		{sms.PartyInput{Name: s("Fabrikam Logistics"), Category: s("customer"), CustomerID: customer("Fabrikam Logistics"), ReviewDue: s(day(1, 0))},
			[]req{{"Driver app usable around the clock", "Service agreement", "Driver app"}}},
		{sms.PartyInput{Name: s("Staff and users"), Category: s("staff"), Origin: s("internal"), ReviewedOn: s(day(-2, 0)), ReviewDue: s(day(10, 0))},
			[]req{{"A working laptop within one day of joining", "Staff survey", "Laptop & desktop support"}, {"Password reset without calling the desk", "Staff survey", "Identity & access"}}},
		{sms.PartyInput{Name: s("Data protection authority"), Category: s("regulator"), ReviewDue: s(day(6, 0))},
			[]req{{"Breaches of personal data reported within 72 hours", "Law", ""}}},
		{sms.PartyInput{Name: s("Owners' board"), Category: s("owner"), Origin: s("internal"), ReviewedOn: s(day(-6, 0)), ReviewDue: s(day(6, 0))},
			[]req{{"Service costs within the approved budget", "Annual plan", ""}}},
		{sms.PartyInput{Name: s("Telephony carrier"), Category: s("supplier"), Contact: s("Account manager")}, nil},
	} {
		party, err := svc.CreateParty(ctx, ada, p.in)
		if err != nil {
			return err
		}
		for _, r := range p.reqs {
			if party, err = svc.AddRequirement(ctx, ada, party.ID, sms.RequirementInput{Requirement: r.text, Source: r.source, ServiceID: services[r.service]}, party.Version); err != nil {
				return err
			}
		}
	}
	return nil
}

func loadScope(ctx context.Context, svc *sms.Service, ada audit.Actor, services map[string]int64) error {
	pick := func(names ...string) []int64 {
		var out []int64
		for _, n := range names {
			if id, ok := services[n]; ok {
				out = append(out, id)
			}
		}
		return out
	}
	v1 := sms.ScopeInput{Statement: "The service management system covers the planning, delivery and improvement of the managed IT services the IT department provides to its three customers and to its own staff.",
		ServiceIDs: pick("E-mail", "ERP", "Network", "Identity & access", "Laptop & desktop support", "Payroll"),
		Units:      "IT operations, service desk, applications team", Locations: "Head office, Hamburg\nData centre, Frankfurt",
		Parties: "Northwind Traders, Contoso Health, Fabrikam Logistics; staff of the company", Exclusions: "Development of the customers' own applications"}
	if _, err := svc.SaveScope(ctx, ada, v1); err != nil {
		return err
	}
	if _, err := svc.ApproveScope(ctx, ada, 1); err != nil {
		return err
	}
	v2 := v1
	v2.ServiceIDs = append(pick("Driver app", "VPN"), v1.ServiceIDs...)
	v2.Locations += "\nBranch office, Leipzig"
	v2.BasedOn = 1
	_, err := svc.SaveScope(ctx, ada, v2)
	return err
}

func loadProcesses(ctx context.Context, db *store.DB, svc *sms.Service, ada audit.Actor, ids map[string]int64) error {
	owners := map[string]string{
		"incident": "agent", "request": "sam.patel", "problem": "jonas.berg", "change": "mei.chen", "release": "mei.chen",
		"configuration": "jonas.berg", "asset": "jonas.berg", "service_level": "admin", "catalogue": "admin", "business_relationship": "admin",
		"supplier": "tom.okafor", "capacity": "tom.okafor", "availability": "tom.okafor", "continuity": "tom.okafor", "security": "lucia.romero",
		"service_planning": "admin", "design_transition": "mei.chen", "risk": "admin", "documents": "admin", "internal_audit": "lucia.romero",
		"management_review": "admin", "reporting": "sam.patel", "improvement": "admin",
		// budgeting, demand and parties have no owner yet.
	}
	for key, who := range owners {
		id := ids[who]
		if _, err := svc.UpdateProcess(ctx, ada, key, sms.ProcessInput{OwnerID: &id}, 0); err != nil {
			return err
		}
	}
	groups := map[string]int64{}
	rows, err := db.Query(ctx, "SELECT id, name FROM support_groups")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		groups[n] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	person := func(act, who, letter string) sms.RACILine {
		return sms.RACILine{Activity: act, UserID: ids[who], Letter: letter}
	}
	group := func(act, g, letter string) sms.RACILine {
		return sms.RACILine{Activity: act, GroupID: groups[g], Letter: letter}
	}
	racis := map[string][]sms.RACILine{
		"incident": {
			group("Log and classify incidents", "Service Desk", "R"), person("Log and classify incidents", "agent", "A"),
			group("Resolve incidents", "Infrastructure", "R"), group("Resolve incidents", "Applications", "R"), person("Resolve incidents", "agent", "A"), person("Resolve incidents", "admin", "I"),
			person("Run a major incident", "tom.okafor", "R"), person("Run a major incident", "admin", "A"), person("Run a major incident", "mei.chen", "C"),
		},
		"change": {
			person("Assess and approve normal changes", "mei.chen", "A"), group("Assess and approve normal changes", "Infrastructure", "C"), group("Assess and approve normal changes", "Service Desk", "I"),
			group("Implement changes", "Infrastructure", "R"), person("Implement changes", "mei.chen", "A"),
			person("Approve emergency changes", "admin", "A"), person("Approve emergency changes", "mei.chen", "R"),
		},
	}
	for key, lines := range racis {
		if _, err := svc.SetRACI(ctx, ada, key, lines, 0); err != nil {
			return err
		}
	}
	for _, x := range [][3]string{
		{"incident", "problem", "Recurring and major incidents for root cause analysis"},
		{"problem", "change", "Permanent fixes raised as changes"},
		{"change", "release", "Approved changes bundled for deployment"},
		{"release", "configuration", "Deployed versions recorded on the CIs"},
		{"incident", "service_level", "Resolution times measured against targets"},
		{"request", "change", "Standard changes requested through the catalogue"},
		{"service_level", "reporting", "Attainment per period for the service reports"},
		{"supplier", "service_level", "Underpinning contracts aligned to the agreements"},
		{"internal_audit", "improvement", "Findings raised as nonconformities"},
		{"capacity", "availability", "Utilisation trends that threaten availability"},
	} {
		if _, err := svc.AddInterface(ctx, ada, x[0], x[1], x[2], 0); err != nil {
			return err
		}
	}
	return nil
}

func loadCompetence(ctx context.Context, svc *sms.Service, ada audit.Actor, ids map[string]int64, day func(int, int) string, s func(string) *string, u func(string) *int64) error {
	skill := map[string]int64{}
	for _, k := range [][2]string{{"ITIL and ISO/IEC 20000 practice", "The service management practices the SMS follows"},
		{"Customer communication", "Clear, calm, written and spoken"}, {"Networking", "Routing, switching, firewalls"},
		{"ERP administration", "The ERP platform and its batch runs"}, {"Information security", "Controls, incidents and risk"}} {
		sk, err := svc.SaveSkill(ctx, ada, 0, sms.SkillInput{Name: &k[0], Description: &k[1]}, 0)
		if err != nil {
			return err
		}
		skill[k[0]] = sk.ID
	}
	need := func(pairs ...any) *[]sms.RoleSkill {
		out := []sms.RoleSkill{}
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, sms.RoleSkill{SkillID: skill[pairs[i].(string)], Level: pairs[i+1].(int)})
		}
		return &out
	}
	holders := func(who ...string) *[]int64 {
		out := []int64{}
		for _, w := range who {
			out = append(out, ids[w])
		}
		return &out
	}
	for _, r := range []sms.RoleInput{
		{Name: s("Service desk agent"), Skills: need("ITIL and ISO/IEC 20000 practice", 2, "Customer communication", 3), UserIDs: holders("agent", "sam.patel")},
		{Name: s("Infrastructure engineer"), Skills: need("ITIL and ISO/IEC 20000 practice", 1, "Networking", 3, "Information security", 2), UserIDs: holders("tom.okafor", "jonas.berg")},
		{Name: s("Change manager"), Skills: need("ITIL and ISO/IEC 20000 practice", 3, "ERP administration", 2), UserIDs: holders("mei.chen")},
		{Name: s("Security officer"), Skills: need("Information security", 4), UserIDs: holders("lucia.romero")},
	} {
		if _, err := svc.SaveJobRole(ctx, ada, 0, r, 0); err != nil {
			return err
		}
	}
	for _, a := range []struct {
		who, skill string
		level      int
	}{
		{"agent", "ITIL and ISO/IEC 20000 practice", 3}, {"agent", "Customer communication", 3},
		{"sam.patel", "ITIL and ISO/IEC 20000 practice", 2}, {"sam.patel", "Customer communication", 2}, // below what the role needs
		{"tom.okafor", "ITIL and ISO/IEC 20000 practice", 2}, {"tom.okafor", "Networking", 4}, {"tom.okafor", "Information security", 2},
		{"jonas.berg", "ITIL and ISO/IEC 20000 practice", 1}, {"jonas.berg", "Networking", 3}, // information security not assessed
		{"mei.chen", "ITIL and ISO/IEC 20000 practice", 4}, {"mei.chen", "ERP administration", 2},
		{"lucia.romero", "Information security", 4},
	} {
		if err := svc.Assess(ctx, ada, sms.Assessment{UserID: ids[a.who], SkillID: skill[a.skill], Level: a.level, AssessedOn: day(-2, 0)}); err != nil {
			return err
		}
	}
	sk := func(n string) *int64 { v := skill[n]; return &v }
	for _, t := range []sms.TrainingInput{
		{UserID: u("agent"), Kind: s("induction"), Title: s("Service desk induction"), CompletedOn: s(day(-11, 0)), Effectiveness: s("effective"), EffectivenessCheckedOn: s(day(-9, 0))},
		{UserID: u("sam.patel"), Kind: s("training"), Title: s("ITIL 4 Foundation"), SkillID: sk("ITIL and ISO/IEC 20000 practice"), Provider: s("Axelos partner"), CompletedOn: s(day(-5, 0))},
		{UserID: u("sam.patel"), Kind: s("awareness"), Title: s("Information security awareness"), SkillID: sk("Information security"), CompletedOn: s(day(-1, 0)), ExpiresOn: s(day(11, 0))},
		{UserID: u("tom.okafor"), Kind: s("certification"), Title: s("Cisco CCNP Enterprise"), SkillID: sk("Networking"), Provider: s("Cisco"), CompletedOn: s(day(-37, 0)), ExpiresOn: s(day(-1, 0)),
			Effectiveness: s("effective"), EffectivenessCheckedOn: s(day(-34, 0))},
		{UserID: u("mei.chen"), Kind: s("certification"), Title: s("ISO/IEC 20000 Practitioner"), SkillID: sk("ITIL and ISO/IEC 20000 practice"), Provider: s("APMG"), CompletedOn: s(day(-8, 0)), ExpiresOn: s(day(28, 0)),
			Effectiveness: s("effective"), EffectivenessCheckedOn: s(day(-6, 0))},
		{UserID: u("lucia.romero"), Kind: s("certification"), Title: s("CISSP"), SkillID: sk("Information security"), Provider: s("ISC2"), CompletedOn: s(day(-20, 0)), ExpiresOn: s(day(16, 0)),
			Effectiveness: s("effective"), EffectivenessCheckedOn: s(day(-18, 0))},
		{UserID: u("jonas.berg"), Kind: s("training"), Title: s("ERP batch operations"), SkillID: sk("ERP administration"), CompletedOn: s(day(0, -20))},
	} {
		if _, err := svc.CreateTraining(ctx, ada, t); err != nil {
			return err
		}
	}
	return nil
}
