package risk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/risk"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func owner(t *testing.T, db *store.DB, role auth.Role) int64 {
	t.Helper()
	u, err := auth.CreateUser(context.Background(), db, audit.System, auth.NewUser{Email: string(role) + "@risk.test", Name: "Owner",
		Role: role, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want field errors, got %v", err)
	}
	return inv.Fields
}

func TestRiskRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		svc := risk.NewService(e.DB)
		svc.Now = func() time.Time { return time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC) }
		ada, rita := owner(t, e.DB, auth.Admin), owner(t, e.DB, auth.Requester)
		n := func(i int) *int { return &i }
		s := func(v string) *string { return &v }

		// Every fault at once: no owner, levels off the matrix, a treatment
		// for opportunities, a date that is not one.
		_, err := svc.Create(ctx, audit.System, risk.Input{Title: s(" "), Likelihood: n(6), Treatment: s("exploit"), ReviewDue: s("31/12/2026")})
		got := fields(t, err)
		for _, f := range []string{"title", "owner_id", "likelihood", "impact", "treatment", "review_due"} {
			if got[f] == "" {
				t.Errorf("no message for %s: %v", f, got)
			}
		}
		_, err = svc.Create(ctx, audit.System, risk.Input{Title: s("R"), OwnerID: &rita, Likelihood: n(1), Impact: n(1)})
		if fields(t, err)["owner_id"] == "" {
			t.Error("a requester was accepted as a risk's owner")
		}
		_, err = svc.Create(ctx, audit.System, risk.Input{Title: s("R"), OwnerID: &ada, Likelihood: n(1), Impact: n(1), ResidualLikelihood: n(1)})
		if fields(t, err)["residual_impact"] == "" {
			t.Error("half a residual assessment was accepted")
		}

		big, err := svc.Create(ctx, audit.System, risk.Input{Title: s("Ransomware"), OwnerID: &ada, Likelihood: n(3), Impact: n(5), ReviewDue: s("2026-06-01")})
		if err != nil {
			t.Fatal(err)
		}
		if big.Score != 15 || big.Band != "high" || !big.AboveAppetite || !big.Untreated || !big.ReviewOverdue {
			t.Errorf("ransomware: %+v", big)
		}
		small, err := svc.Create(ctx, audit.System, risk.Input{Title: s("Printer"), OwnerID: &ada, Likelihood: n(1), Impact: n(2), ReviewDue: s("2026-07-01")})
		if err != nil {
			t.Fatal(err)
		}
		if small.Band != "low" || small.AboveAppetite || small.ReviewOverdue {
			t.Errorf("printer: %+v", small)
		}
		if _, err := svc.Create(ctx, audit.System, risk.Input{Title: s("Portal"), Kind: s("opportunity"), OwnerID: &ada, Likelihood: n(5), Impact: n(5)}); err != nil {
			t.Fatal(err)
		}

		inh, res, err := svc.HeatMaps(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if inh.Cells[2][4] != 1 || inh.Cells[0][1] != 1 || inh.Total != 2 || res.Total != 0 {
			t.Errorf("heat map %+v / %+v: want 3x5 and 1x2, opportunities left out, nothing residual", inh, res)
		}
		list, err := svc.List(ctx, risk.Filter{Likelihood: 3, Impact: 5})
		if err != nil || len(list) != 1 || list[0].ID != big.ID {
			t.Errorf("cell 3x5: %v %v", list, err)
		}
		if list, _ := svc.List(ctx, risk.Filter{Untreated: true}); len(list) != 1 {
			t.Errorf("untreated: %d, want 1", len(list))
		}
		// The opportunity scores higher; a limit of one still finds the
		// untreated risk.
		if list, _ := svc.List(ctx, risk.Filter{Untreated: true, Limit: 1}); len(list) != 1 || list[0].ID != big.ID {
			t.Errorf("untreated, one: %v, want %d", list, big.ID)
		}
		if list, _ := svc.List(ctx, risk.Filter{Overdue: true}); len(list) != 1 {
			t.Errorf("overdue: %d, want 1", len(list))
		}

		if _, err := svc.Update(ctx, audit.System, big.ID, risk.Input{Treatment: s("reduce")}, big.Version+1); !errors.Is(err, domainerr.ErrStale) {
			t.Errorf("stale update: %v", err)
		}
		upd, err := svc.Update(ctx, audit.System, big.ID, risk.Input{Treatment: s("reduce"), ResidualLikelihood: n(2), ResidualImpact: n(2),
			Status: s("treating"), ReviewedOn: s("2026-06-14"), ReviewDue: s("2026-09-14")}, big.Version)
		if err != nil {
			t.Fatal(err)
		}
		if upd.Untreated || upd.ReviewOverdue || upd.ResidualScore == nil || *upd.ResidualScore != 4 || upd.ResidualBand != "low" {
			t.Errorf("after treatment: %+v", upd)
		}
		if _, res, _ := svc.HeatMaps(ctx); res.Cells[1][1] != 1 {
			t.Errorf("residual 2x2 holds %d, want 1", res.Cells[1][1])
		}
		var audited int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'risk'").Scan(&audited); err != nil || audited != 4 {
			t.Errorf("audit entries for risks: %d (%v), want 4", audited, err)
		}

		// New criteria move bands at once.
		c, err := risk.GetCriteria(ctx, e.DB)
		if err != nil {
			t.Fatal(err)
		}
		c.Bands = []risk.Band{{Name: "acceptable", Max: 15}, {Name: "intolerable", Max: 25}}
		if _, err := svc.SetCriteria(ctx, audit.System, c, c.Version+1); !errors.Is(err, domainerr.ErrStale) {
			t.Errorf("stale criteria: %v", err)
		}
		if _, err := svc.SetCriteria(ctx, audit.System, c, c.Version); err != nil {
			t.Fatal(err)
		}
		if r, _ := svc.Get(ctx, e.DB, big.ID); r.Band != "acceptable" {
			t.Errorf("band after new criteria: %q", r.Band)
		}
	})
}

