package demo

import (
	"context"
	"fmt"
	"time"

	"steward/internal/auth"
	"steward/internal/continuity"
	"steward/internal/store"
)

// demoPlan is a continuity plan of the demo with its history: tests
// months before today (RTO and RPO achieved as people write them).
type demoPlan struct {
	title, summary string
	owner          string
	services       []string
	steps          [][3]string // title, owner's e-mail name, detail
	contacts       []continuity.ContactInput
	approve        bool
	tests          []demoTest
}

type demoTest struct {
	kind               string
	monthsAgo, daysAgo int
	rto, rpo           string
	scenario, issues   string
	actions            [][2]string // title, owner's e-mail name
}

// loadContinuity gives the critical services their recovery objectives
// and plans: the ERP's last failover missed its RTO, identity's plan has
// not been tested for over a year, the website has requirements but no
// plan, and the network's plan was used for real after a fibre cut, with
// its review written.
func loadContinuity(ctx context.Context, db *store.DB) error {
	svc := continuity.NewService(db, nil)
	users := map[string]int64{}
	for _, e := range []string{"admin", "agent", "mei.chen", "jonas.berg", "lucia.romero", "tom.okafor", "sam.patel"} {
		var id int64
		if err := db.QueryRow(ctx, "SELECT id FROM users WHERE email = ?", e+"@steward.demo").Scan(&id); err != nil {
			return fmt.Errorf("demo user %s: %w", e, store.ScanErr(err))
		}
		users[e] = id
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
	admin := &auth.Principal{UserID: users["admin"], Name: "Ada Admin", Email: "admin@steward.demo", Role: auth.Admin}
	for _, r := range []struct{ service, rto, rpo, level string }{
		{"Network", "2 h", "0", "Offices and the data centre connected; guest Wi-Fi may stay off"},
		{"Identity & access", "1 h", "15 min", "Sign-in and MFA work; self-service password reset may wait"},
		{"ERP", "4 h", "30 min", "Orders taken and shipped; invoicing may wait a day"},
		{"E-mail", "8 h", "1 h", "Send and receive; archive search may wait"},
		{"Website", "4 h", "1 h", "Shop and checkout at 50 % capacity"},
	} {
		if _, err := svc.SetRequirement(ctx, admin, services[r.service], continuity.RequirementInput{RTO: r.rto, RPO: r.rpo, MinServiceLevel: r.level}, 0); err != nil {
			return fmt.Errorf("demo requirement %s: %w", r.service, err)
		}
	}
	now := time.Now().UTC()
	for _, dp := range demoPlans() {
		if err := loadPlan(ctx, svc, admin, users, services, dp, now); err != nil {
			return fmt.Errorf("demo plan %s: %w", dp.title, err)
		}
	}
	return loadInvocation(ctx, svc, admin, users, now)
}

func loadPlan(ctx context.Context, svc *continuity.Service, admin *auth.Principal, users, services map[string]int64, dp demoPlan, now time.Time) error {
	in := continuity.PlanInput{Title: &dp.title, Summary: &dp.summary}
	owner := users[dp.owner]
	in.OwnerID = &owner
	review := now.AddDate(0, 5, 0).Format(time.DateOnly)
	in.ReviewOn = &review
	var ids []int64
	for _, s := range dp.services {
		ids = append(ids, services[s])
	}
	in.ServiceIDs = &ids
	var steps []continuity.StepInput
	for _, s := range dp.steps {
		o := users[s[1]]
		steps = append(steps, continuity.StepInput{Title: s[0], OwnerID: &o, Detail: s[2]})
	}
	in.Steps, in.Contacts = &steps, &dp.contacts
	pl, err := svc.CreatePlan(ctx, admin, in)
	if err != nil {
		return err
	}
	if dp.approve {
		if _, err := svc.ApprovePlan(ctx, admin, pl.ID, 0); err != nil {
			return err
		}
	}
	for _, dt := range dp.tests {
		held := now.AddDate(0, -dt.monthsAgo, -dt.daysAgo).Format(time.DateOnly)
		t, err := svc.RecordTest(ctx, admin, continuity.TestInput{PlanID: &pl.ID, Kind: &dt.kind, HeldOn: &held, Scenario: &dt.scenario,
			RTOAchieved: &dt.rto, RPOAchieved: &dt.rpo, Issues: &dt.issues})
		if err != nil {
			return err
		}
		for i, a := range dt.actions {
			o := users[a[1]]
			due := now.AddDate(0, -dt.monthsAgo+2, 0).Format(time.DateOnly)
			act, err := svc.AddAction(ctx, admin, t.ID, continuity.NewAction{Title: a[0], OwnerID: &o, DueOn: due})
			if err != nil {
				return err
			}
			if i == 0 && dt.monthsAgo > 3 {
				if err := svc.DoneAction(ctx, admin, t.ID, act.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func demoPlans() []demoPlan {
	return []demoPlan{
		{title: "ERP recovery at the second data centre", owner: "lucia.romero", services: []string{"ERP"}, approve: true,
			summary: "Covers the loss of the primary data centre or of the ERP database. The ERP runs again from the standby site in Leeds on the replicated database; the nightly batch is rerun once orders flow.",
			steps: [][3]string{
				{"Declare the invocation and call the recovery team", "lucia.romero", "Use the contact list below; open a major incident for the ERP."},
				{"Stop replication and promote the standby database", "sam.patel", "Check the replica's lag first: it is the data we lose."},
				{"Start the application servers at the standby site", "mei.chen", ""},
				{"Point erp.steward.demo at the standby load balancer", "mei.chen", "DNS TTL is 5 minutes."},
				{"Check orders, stock and invoicing with the key users", "lucia.romero", "Three test orders per warehouse."},
				{"Tell the customers and the service desk", "agent", ""},
			},
			contacts: []continuity.ContactInput{
				{Name: "Lucia Romero", Role: "ERP service owner", Phone: "+44 20 7946 0110", Email: "lucia.romero@steward.demo"},
				{Name: "Northwind Hosting NOC", Role: "Standby site operator", Phone: "+44 113 496 0300"},
				{Name: "ERP vendor support", Role: "Priority 1 line", Phone: "+49 69 2475 0000", Email: "p1@erp-vendor.example"},
			},
			tests: []demoTest{
				{kind: "tabletop", monthsAgo: 8, scenario: "Walked through the loss of the primary data centre with the recovery team.",
					issues: "Nobody knew who may change the DNS record at night.", actions: [][2]string{{"Give the night on-call engineer DNS rights", "mei.chen"}}},
				{kind: "full_failover", monthsAgo: 2, daysAgo: 3, rto: "5 h 20 min", rpo: "20 min",
					scenario: "Failed the ERP over to the standby site on a Saturday morning and ran it there for a day.",
					issues:   "The standby application servers were two patches behind and had to be updated first (1 h 40 min).\nThe warehouse scanners cached the old address.",
					actions:  [][2]string{{"Patch the standby servers in the same change as production", "mei.chen"}, {"Lower the scanners' address cache to 5 minutes", "sam.patel"}}},
			}},
		{title: "Identity & access failover", owner: "jonas.berg", services: []string{"Identity & access"}, approve: true,
			summary: "Sign-in keeps working when the primary directory fails: the secondary domain controllers take over and MFA falls back to the hosted provider.",
			steps: [][3]string{
				{"Confirm the primary directory is down", "jonas.berg", ""},
				{"Move the operations master roles to the secondary site", "jonas.berg", ""},
				{"Switch single sign-on to the secondary identity provider", "tom.okafor", ""},
				{"Check sign-in and MFA for a test account per office", "agent", ""},
			},
			contacts: []continuity.ContactInput{
				{Name: "Jonas Berg", Role: "Identity service owner", Phone: "+44 20 7946 0120", Email: "jonas.berg@steward.demo"},
				{Name: "MFA provider support", Phone: "+1 415 555 0199"},
			},
			tests: []demoTest{
				{kind: "simulation", monthsAgo: 14, rto: "45 min", rpo: "0", scenario: "Shut down the primary domain controllers out of hours."},
			}},
		{title: "Network core and site links", owner: "mei.chen", services: []string{"Network"}, approve: true,
			summary: "Losing the core switches, a firewall pair or an office's fibre: traffic moves to the redundant core and the 4G backup links.",
			steps: [][3]string{
				{"Find the failed element from the monitoring", "mei.chen", ""},
				{"Bring up the office's 4G backup link", "mei.chen", "The router switches by itself; check it did."},
				{"Call the carrier and open a fault", "agent", ""},
			},
			contacts: []continuity.ContactInput{
				{Name: "Carrier fault desk", Role: "Fibre and leased lines", Phone: "+44 800 800 150"},
				{Name: "Mei Chen", Role: "Network service owner", Phone: "+44 20 7946 0130"},
			},
			tests: []demoTest{
				{kind: "simulation", monthsAgo: 3, rto: "1 h 30 min", rpo: "0", scenario: "Pulled the Leeds office's fibre during a maintenance window."},
			}},
		{title: "E-mail outage", owner: "tom.okafor", services: []string{"E-mail"}, approve: false,
			summary: "The hosted mail service fails: mail queues at the gateway for up to 48 hours; staff use the web portal of the backup provider.",
			steps: [][3]string{
				{"Check the provider's status page and open a ticket", "tom.okafor", ""},
				{"Turn on the backup provider's web mail", "tom.okafor", ""},
			},
			contacts: []continuity.ContactInput{{Name: "Tom Okafor", Role: "E-mail service owner", Email: "tom.okafor@steward.demo"}},
			tests: []demoTest{
				{kind: "tabletop", monthsAgo: 1, scenario: "Talked through a day-long outage of the hosted mail service.",
					actions: [][2]string{{"Buy the backup provider's web mail licence", "tom.okafor"}}},
			}},
	}
}

// loadInvocation records the network plan used for real five weeks ago,
// with its review.
func loadInvocation(ctx context.Context, svc *continuity.Service, admin *auth.Principal, users map[string]int64, now time.Time) error {
	plans, err := svc.Plans(ctx, admin, continuity.PlanFilter{Limit: continuity.MaxLimit})
	if err != nil {
		return err
	}
	var planID int64
	for _, p := range plans {
		if p.Title == "Network core and site links" {
			planID = p.ID
		}
	}
	start := time.Date(now.Year(), now.Month(), now.Day(), 7, 40, 0, 0, time.UTC).AddDate(0, 0, -36)
	end := start.Add(1*time.Hour + 50*time.Minute)
	summary := "A digger cut the fibre to the Manchester office at 07:40. The router did not switch to the 4G backup by itself; it was switched by hand at 09:05 and the office was fully back at 09:30."
	loss := "0"
	v, err := svc.RecordInvocation(ctx, admin, continuity.InvocationInput{PlanID: &planID, StartedAt: &start, EndedAt: &end, Summary: &summary, DataLoss: &loss})
	if err != nil {
		return err
	}
	mei := &auth.Principal{UserID: users["mei.chen"], Name: "Mei Chen", Email: "mei.chen@steward.demo", Role: auth.Agent}
	review := "Recovered in 1 h 50 min against an RTO of 2 h, but only because the switch was made by hand. The 4G router's failover rule checked the wrong interface. Fixed the rule on all office routers (CHG raised) and added a monthly failover check to the network runbook."
	_, err = svc.UpdateInvocation(ctx, mei, v.ID, continuity.InvocationInput{Review: &review}, 0)
	return err
}
