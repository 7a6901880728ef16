package continuity_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/cmdb"
	"steward/internal/continuity"
	"steward/internal/domainerr"
	"steward/internal/improvement"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// world is a continuity service over a fresh database, with a fixed
// clock, an administrator, an agent and an auditor.
type world struct {
	t                     *testing.T
	e                     storetest.Engine
	svc                   *continuity.Service
	admin, agent, auditor *auth.Principal
	now                   time.Time
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	w := &world{t: t, e: e, now: time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)}
	w.svc = continuity.NewService(e.DB, nil)
	w.svc.CMDB = cmdb.NewService(e.DB, nil)
	w.svc.Improvements = improvement.NewService(e.DB)
	w.svc.Now = func() time.Time { return w.now }
	for _, u := range []struct {
		p    **auth.Principal
		role auth.Role
	}{{&w.admin, auth.Admin}, {&w.agent, auth.Agent}, {&w.auditor, auth.Auditor}} {
		user, err := auth.CreateUser(context.Background(), e.DB, audit.System, auth.NewUser{Email: string(u.role) + "@c.test",
			Name: strings.ToUpper(string(u.role[:1])) + string(u.role[1:]), Role: u.role, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		*u.p = &auth.Principal{UserID: user.ID, Name: user.Name, Email: user.Email, Role: u.role}
	}
	return w
}

func (w *world) service(name string) int64 {
	w.t.Helper()
	s, err := catalog.New(w.e.DB).Create(context.Background(), w.admin, catalog.NewService{Name: name, Status: catalog.Live,
		Criticality: catalog.Critical})
	if err != nil {
		w.t.Fatal(err)
	}
	return s.ID
}

func (w *world) require(svc int64, rto, rpo string) {
	w.t.Helper()
	if _, err := w.svc.SetRequirement(context.Background(), w.agent, svc, continuity.RequirementInput{RTO: rto, RPO: rpo}, 0); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) plan(title string, services ...int64) continuity.Plan {
	w.t.Helper()
	steps := []continuity.StepInput{{Title: "Fail over to the second site", OwnerID: &w.agent.UserID}}
	p, err := w.svc.CreatePlan(context.Background(), w.agent, continuity.PlanInput{Title: &title, ServiceIDs: &services, Steps: &steps})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) test(plan int64, day, rto, rpo string) continuity.Test {
	w.t.Helper()
	kind := "simulation"
	t, err := w.svc.RecordTest(context.Background(), w.agent, continuity.TestInput{PlanID: &plan, Kind: &kind, HeldOn: &day,
		RTOAchieved: &rto, RPOAchieved: &rpo})
	if err != nil {
		w.t.Fatal(err)
	}
	return t
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want field errors, got %v", err)
	}
	return inv.Fields
}

// A requirement is read as people write it; an RTO of zero, a negative
// one, or a number without unit is refused by field and nothing is kept.
func TestRequirements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		erp := w.service("ERP")
		for rto, want := range map[string]string{"0": "more than zero", "0 min": "more than zero", "-4h": "more than zero",
			"4": "say the unit", "": "required"} {
			_, err := w.svc.SetRequirement(ctx, w.agent, erp, continuity.RequirementInput{RTO: rto, RPO: "15 min"}, 0)
			if f := fields(t, err); !strings.Contains(f["rto"], want) {
				t.Errorf("RTO %q: %v, want %q", rto, f, want)
			}
		}
		if _, err := w.svc.Requirement(ctx, w.auditor, erp); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused requirement was kept: %v", err)
		}
		r, err := w.svc.SetRequirement(ctx, w.agent, erp, continuity.RequirementInput{RTO: "4h", RPO: "30 min", MinServiceLevel: "Orders taken by phone; 50 %"}, 0)
		if err != nil || r.RTOMinutes != 240 || r.RPOMinutes != 30 || r.RTO != "4 h" || r.MinServiceLevel != "Orders taken by phone; 50 %" {
			t.Fatalf("requirement: %+v %v", r, err)
		}
		if _, err := w.svc.SetRequirement(ctx, w.agent, erp, continuity.RequirementInput{RTO: "2h", RPO: "0"}, 7); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("a stale version: %v", err)
		}
		if _, err := w.svc.SetRequirement(ctx, w.auditor, erp, continuity.RequirementInput{RTO: "2h", RPO: "0"}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an auditor sets a requirement: %v", err)
		}
		if _, err := w.svc.SetRequirement(ctx, w.agent, 9999, continuity.RequirementInput{RTO: "2h", RPO: "0"}, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an unknown service: %v", err)
		}
	})
}

