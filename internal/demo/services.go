package demo

import (
	"context"
	"math/rand/v2"

	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/store"
)

// demoService is a catalogue entry as the incident generator needs it.
type demoService struct {
	id        int64
	group     int64   // its support group; 0 when none
	customers []int64 // empty: offered to every customer
}

// catalogueEntry describes one demo service. Owners are named by e-mail,
// groups and customers by their index in Load's lists, dependencies by
// the names of entries before it.
type catalogueEntry struct {
	name, desc, owner string
	group             int
	status            catalog.Status
	crit              catalog.Criticality
	cost, hours       string
	customers         []int
	deps              []string
}

var catalogue = []catalogueEntry{
	{"Network", "Wired and wireless LAN, internet access and the firewalls at every office.",
		"mei.chen@steward.demo", 1, catalog.Live, catalog.Critical, "5200.00", "24x7", nil, nil},
	{"Identity & access", "Accounts, passwords, single sign-on and multi-factor authentication for every employee.",
		"jonas.berg@steward.demo", 3, catalog.Live, catalog.Critical, "1800.00", "24x7", nil, nil},
	{"E-mail", "Mailboxes, calendars and shared contacts, with spam and malware filtering.",
		"tom.okafor@steward.demo", 3, catalog.Live, catalog.High, "2400.00", "24x7", nil, []string{"Identity & access"}},
	{"VPN", "Remote access to office systems from home and on the road, with the company laptop.",
		"mei.chen@steward.demo", 1, catalog.Live, catalog.High, "950.00", "24x7", nil, []string{"Network", "Identity & access"}},
	{"Laptop & desktop support", "Set-up, repair and replacement of laptops, desktops, printers and peripherals; new starters' equipment.",
		"agent@steward.demo", 0, catalog.Live, catalog.Medium, "3100.00", "Mon-Fri 08:00-18:00", []int{0, 1}, nil},
	{"ERP", "Orders, invoicing, stock and purchasing. The nightly batch runs from 01:00 to 05:00.",
		"lucia.romero@steward.demo", 2, catalog.Live, catalog.Critical, "7400.00", "Mon-Sat 06:00-22:00", []int{0, 2}, []string{"Network", "Identity & access"}},
	{"Payroll", "Monthly payroll runs, payslips and the employee self-service portal.",
		"lucia.romero@steward.demo", 2, catalog.Live, catalog.High, "1650.00", "Mon-Fri 08:00-17:00", []int{1, 2}, []string{"Identity & access"}},
	{"Website", "The public website and web shop, including checkout and payment.",
		"lucia.romero@steward.demo", 2, catalog.Live, catalog.High, "2900.00", "24x7", []int{0}, []string{"Network"}},
	{"Telephony", "Desk phones, Teams calling and the call-centre queues.",
		"jonas.berg@steward.demo", 1, catalog.Live, catalog.High, "1300.00", "Mon-Fri 07:00-19:00", nil, []string{"Network"}},
	{"File shares", "Departmental shares and personal drives, backed up every night.",
		"tom.okafor@steward.demo", 3, catalog.Live, catalog.Medium, "800.00", "Mon-Fri 07:00-19:00", []int{0, 1}, []string{"Network", "Identity & access"}},
	{"Driver app", "Mobile app for drivers: proof of delivery and route changes. Planned for next quarter.",
		"lucia.romero@steward.demo", 2, catalog.Pipeline, catalog.Medium, "1200.00", "24x7", []int{2}, []string{"ERP"}},
	{"Fax gateway", "Faxes sent and received by e-mail. Retired: send documents by secure e-mail instead.",
		"tom.okafor@steward.demo", 3, catalog.Retired, catalog.Low, "0.00", "", nil, nil},
}

// loadCatalogue creates the demo catalogue as the admin.
func (pp *people) loadCatalogue(ctx context.Context, db *store.DB, admin *auth.Principal) error {
	cat := catalog.New(db)
	ids := map[string]int64{}
	for _, e := range catalogue {
		owner, err := auth.UserByEmail(ctx, db, e.owner)
		if err != nil {
			return err
		}
		group := pp.groups[e.group]
		in := catalog.NewService{Name: e.name, Description: e.desc, OwnerID: &owner.ID, Status: e.status,
			SupportGroupID: &group, Criticality: e.crit, CostPerMonth: catalog.Amount(e.cost), Hours: e.hours}
		for _, c := range e.customers {
			in.CustomerIDs = append(in.CustomerIDs, pp.customers[c])
		}
		for _, d := range e.deps {
			in.DependsOn = append(in.DependsOn, ids[d])
		}
		s, err := cat.Create(ctx, admin, in)
		if err != nil {
			return err
		}
		ids[s.Name] = s.ID
		if s.Status == catalog.Live {
			pp.services[s.Name] = demoService{id: s.ID, group: group, customers: s.CustomerIDs}
		}
	}
	return nil
}

// loadServices reads the live services of an existing database, for seeding.
func (pp *people) loadServices(ctx context.Context, db *store.DB) error {
	page, err := catalog.New(db).List(ctx, &auth.Principal{Role: auth.Auditor},
		catalog.Filter{Statuses: []catalog.Status{catalog.Live}, Limit: catalog.MaxLimit})
	if err != nil {
		return err
	}
	for _, s := range page.Items {
		ds := demoService{id: s.ID, customers: s.CustomerIDs}
		if s.SupportGroupID != nil {
			ds.group = *s.SupportGroupID
		}
		pp.services[s.Name] = ds
	}
	return nil
}

// customerFor picks the customer of an incident about service name: one
// the service is offered to.
func (pp *people) customerFor(rng *rand.Rand, name string) (int64, *int64) {
	s, ok := pp.services[name]
	if !ok {
		return pp.customers[rng.IntN(len(pp.customers))], nil
	}
	var offered []int64
	for _, c := range pp.customers {
		if len(s.customers) == 0 || contains(s.customers, c) {
			offered = append(offered, c)
		}
	}
	if len(offered) == 0 {
		return pp.customers[rng.IntN(len(pp.customers))], nil
	}
	id := s.id
	return offered[rng.IntN(len(offered))], &id
}

// groupFor picks the group an incident about service name goes to: most
// often the service's support group, sometimes the service desk first.
func (pp *people) groupFor(rng *rand.Rand, name string) int64 {
	if s, ok := pp.services[name]; ok && s.group != 0 && rng.IntN(5) > 0 {
		return s.group
	}
	return pp.groups[0]
}

// agentOf picks an agent of group g, or any agent when it has none.
func (pp *people) agentOf(rng *rand.Rand, g int64) int64 {
	if m := pp.members[g]; len(m) > 0 {
		return m[rng.IntN(len(m))]
	}
	return pp.agents[rng.IntN(len(pp.agents))]
}

func contains(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}
