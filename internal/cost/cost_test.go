package cost_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/cmdb"
	"steward/internal/cost"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// world is a small organisation with two services, their CMDB, a
// contract, costs, a budget and an outage, all with round numbers.
type world struct {
	t                   *testing.T
	ctx                 context.Context
	db                  *store.DB
	svc                 *cost.Service
	admin, owner, other *auth.Principal
	auditor, requester  *auth.Principal
	portal, shop        int64
	alpha, beta         int64
	hosting, carrier    int64
}

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	if _, err := w.db.Exec(w.ctx, q, args...); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

func (w *world) id(q string, args ...any) int64 {
	w.t.Helper()
	var id int64
	if err := w.db.InTx(w.ctx, func(tx *store.Tx) error { return tx.QueryRow(w.ctx, q, args...).Scan(&id) }); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func ptr[T any](v T) *T { return &v }

func principal(w *world, role auth.Role, email string) *auth.Principal {
	w.t.Helper()
	u, err := auth.CreateUser(w.ctx, w.db, audit.System, auth.NewUser{Email: email, Name: email, Role: role, Password: "a-long-password"})
	if err != nil {
		w.t.Fatal(err)
	}
	return &auth.Principal{UserID: u.ID, Name: email, Role: role}
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	ctx := context.Background()
	w := &world{t: t, ctx: ctx, db: e.DB}
	w.admin = principal(w, auth.Admin, "admin@x.test")
	w.owner = principal(w, auth.Agent, "owner@x.test")
	w.other = principal(w, auth.Agent, "other@x.test")
	w.auditor = principal(w, auth.Auditor, "auditor@x.test")
	w.requester = principal(w, auth.Requester, "req@x.test")
	ts := store.TS(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	w.portal = w.id(`INSERT INTO services (name, status, criticality, cost_per_month, owner_id, created_at, updated_at)
		VALUES ('Portal', 'live', 'high', 100000, ?, ?, ?) RETURNING id`, w.owner.UserID, ts, ts)
	w.shop = w.id(`INSERT INTO services (name, status, criticality, cost_per_month, created_at, updated_at)
		VALUES ('Shop', 'live', 'high', 0, ?, ?) RETURNING id`, ts, ts)
	w.alpha = w.id(`INSERT INTO customers (name, created_at, updated_at) VALUES ('Alpha', ?, ?) RETURNING id`, ts, ts)
	w.beta = w.id(`INSERT INTO customers (name, created_at, updated_at) VALUES ('Beta', ?, ?) RETURNING id`, ts, ts)
	w.exec(`INSERT INTO service_customers (service_id, customer_id) VALUES (?, ?), (?, ?)`, w.portal, w.alpha, w.portal, w.beta)
	w.hosting = w.id(`INSERT INTO agreements (kind, name, supplier_name, contract_start, active, created_at, updated_at)
		VALUES ('uc', 'Hosting', 'Racks Ltd', '2026-02-01', TRUE, ?, ?) RETURNING id`, ts, ts)
	w.carrier = w.id(`INSERT INTO agreements (kind, name, supplier_name, active, created_at, updated_at)
		VALUES ('uc', 'Carrier', 'Wires Inc', TRUE, ?, ?) RETURNING id`, ts, ts)
	w.cmdb(e)
	return w
}

// cmdb draws: Portal's business service depends on an application that
// runs on server A (shared with Shop) and server B, and depends on a
// licensed product.
func (w *world) cmdb(e storetest.Engine) {
	c := cmdb.NewService(e.DB, nil)
	ci := func(typ, name string, svc *int64, attrs map[string]any) int64 {
		x, err := c.CreateCI(w.ctx, audit.System, cmdb.NewCI{Type: cmdb.TypeRef(typ), Name: name, ServiceID: svc, Attributes: attrs}, nil)
		if err != nil {
			w.t.Fatal(err)
		}
		return x.ID
	}
	rel := func(src int64, t cmdb.RelType, dst int64) {
		if _, err := c.Relate(w.ctx, audit.System, cmdb.NewRelationship{SourceID: src, TargetID: dst, Type: t}, nil); err != nil {
			w.t.Fatal(err)
		}
	}
	asset := func(ci int64, in cmdb.AssetInput) {
		if _, _, err := c.PutAsset(w.ctx, audit.System, ci, in, 0); err != nil {
			w.t.Fatal(err)
		}
	}
	bsPortal := ci("Business service", "Portal", &w.portal, nil)
	bsShop := ci("Business service", "Shop", &w.shop, nil)
	app := ci("Application", "portal-app", nil, nil)
	srvA := ci("Server", "srv-a", nil, map[string]any{"hostname": "srv-a"})
	srvB := ci("Server", "srv-b", nil, map[string]any{"hostname": "srv-b"})
	sw := ci("Software", "Search engine", nil, nil)
	rel(bsPortal, cmdb.DependsOn, app)
	rel(app, cmdb.RunsOn, srvA)
	rel(app, cmdb.RunsOn, srvB)
	rel(app, cmdb.DependsOn, sw)
	rel(bsShop, cmdb.DependsOn, srvA)
	// 3,600.00 over 36 months: 100.00 a month, 50.00 to each service.
	asset(srvA, cmdb.AssetInput{PurchaseDate: ptr("2026-01-10"), Cost: "3600.00", Lifecycle: &cmdb.Lifecycle{RetireBy: ptr("2029-01-09")}})
	// 1,080.00 without a retirement date: the default 36 months, 30.00 a month.
	asset(srvB, cmdb.AssetInput{PurchaseDate: ptr("2025-12-05"), Cost: "1080.00"})
	// A licence for 2026: 2,400.00 over 12 months, 200.00 a month.
	seats := int64(10)
	asset(sw, cmdb.AssetInput{PurchaseDate: ptr("2026-01-01"), LicenceEnd: ptr("2026-12-31"), SeatsOwned: &seats, Cost: "2400.00"})
	w.svc = cost.NewService(e.DB, nil)
	w.svc.CMDB = c
	w.svc.Now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
}

func (w *world) outage(from, to time.Time) {
	w.exec(`INSERT INTO outages (service_id, started_at, ended_at, weight, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)`,
		w.portal, store.TS(from), store.TS(to), store.TS(from), store.TS(from))
}

// records enters Portal's contract, costs, budget and cost per hour.
func (w *world) records() {
	t := w.t
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := w.svc.SetContractCost(w.ctx, w.owner, cost.ContractCostInput{AgreementID: w.hosting, ServiceID: w.portal, AmountPerMonth: ptr(int64(50000)), Currency: "eur"})
	must(err)
	_, err = w.svc.AddEntry(w.ctx, w.owner, cost.EntryInput{ServiceID: w.portal, Period: "2026-Q1", Category: "staff", Amount: ptr(int64(90000)), Currency: "EUR"})
	must(err)
	_, err = w.svc.CreateBudget(w.ctx, w.owner, cost.BudgetInput{ServiceID: &w.portal, Period: "2026-Q1", Amount: ptr(int64(600000)), Currency: "EUR"})
	must(err)
	_, err = w.svc.PutSettings(w.ctx, w.owner, w.portal, cost.SettingsInput{DowntimePerHour: ptr(int64(40000)), DowntimeCur: "EUR", Allocation: cost.Equal}, 0)
	must(err)
	w.outage(time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC), time.Date(2026, 2, 10, 12, 30, 0, 0, time.UTC))
}

func period(t *testing.T, s string) cost.Period {
	t.Helper()
	p, err := cost.ParsePeriod(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A service's cost per month is its catalogue cost, its share of the
// assets it runs on, its contracts in their term and the costs entered,
// against its budget, with the downtime priced at its cost per hour.
func TestServiceCostPerMonthAndQuarter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		w.records()
		rep, err := w.svc.Report(w.ctx, w.auditor, cost.ReportQuery{ServiceID: w.portal, From: period(t, "2026-01"), To: period(t, "2026-03")})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Currency != "EUR" || len(rep.Services) != 1 {
			t.Fatalf("report %+v", rep)
		}
		// assets: server A 50.00 (shared with Shop), server B 30.00, licence 200.00.
		want := []struct {
			catalogue, assets, contracts, other, actual, budget int64
			downtime                                            int64
		}{
			{100000, 28000, 0, 30000, 158000, 200000, 0},
			{100000, 28000, 50000, 30000, 208000, 200000, 9000},
			{100000, 28000, 50000, 30000, 208000, 200000, 0},
		}
		for i, r := range rep.Services[0].Rows {
			x := want[i]
			if r.Catalogue != x.catalogue || r.Assets != x.assets || r.Contracts != x.contracts || r.Other != x.other || r.Actual != x.actual ||
				r.Budget == nil || *r.Budget != x.budget || r.DowntimeSeconds != x.downtime {
				t.Errorf("%s: %+v, want %+v", r.Period, r, x)
			}
		}
		if feb := rep.Services[0].Rows[1]; feb.DowntimeCost == nil || *feb.DowntimeCost != 100000 || *feb.Variance != -8000 {
			t.Errorf("February: 2.5 hours at 400.00 is 1,000.00 and 80.00 over budget: %+v", feb)
		}
		q, err := w.svc.Report(w.ctx, w.auditor, cost.ReportQuery{ServiceID: w.portal, From: period(t, "2026-Q1"), To: period(t, "2026-Q2")})
		if err != nil {
			t.Fatal(err)
		}
		q1, q2 := q.Services[0].Rows[0], q.Services[0].Rows[1]
		if q1.Actual != 574000 || *q1.Budget != 600000 || *q1.Variance != 26000 || *q1.VariancePercent != 4.3 || *q1.DowntimeCost != 100000 || q1.BudgetMonths != 3 {
			t.Errorf("Q1: %+v", q1)
		}
		// Q2: no budget, no costs entered; the licence still runs.
		if q2.Budget != nil || q2.Variance != nil || q2.Actual != 3*(100000+28000+50000) {
			t.Errorf("Q2: %+v", q2)
		}
		if len(q.Services[0].Assets) != 3 {
			t.Errorf("assets %+v", q.Services[0].Assets)
		}
	})
}