// An approved plan changed becomes the draft of its next version; only an
// administrator approves; a plan with a test on record is retired, not
// deleted.
func TestPlanLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		erp, web := w.service("ERP"), w.service("Website")
		title := ""
		_, err := w.svc.CreatePlan(ctx, w.agent, continuity.PlanInput{Title: &title, ServiceIDs: &[]int64{}})
		if f := fields(t, err); f["title"] == "" || f["service_ids"] == "" {
			t.Fatalf("an empty plan: %v", f)
		}
		bad := []continuity.ContactInput{{Name: "Night duty"}}
		_, err = w.svc.CreatePlan(ctx, w.agent, continuity.PlanInput{Title: &title, ServiceIDs: &[]int64{erp, 777}, Contacts: &bad})
		if f := fields(t, err); f["service_ids[1]"] == "" || !strings.Contains(f["contacts[0].phone"], "phone number or an e-mail") {
			t.Fatalf("bad services and contacts: %v", f)
		}
		p := w.plan("ERP and web shop recovery", erp, web)
		if p.State != continuity.Draft || p.PlanVersion != 1 || len(p.Services) != 2 || p.Steps[0].OwnerName != "Agent" {
			t.Fatalf("new plan: %+v", p)
		}
		if _, err := w.svc.ApprovePlan(ctx, w.agent, p.ID, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an agent approves: %v", err)
		}
		p, err = w.svc.ApprovePlan(ctx, w.admin, p.ID, p.Version)
		if err != nil || p.State != continuity.Approved || p.ApprovedByName != "Admin" {
			t.Fatalf("approve: %+v %v", p, err)
		}
		review := "2026-12-01"
		if p, err = w.svc.UpdatePlan(ctx, w.agent, p.ID, continuity.PlanInput{ReviewOn: &review}, 0); err != nil || p.State != continuity.Approved {
			t.Fatalf("a new review date keeps the approval: %+v %v", p, err)
		}
		steps := append(p.StepsInput(), continuity.StepInput{Title: "Tell the customers"})
		if p, err = w.svc.UpdatePlan(ctx, w.agent, p.ID, continuity.PlanInput{Steps: &steps}, 0); err != nil {
			t.Fatal(err)
		}
		if p.State != continuity.Draft || p.PlanVersion != 2 || len(p.Steps) != 2 || p.Steps[1].Position != 2 {
			t.Fatalf("changing an approved plan: %+v", p)
		}
		w.test(p.ID, "2026-06-01", "3h", "10 min")
		if err := w.svc.DeletePlan(ctx, w.agent, p.ID); err == nil || !strings.Contains(err.Error(), "retire it instead") {
			t.Fatalf("deleting a tested plan: %v", err)
		}
		retired := continuity.Retired
		if p, err = w.svc.UpdatePlan(ctx, w.agent, p.ID, continuity.PlanInput{State: &retired}, 0); err != nil || p.State != continuity.Retired {
			t.Fatalf("retire: %v", err)
		}
		other := w.plan("Spare", web)
		if err := w.svc.DeletePlan(ctx, w.agent, other.ID); err != nil {
			t.Fatalf("deleting an untested plan: %v", err)
		}
	})
}