func TestCriteriaChecks(t *testing.T) {
	five := []string{"1", "2", "3", "4", "5"}
	good := func() risk.Criteria {
		return risk.Criteria{LikelihoodLabels: five, ImpactLabels: five, Appetite: 8,
			Bands: []risk.Band{{Name: "low", Max: 4}, {Name: "high", Max: 25}}}
	}
	for _, c := range []struct {
		name  string
		edit  func(*risk.Criteria)
		field string
	}{
		{"fine", func(*risk.Criteria) {}, ""},
		{"four labels", func(c *risk.Criteria) { c.ImpactLabels = five[:4] }, "impact_labels"},
		{"empty label", func(c *risk.Criteria) { c.LikelihoodLabels = []string{"a", "", "c", "d", "e"} }, "likelihood_labels"},
		{"falling", func(c *risk.Criteria) {
			c.Bands = []risk.Band{{Name: "a", Max: 10}, {Name: "b", Max: 5}, {Name: "c", Max: 25}}
		}, "bands"},
		{"not to 25", func(c *risk.Criteria) { c.Bands = []risk.Band{{Name: "a", Max: 10}, {Name: "b", Max: 20}} }, "bands"},
		{"no name", func(c *risk.Criteria) { c.Bands[0].Name = "" }, "bands"},
		{"no bands", func(c *risk.Criteria) { c.Bands = nil }, "bands"},
		{"appetite 0", func(c *risk.Criteria) { c.Appetite = 0 }, "appetite"},
		{"appetite 26", func(c *risk.Criteria) { c.Appetite = 26 }, "appetite"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cr := good()
			c.edit(&cr)
			err := risk.CheckCriteria(cr)
			if c.field == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || inv.Fields[c.field] == "" {
				t.Errorf("want a message for %s, got %v", c.field, err)
			}
		})
	}
}