// A contract or budget in another currency needs the rate for its
// period: without it the report says which rate is missing; with it the
// amounts are converted month by month.
func TestCurrenciesNeedARate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		if _, err := w.svc.SetContractCost(w.ctx, w.admin, cost.ContractCostInput{AgreementID: w.carrier, ServiceID: w.shop, AmountPerMonth: ptr(int64(10000)), Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.CreateBudget(w.ctx, w.admin, cost.BudgetInput{ServiceID: &w.shop, Period: "2026-Q1", Amount: ptr(int64(30000)), Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
		rq := cost.ReportQuery{From: period(t, "2026-Q1"), To: period(t, "2026-Q1")}
		_, err := w.svc.Report(w.ctx, w.admin, rq)
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !cost.IsRateMissing(err) || inv.Fields["currency"] == "" {
			t.Fatalf("no rate: %v", err)
		}
		if _, err := w.svc.SetRate(w.ctx, w.admin, cost.RateInput{From: "USD", Period: "2026-Q1", Rate: "0.9"}); err != nil {
			t.Fatal(err)
		}
		rep, err := w.svc.Report(w.ctx, w.admin, rq)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range rep.Services {
			if sc.ServiceID != w.shop {
				continue
			}
			r := sc.Rows[0]
			// 100.00 USD a month at 0.9 is 90.00 EUR; server A's half is 50.00.
			if r.Contracts != 27000 || r.Assets != 15000 || r.Actual != 42000 || *r.Budget != 27000 || *r.Variance != -15000 {
				t.Errorf("Shop Q1: %+v", r)
			}
			return
		}
		t.Fatal("Shop missing from the report")
	})
}

// A service's cost is allocated to its customers equally, by their
// tickets or by fixed shares, the parts adding up to the whole.
func TestAllocationKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		w.records()
		q1 := period(t, "2026-Q1")
		lines := func(want ...int64) {
			t.Helper()
			a, err := w.svc.Allocate(w.ctx, w.auditor, w.portal, q1)
			if err != nil {
				t.Fatal(err)
			}
			if a.Total != 574000 || len(a.Lines) != len(want) {
				t.Fatalf("allocation %+v, want %v", a, want)
			}
			for i, l := range a.Lines {
				if l.Amount != want[i] {
					t.Errorf("%s (%s): %d, want %d", l.CustomerName, a.Key, l.Amount, want[i])
				}
			}
		}
		lines(287000, 287000)
		for i, c := range []int64{w.alpha, w.alpha, w.alpha, w.beta} {
			at := store.TS(time.Date(2026, 1, 5+i, 9, 0, 0, 0, time.UTC))
			w.exec(`INSERT INTO incidents (title, impact, urgency, priority, state, service_id, customer_id, created_at, updated_at)
				VALUES ('x', 'medium', 'medium', 3, 'new', ?, ?, ?, ?)`, w.portal, c, at, at)
		}
		if _, err := w.svc.PutSettings(w.ctx, w.owner, w.portal, cost.SettingsInput{DowntimePerHour: ptr(int64(40000)), DowntimeCur: "EUR", Allocation: cost.Tickets}, 0); err != nil {
			t.Fatal(err)
		}
		lines(430500, 143500)
		_, err := w.svc.PutSettings(w.ctx, w.owner, w.portal, cost.SettingsInput{Allocation: cost.Fixed,
			Shares: []cost.Share{{CustomerID: w.alpha, BasisPoints: 3333}, {CustomerID: w.beta, BasisPoints: 6000}}}, 0)
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || inv.Fields["shares"] == "" {
			t.Fatalf("shares adding up to 93.33 %%: %v", err)
		}
		if _, err := w.svc.PutSettings(w.ctx, w.owner, w.portal, cost.SettingsInput{Allocation: cost.Fixed,
			Shares: []cost.Share{{CustomerID: w.alpha, BasisPoints: 3333}, {CustomerID: w.beta, BasisPoints: 6667}}}, 0); err != nil {
			t.Fatal(err)
		}
		lines(191314, 382686)
	})
}