// A test's figures are judged against each service's requirement: within
// is met, beyond is missed, none is not measured; future dates are
// refused; an action raised becomes an improvement.
func TestTestsJudgedAgainstRequirements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		erp, web := w.service("ERP"), w.service("Website")
		w.require(erp, "4h", "15 min")
		w.require(web, "2h", "1h")
		p := w.plan("Recovery", erp, web)
		got := w.test(p.ID, "2026-05-01", "3h", "20 min")
		want := map[string][2]string{"ERP": {"met", "missed"}, "Website": {"missed", "met"}}
		for _, o := range got.Outcomes {
			if w := want[o.ServiceName]; o.RTOVerdict != w[0] || o.RPOVerdict != w[1] {
				t.Errorf("%s: RTO %s, RPO %s; want %v", o.ServiceName, o.RTOVerdict, o.RPOVerdict, w)
			}
		}
		if got.Verdict != continuity.Missed || got.RTOAchieved != "3 h" {
			t.Fatalf("verdict %s, RTO achieved %q", got.Verdict, got.RTOAchieved)
		}
		tabletop := w.test(p.ID, "2026-05-02", "", "")
		if tabletop.Verdict != continuity.NotMeasured || tabletop.RTOAchievedMinutes != nil {
			t.Fatalf("a test measuring nothing: %+v", tabletop)
		}
		kind, future, rto := "full_failover", "2026-06-16", "2 days 1 min"
		_, err := w.svc.RecordTest(ctx, w.agent, continuity.TestInput{PlanID: &p.ID, Kind: &kind, HeldOn: &future, RTOAchieved: &rto})
		if f := fields(t, err); !strings.Contains(f["held_on"], "future") || f["rto_achieved"] != "" {
			t.Fatalf("a test in the future: %v", f)
		}
		kind = "drill"
		_, err = w.svc.RecordTest(ctx, w.agent, continuity.TestInput{PlanID: &p.ID, Kind: &kind, HeldOn: &future})
		if f := fields(t, err); f["kind"] == "" {
			t.Fatalf("an unknown kind: %v", f)
		}
		due := "2026-07-01"
		a, err := w.svc.AddAction(ctx, w.agent, got.ID, continuity.NewAction{Title: "Replicate the web shop's database every 15 min", OwnerID: &w.agent.UserID, DueOn: due})
		if err != nil || a.OwnerName != "Agent" {
			t.Fatalf("action: %+v %v", a, err)
		}
		if _, err := w.svc.RaiseImprovement(ctx, w.agent, got.ID, a.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an agent raises an improvement: %v", err)
		}
		raised, err := w.svc.RaiseImprovement(ctx, w.admin, got.ID, a.ID)
		if err != nil || raised.ImprovementID == nil {
			t.Fatalf("raise: %+v %v", raised, err)
		}
		imp, err := improvement.NewService(e.DB).Get(ctx, e.DB, *raised.ImprovementID)
		if err != nil || imp.Title != a.Title || imp.DueOn != due || !strings.Contains(imp.SourceRef, "Continuity test") {
			t.Fatalf("the improvement: %+v %v", imp, err)
		}
		if _, err := w.svc.RaiseImprovement(ctx, w.admin, got.ID, a.ID); err == nil {
			t.Fatal("an action raised twice")
		}
		if err := w.svc.DeleteTest(ctx, w.agent, got.ID); err == nil {
			t.Fatal("a test whose action became an improvement was deleted")
		}
	})
}

// A test keeps the verdict of the requirements in force when it was
// recorded: tightening an RTO afterwards does not turn a met test into a
// missed one, nor does a service added to the plan later join its
// outcomes; a test recorded after the change is judged by the new RTO.
func TestTestsKeepTheRequirementsOfTheirDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		erp, web := w.service("ERP"), w.service("Website")
		w.require(erp, "4h", "15 min")
		p := w.plan("Recovery", erp)
		before := w.test(p.ID, "2026-05-01", "3h", "10 min")
		if before.Verdict != continuity.Met {
			t.Fatalf("before the change: %s", before.Verdict)
		}
		w.require(erp, "2h", "15 min")
		title := "Recovery"
		services := []int64{erp, web}
		if _, err := w.svc.UpdatePlan(ctx, w.agent, p.ID, continuity.PlanInput{Title: &title, ServiceIDs: &services}, 0); err != nil {
			t.Fatal(err)
		}
		w.require(web, "1h", "5 min")
		after := w.test(p.ID, "2026-06-01", "3h", "10 min")
		again, err := w.svc.Test(ctx, w.auditor, before.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.Verdict != continuity.Met || len(again.Outcomes) != 1 || again.Outcomes[0].RTO != "4 h" || again.Outcomes[0].RTOVerdict != continuity.Met {
			t.Fatalf("the earlier test after the RTO tightened: %s %+v", again.Verdict, again.Outcomes)
		}
		if after.Verdict != continuity.Missed || len(after.Outcomes) != 2 {
			t.Fatalf("the later test: %s %+v", after.Verdict, after.Outcomes)
		}
		for _, o := range after.Outcomes {
			if o.RTOVerdict != continuity.Missed {
				t.Errorf("the later test for %s: RTO %s against %s", o.ServiceName, o.RTOVerdict, o.RTO)
			}
		}
		pl, err := w.svc.Plan(ctx, w.auditor, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		verdicts := map[int64]string{}
		for _, b := range pl.Tests {
			verdicts[b.ID] = b.Verdict
		}
		if verdicts[before.ID] != continuity.Met || verdicts[after.ID] != continuity.Missed {
			t.Fatalf("the plan's list of tests: %v", verdicts)
		}
		list, err := w.svc.Tests(ctx, w.auditor, continuity.TestFilter{PlanID: p.ID})
		if err != nil || len(list) != 2 || list[1].Verdict != continuity.Met {
			t.Fatalf("the list of tests: %+v %v", list, err)
		}
	})
}

