package capacity

import (
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// A service has one capacity plan watching its series; bad fields are
// refused each with its message; the plan can be changed and removed.
func TestCapacityPlanPerService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		x.ingest(x.in("cpu", x.now.Add(-time.Hour), 40))
		cpu, _ := x.svc.List(x.ctx, agent, Filter{})
		in := PlanIn{ServiceID: &x.service, Title: ptr("Portal capacity 2026"), Body: ptr("Two database nodes until Q3."),
			Demand: ptr("Logins grow 5 % a month with the spring campaign."), ReviewedOn: ptr("2026-02-01"),
			NextReviewOn: ptr("2026-03-01"), SeriesIDs: &[]int64{cpu[0].ID, cpu[0].ID}}
		pl, err := x.svc.CreatePlan(x.ctx, agent, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(pl.Series) != 1 || pl.Series[0].Metric != "cpu" || !pl.ReviewDue || pl.ServiceName != "Portal" {
			t.Fatalf("plan: %+v", pl)
		}
		_, err = x.svc.CreatePlan(x.ctx, agent, in)
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields["service_id"], "already has a capacity plan") {
			t.Fatalf("second plan: %v", err)
		}
		bad := PlanIn{ServiceID: ptr(int64(999)), Title: ptr(" "), ReviewedOn: ptr("1 March"), SeriesIDs: &[]int64{777}}
		_, err = x.svc.CreatePlan(x.ctx, agent, bad)
		if !errors.As(err, &inv) || len(inv.Fields) != 4 {
			t.Fatalf("bad plan: %v", err)
		}
		pl, err = x.svc.UpdatePlan(x.ctx, agent, pl.ID, PlanIn{ReviewedOn: ptr("2026-03-03"), NextReviewOn: ptr("2026-06-03"), SeriesIDs: &[]int64{}}, pl.Version)
		if err != nil || pl.ReviewDue || len(pl.Series) != 0 || pl.Version != 2 {
			t.Fatalf("updated: %+v %v", pl, err)
		}
		if _, err := x.svc.UpdatePlan(x.ctx, agent, pl.ID, PlanIn{Title: ptr("x")}, 1); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale update: %v", err)
		}
		if _, err := x.svc.UpdatePlan(x.ctx, auditor, pl.ID, PlanIn{Title: ptr("x")}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("auditor update: %v", err)
		}
		if err := x.svc.DeletePlan(x.ctx, agent, pl.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := x.svc.GetPlan(x.ctx, agent, pl.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted plan: %v", err)
		}
	})
}

// Thresholds come with the action they call for and in order.
func TestThresholdsNeedTheirAction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		sr, err := x.svc.Create(x.ctx, agent, NewSeries{ServiceID: &x.service, Metric: "licences", SeriesPatch: SeriesPatch{Unit: ptr("seats")}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.svc.Update(x.ctx, agent, sr.ID, SeriesPatch{WarnAt: ptr(90.0), ActAt: ptr(80.0)}, 0)
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || inv.Fields["act_at"] == "" || inv.Fields["act_action"] == "" {
			t.Fatalf("thresholds out of order: %v", err)
		}
		// An agent may not point a series at a Prometheus server.
		_, err = x.svc.Update(x.ctx, agent, sr.ID, SeriesPatch{SourceURL: ptr("http://127.0.0.1:9090"), SourceQuery: ptr("up")}, 0)
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields["source_url"], "administrator") {
			t.Fatalf("agent source: %v", err)
		}
		_, err = x.svc.Update(x.ctx, admin, sr.ID, SeriesPatch{SourceURL: ptr("http://user:pw@prom:9090")}, 0)
		if !errors.As(err, &inv) || inv.Fields["source_url"] == "" || inv.Fields["source_query"] == "" {
			t.Fatalf("source with a password: %v", err)
		}
		if _, err := x.svc.Create(x.ctx, agent, NewSeries{ServiceID: &x.service, Metric: "licences"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate series: %v", err)
		}
	})
}