// The cost-benefit view sets each quarter's downtime cost against the
// quarter before and the SMS budget; time on tickets is not recorded by
// the product, and the view says so instead of a figure.
func TestCostBenefitPerQuarter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		w.records()
		w.outage(time.Date(2025, 11, 5, 8, 0, 0, 0, time.UTC), time.Date(2025, 11, 5, 9, 0, 0, 0, time.UTC))
		if _, err := w.svc.CreateBudget(w.ctx, w.admin, cost.BudgetInput{Period: "2026", Amount: ptr(int64(1200000)), Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.Benefit(w.ctx, w.auditor, period(t, "2025-Q4"), period(t, "2026-Q1"))
		if err != nil {
			t.Fatal(err)
		}
		q4, q1 := b.Quarters[0], b.Quarters[1]
		if q4.DowntimeCost != 40000 || q4.DowntimeChange != nil || q4.SMSBudget != nil {
			t.Errorf("2025-Q4: %+v", q4)
		}
		if q1.DowntimeCost != 100000 || q1.DowntimeChange == nil || *q1.DowntimeChange != 150 || q1.SMSBudget == nil || *q1.SMSBudget != 300000 {
			t.Errorf("2026-Q1: %+v", q1)
		}
		if b.EffortRecorded || q1.TicketSeconds != nil || b.PricedServices != 1 || b.Services != 2 {
			t.Errorf("effort and pricing: %+v", b)
		}
		// Shop has no cost per hour: its downtime is counted but not priced.
		if q1.UnpricedDowntimeSeconds != 0 || q1.DowntimeSeconds != 9000 {
			t.Errorf("downtime: %+v", q1)
		}
	})
}