// An invocation's recovery runs from its start to its end and is judged
// like a test; its review waits for its end and records who wrote it.
func TestInvocations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		erp := w.service("ERP")
		w.require(erp, "4h", "15 min")
		p := w.plan("ERP recovery", erp)
		start := w.now.Add(-6 * time.Hour)
		summary, review := "Storage array failed; ran from the second site.", "Fail-over worked; the runbook lacked the DNS step."
		_, err := w.svc.RecordInvocation(ctx, w.agent, continuity.InvocationInput{PlanID: &p.ID, StartedAt: &start, Summary: &summary, Review: &review})
		if f := fields(t, err); !strings.Contains(f["review"], "once the invocation has ended") {
			t.Fatalf("a review before the end: %v", f)
		}
		inv, err := w.svc.RecordInvocation(ctx, w.agent, continuity.InvocationInput{PlanID: &p.ID, StartedAt: &start, Summary: &summary})
		if err != nil || inv.RecoveryMinutes != nil || inv.AwaitingReview {
			t.Fatalf("an invocation under way: %+v %v", inv, err)
		}
		early := start.Add(-time.Minute)
		if _, err := w.svc.UpdateInvocation(ctx, w.agent, inv.ID, continuity.InvocationInput{EndedAt: &early}, 0); fields(t, err)["ended_at"] == "" {
			t.Fatal("an end before the start was kept")
		}
		end, loss := start.Add(5*time.Hour+30*time.Minute), "10 min"
		inv, err = w.svc.UpdateInvocation(ctx, w.agent, inv.ID, continuity.InvocationInput{EndedAt: &end, DataLoss: &loss}, inv.Version)
		if err != nil || inv.Recovery != "5 h 30 min" || inv.Verdict != continuity.Missed || !inv.AwaitingReview {
			t.Fatalf("ended: %+v %v", inv, err)
		}
		if inv.Outcomes[0].RTOVerdict != continuity.Missed || inv.Outcomes[0].RPOVerdict != continuity.Met {
			t.Fatalf("outcomes: %+v", inv.Outcomes)
		}
		inv, err = w.svc.UpdateInvocation(ctx, w.admin, inv.ID, continuity.InvocationInput{Review: &review}, 0)
		if err != nil || inv.AwaitingReview || inv.ReviewedByName != "Admin" || inv.ReviewedAt == nil {
			t.Fatalf("reviewed: %+v %v", inv, err)
		}
	})
}

// The overview flags, with their reasons: requirements without a plan, a
// plan never or not recently tested, a last measured test beyond the RTO
// or RPO, and a plan with nothing to test against; a service in order
// carries none.
func TestStandingFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		ids := map[string]int64{}
		for _, n := range []string{"Bare", "Never", "Stale", "Slow", "Lossy", "Fine", "Loose", "Untouched"} {
			ids[n] = w.service(n)
		}
		for _, n := range []string{"Bare", "Never", "Stale", "Slow", "Lossy", "Fine"} {
			w.require(ids[n], "4h", "1h")
		}
		w.plan("Never tested", ids["Never"])
		stale := w.plan("Stale", ids["Stale"])
		w.test(stale.ID, "2025-06-14", "1h", "0")
		slow := w.plan("Slow", ids["Slow"])
		w.test(slow.ID, "2026-01-10", "5h", "")
		w.test(slow.ID, "2026-03-10", "", "") // a tabletop after it leaves the miss standing
		lossy := w.plan("Lossy", ids["Lossy"])
		w.test(lossy.ID, "2026-02-01", "2h", "90 min")
		fine := w.plan("Fine", ids["Fine"])
		w.test(fine.ID, "2025-06-15", "1h", "1h")
		loose := w.plan("Loose", ids["Loose"])
		w.test(loose.ID, "2026-04-01", "1h", "0")

		st, err := w.svc.Standing(ctx, w.auditor)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		reasons := map[string]string{}
		for _, s := range st.Services {
			got[s.ServiceName] = []string{}
			for _, f := range s.Flags {
				got[s.ServiceName] = append(got[s.ServiceName], f.Code)
				reasons[s.ServiceName] += f.Reason
			}
		}
		want := map[string][]string{
			"Bare": {"no_plan"}, "Never": {"untested"}, "Stale": {"untested"}, "Slow": {"missed_rto"},
			"Lossy": {"missed_rpo"}, "Fine": {}, "Loose": {"no_requirement"},
		}
		for n, codes := range want {
			if !slices.Equal(got[n], codes) {
				t.Errorf("%s flagged %v, want %v", n, got[n], codes)
			}
		}
		if _, listed := got["Untouched"]; listed {
			t.Error("a service without requirements or plan is listed")
		}
		if st.Flagged != 6 || len(st.Services[len(st.Services)-1].Flags) != 0 {
			t.Errorf("%d flagged; the flagged come first: %+v", st.Flagged, st.Services)
		}
		for n, words := range map[string]string{"Bare": "RTO of 4 h but no continuity plan", "Stale": "last tested on 2025-06-14",
			"Slow": "took 5 h against an RTO of 4 h", "Lossy": "lost 1 h 30 min against an RPO of 1 h", "Never": "never been tested"} {
			if !strings.Contains(reasons[n], words) {
				t.Errorf("%s: reason %q lacks %q", n, reasons[n], words)
			}
		}
		good := map[string]bool{}
		for _, p := range st.Plans {
			good[p.Title] = p.Good
		}
		if !good["Fine"] || !good["Lossy"] || good["Slow"] || good["Stale"] || good["Never tested"] || good["Loose"] {
			t.Errorf("plans judged: %v", good)
		}
	})
}

