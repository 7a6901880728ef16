package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/cost"
	"steward/internal/store"
)

// demoServiceCost is what the demo says about one service's money:
// its quarterly budget over the catalogue cost, what an hour of its
// downtime costs, its allocation key and costs entered each quarter.
type demoServiceCost struct {
	service    string
	headroom   float64 // budget over the quarter's catalogue cost, as a share
	perHour    int64   // EUR cents; 0: not priced
	allocation string
	staff      int64 // staff costs entered per quarter, EUR cents
	externalUS int64 // external services invoiced in USD per quarter, cents
}

var demoCosts = []demoServiceCost{
	{"Network", 0.65, 120000, cost.Equal, 450000, 0},
	{"Identity & access", 0.20, 80000, cost.Equal, 180000, 0},
	{"E-mail", 0.12, 60000, cost.Equal, 120000, 95000},
	{"VPN", 0.55, 30000, cost.Equal, 0, 0},
	{"Laptop & desktop support", 0.10, 0, cost.Tickets, 900000, 0},
	{"ERP", 0.62, 250000, cost.Fixed, 600000, 0},
	{"Payroll", 0.10, 90000, cost.Equal, 150000, 0},
	{"Website", 0.30, 180000, cost.Equal, 0, 240000},
}

// loadCosts gives the demo's services budgets and costs over the last
// four quarters, the WAN contract's cost to the network services, a
// licence cost behind ERP, a rate for the dollar invoices, the cost of an
// hour of downtime, allocation keys and the SMS budget. Telephony and
// File shares are left without a budget, as a new owner would find them.
func loadCosts(ctx context.Context, db *store.DB) error {
	rng := rand.New(rand.NewPCG(84, 1))
	now := time.Now().UTC()
	admin := &auth.Principal{Role: auth.Admin, Name: "Demo"}
	svc := cost.NewService(db, nil)
	cur := cost.PeriodAt(cost.Quarter, now)
	quarters := []cost.Period{cur.Prev().Prev().Prev(), cur.Prev().Prev(), cur.Prev(), cur}
	ids := map[string]int64{}
	perMonth := map[string]int64{}
	rows, err := db.Query(ctx, `SELECT id, name, cost_per_month FROM services`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, pm int64
		var name string
		if err := rows.Scan(&id, &name, &pm); err != nil {
			rows.Close()
			return err
		}
		ids[name], perMonth[name] = id, pm
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for y := quarters[0].Start.Year(); y <= cur.Start.Year(); y++ {
		if _, err := svc.SetRate(ctx, admin, cost.RateInput{From: "USD", Period: fmt.Sprint(y), Rate: "0.92"}); err != nil {
			return fmt.Errorf("demo rate: %w", err)
		}
	}
	for _, d := range demoCosts {
		id := ids[d.service]
		for i, q := range quarters {
			// Budgets: the catalogue cost plus headroom for assets,
			// contracts and staff; costs drift by a few percent a quarter.
			budget := int64(float64(perMonth[d.service]*3)*(1+d.headroom)) + d.staff
			if _, err := svc.CreateBudget(ctx, admin, cost.BudgetInput{ServiceID: &id, Period: q.Label, Amount: &budget, Currency: "EUR"}); err != nil {
				return fmt.Errorf("demo budget %s: %w", d.service, err)
			}
			if i == len(quarters)-1 {
				continue // the current quarter's costs are not in yet
			}
			if d.staff > 0 {
				amount := d.staff + int64(float64(d.staff)*(rng.Float64()*0.3-0.1))
				if _, err := svc.AddEntry(ctx, admin, cost.EntryInput{ServiceID: id, Period: q.Label, Category: "staff", Amount: &amount, Currency: "EUR",
					Note: "Share of the team's time"}); err != nil {
					return fmt.Errorf("demo cost %s: %w", d.service, err)
				}
			}
			if d.externalUS > 0 {
				amount := d.externalUS + int64(float64(d.externalUS)*(rng.Float64()*0.2))
				if _, err := svc.AddEntry(ctx, admin, cost.EntryInput{ServiceID: id, Period: q.Label, Category: "external", Amount: &amount, Currency: "USD",
					Note: "Cloud provider's invoices"}); err != nil {
					return fmt.Errorf("demo cost %s: %w", d.service, err)
				}
			}
		}
		in := cost.SettingsInput{Allocation: d.allocation}
		if d.perHour > 0 {
			in.DowntimePerHour, in.DowntimeCur = &d.perHour, "EUR"
		}
		if d.allocation == cost.Fixed {
			in.Shares, err = fixedShares(ctx, db, id)
			if err != nil {
				return err
			}
		}
		if _, err := svc.PutSettings(ctx, admin, id, in, 0); err != nil {
			return fmt.Errorf("demo cost settings %s: %w", d.service, err)
		}
	}
	if err := demoContracts(ctx, db, svc, admin, ids); err != nil {
		return err
	}
	for _, q := range quarters {
		amount := int64(1800000)
		if _, err := svc.CreateBudget(ctx, admin, cost.BudgetInput{Period: q.Label, Amount: &amount, Currency: "EUR",
			Note: "SMS manager, tooling and the certification audit's share"}); err != nil {
			return fmt.Errorf("demo SMS budget: %w", err)
		}
	}
	return erpLicence(ctx, db)
}

// fixedShares splits a service's cost 60/40 between its first two
// customers.
func fixedShares(ctx context.Context, db *store.DB, service int64) ([]cost.Share, error) {
	ids, err := store.IDs(ctx, db, `SELECT customer_id FROM service_customers WHERE service_id = ? ORDER BY customer_id LIMIT 2`, service)
	if err != nil || len(ids) < 2 {
		return nil, err
	}
	return []cost.Share{{CustomerID: ids[0], BasisPoints: 6000}, {CustomerID: ids[1], BasisPoints: 4000}}, nil
}

// demoContracts charges the WAN carrier contract to the services that
// run over the WAN.
func demoContracts(ctx context.Context, db *store.DB, svc *cost.Service, admin *auth.Principal, ids map[string]int64) error {
	var uc int64
	if err := db.QueryRow(ctx, `SELECT id FROM agreements WHERE kind = 'uc' ORDER BY id LIMIT 1`).Scan(&uc); err != nil {
		return store.ScanErr(err)
	}
	for name, amount := range map[string]int64{"Network": 210000, "VPN": 45000} {
		if _, err := svc.SetContractCost(ctx, admin, cost.ContractCostInput{AgreementID: uc, ServiceID: ids[name], AmountPerMonth: &amount, Currency: "EUR"}); err != nil {
			return fmt.Errorf("demo contract cost: %w", err)
		}
	}
	return nil
}

// erpLicence prices the demo's licences and makes ERP's first application
// depend on the SAP licence, so its cost reaches ERP through the CMDB.
func erpLicence(ctx context.Context, db *store.DB) error {
	for name, cents := range map[string]int64{"SAP S/4HANA": 4_200_000, "Microsoft 365 E3": 7_800_000, "Veeam Backup & Replication": 640_000, "Red Hat Enterprise Linux": 520_000} {
		if _, err := db.Exec(ctx, `UPDATE assets SET cost = ? WHERE ci_id = (SELECT id FROM cis WHERE name = ? AND type_id = (SELECT id FROM ci_types WHERE name = 'Software'))`,
			cents, name); err != nil {
			return err
		}
	}
	var app, sap int64
	err := db.QueryRow(ctx, `SELECT r.target_id FROM ci_relationships r JOIN cis b ON b.id = r.source_id JOIN services s ON s.id = b.service_id
		WHERE s.name = 'ERP' AND r.type = 'depends_on' ORDER BY r.target_id LIMIT 1`).Scan(&app)
	if err != nil {
		return store.ScanErr(err)
	}
	if err := db.QueryRow(ctx, `SELECT id FROM cis WHERE name = 'SAP S/4HANA'`).Scan(&sap); err != nil {
		return store.ScanErr(err)
	}
	c := cmdb.NewService(db, nil)
	_, err = c.Relate(ctx, audit.System, cmdb.NewRelationship{SourceID: app, TargetID: sap, Type: cmdb.DependsOn}, nil)
	return err
}