// Owners and administrators write a service's costs; other agents,
// auditors and requesters may not; only administrators set the SMS
// budget, rates and the currency.
func TestWhoMayWriteCosts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		in := func(svc *int64, per string) cost.BudgetInput {
			return cost.BudgetInput{ServiceID: svc, Period: per, Amount: ptr(int64(1000)), Currency: "EUR"}
		}
		cases := []struct {
			who  *auth.Principal
			in   cost.BudgetInput
			want error
		}{
			{w.owner, in(&w.portal, "2026-01"), nil},
			{w.admin, in(&w.portal, "2026-02"), nil},
			{w.admin, in(nil, "2026-03"), nil},
			{w.other, in(&w.portal, "2026-04"), domainerr.ErrForbidden},
			{w.owner, in(&w.shop, "2026-04"), domainerr.ErrForbidden},
			{w.owner, in(nil, "2026-04"), domainerr.ErrForbidden},
			{w.auditor, in(&w.portal, "2026-04"), domainerr.ErrForbidden},
			{w.requester, in(&w.portal, "2026-04"), domainerr.ErrForbidden},
		}
		for _, c := range cases {
			_, err := w.svc.CreateBudget(w.ctx, c.who, c.in)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("%s budget for %s: %v, want %v", c.who.Role, c.in.Period, err, c.want)
			}
		}
		var n int
		if err := w.db.QueryRow(w.ctx, `SELECT COUNT(*) FROM budgets`).Scan(&n); err != nil || n != 3 {
			t.Errorf("budgets stored: %d, want 3 (%v)", n, err)
		}
		if _, err := w.svc.ListBudgets(w.ctx, w.requester, cost.BudgetFilter{}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("requester reads budgets: %v", err)
		}
		if l, err := w.svc.ListBudgets(w.ctx, w.auditor, cost.BudgetFilter{}); err != nil || len(l) != 3 {
			t.Errorf("auditor reads budgets: %d, %v", len(l), err)
		}
		if _, err := w.svc.SetRate(w.ctx, w.owner, cost.RateInput{From: "USD", Period: "2026", Rate: "0.9"}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("owner sets a rate: %v", err)
		}
		if _, err := w.svc.PutSettings(w.ctx, w.other, w.portal, cost.SettingsInput{DowntimePerHour: ptr(int64(1)), DowntimeCur: "EUR"}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("another agent prices Portal's downtime: %v", err)
		}
	})
}