// A plan lists what its services depend on in the CMDB, each after what
// it needs itself: the database before the application, the servers
// before the cluster the database runs on; a fleet of devices is one
// entry with its number of members.
func TestDependenciesInRecoveryOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		c := w.svc.CMDB
		erp := w.service("ERP")
		ci := func(name, typ string, svc *int64, attrs map[string]any) int64 {
			x, err := c.CreateCI(ctx, audit.System, cmdb.NewCI{Type: cmdb.TypeRef(typ), Name: name, ServiceID: svc, Attributes: attrs}, nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return x.ID
		}
		rel := func(a int64, typ cmdb.RelType, b int64) {
			if _, err := c.Relate(ctx, audit.System, cmdb.NewRelationship{SourceID: a, TargetID: b, Type: typ}, nil); err != nil {
				t.Fatal(err)
			}
		}
		bs := ci("ERP", "Business service", &erp, nil)
		app := ci("ERP app", "Application", nil, nil)
		db := ci("ERP database", "Database", nil, nil)
		cl := ci("DB cluster", "Cluster", nil, nil)
		s1 := ci("db-1", "Server", nil, map[string]any{"hostname": "db-1"})
		s2 := ci("db-2", "Server", nil, map[string]any{"hostname": "db-2"})
		unrelated := ci("Printer", "Application", nil, nil)
		rel(bs, cmdb.DependsOn, app)
		rel(app, cmdb.DependsOn, db)
		rel(db, cmdb.RunsOn, cl)
		rel(s1, cmdb.MemberOf, cl)
		rel(s2, cmdb.MemberOf, cl)
		rel(app, cmdb.ConnectedTo, unrelated)
		fleet := ci("Scanners", "Fleet", nil, nil)
		rel(app, cmdb.DependsOn, fleet)
		for i := range continuity.MaxMembers + 1 {
			n := fmt.Sprintf("scanner-%d", i)
			rel(ci(n, "Sensor", nil, map[string]any{"device_id": n}), cmdb.MemberOf, fleet)
		}
		p := w.plan("ERP recovery", erp)
		full, err := w.svc.Plan(ctx, w.auditor, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range full.Dependencies {
			got = append(got, d.Name+":"+string(rune('0'+d.Order)))
		}
		want := []string{"db-1:1", "db-2:1", "Scanners:1", "DB cluster:2", "ERP database:3", "ERP app:4"}
		if !slices.Equal(got, want) {
			t.Fatalf("dependencies %v, want %v", got, want)
		}
		if d := full.Dependencies[3]; !slices.Equal(d.DependsOn, []string{"db-1", "db-2"}) || !slices.Equal(d.Services, []string{"ERP"}) || d.Members != 0 {
			t.Fatalf("the cluster: %+v", d)
		}
		if d := full.Dependencies[2]; d.Members != continuity.MaxMembers+1 || len(d.DependsOn) != 0 {
			t.Fatalf("a fleet too large to list its members: %+v", d)
		}
	})
}

// Recovery order cuts a cycle rather than looping.
func TestRecoveryOrderCycle(t *testing.T) {
	got := continuity.RecoveryOrder([]int64{1, 2, 3}, map[int64][]int64{1: {2}, 2: {3}, 3: {1}})
	if len(got) != 3 || got[1] < 1 || got[2] < 1 || got[3] < 1 {
		t.Fatalf("order over a cycle: %v", got)
	}
	if got := continuity.RecoveryOrder([]int64{1, 2, 3}, map[int64][]int64{1: {2, 3}, 2: {3}}); got[3] != 1 || got[2] != 2 || got[1] != 3 {
		t.Fatalf("order: %v", got)
	}
}