// Bad input is refused field by field and nothing is stored; budgets of
// one service do not overlap.
func TestBudgetInputIsChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		_, err := w.svc.CreateBudget(w.ctx, w.admin, cost.BudgetInput{ServiceID: &w.portal, Period: "2026-13", Amount: ptr(int64(-1)), Currency: "EUX"})
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || inv.Fields["period"] == "" || inv.Fields["amount"] == "" || inv.Fields["currency"] == "" {
			t.Fatalf("bad budget: %v", err)
		}
		if _, err := w.svc.CreateBudget(w.ctx, w.admin, cost.BudgetInput{ServiceID: &w.portal, Period: "2026", Amount: ptr(int64(1)), Currency: "JPY"}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.CreateBudget(w.ctx, w.admin, cost.BudgetInput{ServiceID: &w.portal, Period: "2026-Q3", Amount: ptr(int64(1)), Currency: "EUR"})
		if !errors.As(err, &inv) || inv.Fields["period"] == "" {
			t.Fatalf("a quarter inside a budgeted year: %v", err)
		}
		if _, err := w.svc.CreateBudget(w.ctx, w.admin, cost.BudgetInput{ServiceID: &w.shop, Period: "2026-Q3", Amount: ptr(int64(1)), Currency: "EUR"}); err != nil {
			t.Errorf("another service's budget: %v", err)
		}
		if _, err := w.svc.SetContractCost(w.ctx, w.admin, cost.ContractCostInput{AgreementID: 9999, ServiceID: w.portal, AmountPerMonth: ptr(int64(1)), Currency: "EUR"}); !errors.As(err, &inv) || inv.Fields["agreement_id"] == "" {
			t.Errorf("unknown contract: %v", err)
		}
		var n int
		if err := w.db.QueryRow(w.ctx, `SELECT COUNT(*) FROM budgets`).Scan(&n); err != nil || n != 2 {
			t.Errorf("budgets stored: %d, want 2", n)
		}
	})
}

// Money is written with its currency's own decimals.
func TestFormatAndParse(t *testing.T) {
	for _, c := range []struct {
		amount int64
		cur    string
		want   string
	}{{123456789, "EUR", "1,234,567.89 EUR"}, {5, "EUR", "0.05 EUR"}, {1500, "JPY", "1,500 JPY"}, {1234, "BHD", "1.234 BHD"}, {-250, "USD", "-2.50 USD"}} {
		if got := cost.Format(c.amount, c.cur); got != c.want {
			t.Errorf("Format(%d, %s) = %q, want %q", c.amount, c.cur, got, c.want)
		}
	}
	if n, err := cost.ParseMajor("1,250.5", "EUR"); err != nil || n != 125050 {
		t.Errorf("ParseMajor: %d, %v", n, err)
	}
	if _, err := cost.ParseMajor("12.5", "JPY"); err == nil {
		t.Error("yen with decimals accepted")
	}
	for _, bad := range []string{"2026-00", "2026-Q5", "26", "2026-1", "x"} {
		if _, err := cost.ParsePeriod(bad); err == nil {
			t.Errorf("period %q accepted", bad)
		}
	}
	_ = catalog.Cents(0)
}

// Months run from midnight to midnight in the organisation's zone: an
// outage from 23:30 to 00:30 UTC across the end of February is the first
// hour of March in Berlin, and half of each month in UTC.
func TestMonthsFollowTheOrganisationsZone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		w.outage(time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC))
		downtime := func(loc *time.Location) []int64 {
			t.Helper()
			w.svc.Loc = loc
			rep, err := w.svc.Report(w.ctx, w.auditor, cost.ReportQuery{ServiceID: w.portal, From: period(t, "2026-02"), To: period(t, "2026-03")})
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, r := range rep.Services[0].Rows {
				out = append(out, r.DowntimeSeconds)
			}
			return out
		}
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		if got := downtime(nil); !slices.Equal(got, []int64{1800, 1800}) {
			t.Errorf("in UTC, February and March: %v seconds down, want 1800 each", got)
		}
		if got := downtime(berlin); !slices.Equal(got, []int64{0, 3600}) {
			t.Errorf("in Berlin, February and March: %v seconds down, want all of it in March", got)
		}
		if today := w.svc.Today(); today.Location() != berlin {
			t.Errorf("today is read in %v", today.Location())
		}
	})
}
