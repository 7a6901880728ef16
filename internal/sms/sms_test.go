package sms_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/sms"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

type fixture struct {
	svc              *sms.Service
	staff, requester int64
	service          int64
	group            int64
}

var ctx = context.Background()

func str(s string) *string { return &s }
func id(n int64) *int64    { return &n }

func setup(t *testing.T, e storetest.Engine) fixture {
	t.Helper()
	f := fixture{svc: &sms.Service{DB: e.DB, Now: func() time.Time { return time.Date(2027, 6, 15, 10, 0, 0, 0, time.UTC) }}}
	for _, u := range []struct {
		dst  *int64
		role auth.Role
	}{{&f.staff, auth.Agent}, {&f.requester, auth.Requester}} {
		nu, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: string(u.role) + "@sms.test", Name: string(u.role), Role: u.role, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		*u.dst = nu.ID
	}
	now := store.TS(time.Now())
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, "INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES ('Mail', 'live', 'high', ?, ?) RETURNING id", now, now).Scan(&f.service); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "INSERT INTO support_groups (name, created_at, updated_at) VALUES ('Desk', ?, ?) RETURNING id", now, now).Scan(&f.group)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fieldOf is the message an error gives on field, or "" when none.
func fieldOf(err error, field string) string {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return inv.Fields[field]
	}
	return ""
}

func TestContextIssues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := setup(t, e)
		for _, c := range []struct {
			name  string
			in    sms.IssueInput
			field string
		}{
			{"no title", sms.IssueInput{Origin: str("internal"), ReviewDue: str("2027-12-01")}, "title"},
			{"review before identified", sms.IssueInput{Title: str("x"), Origin: str("external"), IdentifiedOn: str("2027-05-01"), ReviewDue: str("2027-04-01")}, "review_due"},
			{"not a date", sms.IssueInput{Title: str("x"), Origin: str("external"), IdentifiedOn: str("1 May"), ReviewDue: str("2027-12-01")}, "identified_on"},
			{"unknown origin", sms.IssueInput{Title: str("x"), Origin: str("space"), ReviewDue: str("2027-12-01")}, "origin"},
			{"unknown owner", sms.IssueInput{Title: str("x"), Origin: str("internal"), ReviewDue: str("2027-12-01"), OwnerID: id(9999)}, "owner_id"},
			{"requester as owner", sms.IssueInput{Title: str("x"), Origin: str("internal"), ReviewDue: str("2027-12-01"), OwnerID: &f.requester}, "owner_id"},
			{"bad climate decision", sms.IssueInput{Title: str("x"), Origin: str("internal"), ReviewDue: str("2027-12-01"), ClimateDecision: str("maybe")}, "climate_decision"},
			{"open without review date", sms.IssueInput{Title: str("x"), Origin: str("internal")}, "review_due"},
		} {
			if _, err := f.svc.CreateIssue(ctx, audit.System, c.in); fieldOf(err, c.field) == "" {
				t.Errorf("%s: %v, want a message on %s", c.name, err, c.field)
			}
		}
		i, err := f.svc.CreateIssue(ctx, audit.System, sms.IssueInput{Title: str("Heat waves"), Origin: str("external"), ClimateDecision: str("relevant"),
			OwnerID: &f.staff, IdentifiedOn: str("2027-01-10"), ReviewDue: str("2027-03-01")})
		if err != nil {
			t.Fatal(err)
		}
		if !i.Overdue || i.OwnerName != "agent" || i.ClimateDecision != "relevant" {
			t.Errorf("issue past its review date: %+v", i)
		}
		if _, err := f.svc.MarkReviewed(ctx, audit.System, i.ID, "2027-06-01", "2027-05-01", i.Version); fieldOf(err, "review_due") == "" {
			t.Errorf("next review before the review: %v", err)
		}
		if _, err := f.svc.MarkReviewed(ctx, audit.System, i.ID, "2027-06-01", "2028-06-01", i.Version+1); !errors.Is(err, domainerr.ErrStale) {
			t.Errorf("stale version: %v", err)
		}
		r, err := f.svc.MarkReviewed(ctx, audit.System, i.ID, "2027-06-01", "2028-06-01", i.Version)
		if err != nil {
			t.Fatal(err)
		}
		if r.Overdue || r.ReviewedOn != "2027-06-01" || r.Version != i.Version+1 {
			t.Errorf("after review: %+v", r)
		}
		overdue, err := f.svc.Issues(ctx, sms.IssueFilter{Overdue: true})
		if err != nil || len(overdue) != 0 {
			t.Errorf("overdue after review: %v %v", overdue, err)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM audit_log WHERE entity = 'context_issue'"); n != 2 {
			t.Errorf("%d audit entries, want 2 (create, review)", n)
		}
	})
}

func TestPartiesAndRequirements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := setup(t, e)
		if _, err := f.svc.CreateParty(ctx, audit.System, sms.PartyInput{Name: str("Regulator"), Category: str("alien")}); fieldOf(err, "category") == "" {
			t.Errorf("unknown category: %v", err)
		}
		p, err := f.svc.CreateParty(ctx, audit.System, sms.PartyInput{Name: str("Customers"), Category: str("customer")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddRequirement(ctx, audit.System, p.ID, sms.RequirementInput{Requirement: "Mail works", ServiceID: 9999}, 0); fieldOf(err, "service_id") == "" {
			t.Errorf("unknown service: %v", err)
		}
		p, err = f.svc.AddRequirement(ctx, audit.System, p.ID, sms.RequirementInput{Requirement: "Mail works 99.9%", Source: "contract", ServiceID: f.service}, p.Version)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Requirements) != 1 || p.Requirements[0].ServiceName != "Mail" {
			t.Fatalf("requirement: %+v", p.Requirements)
		}
		if _, err := f.svc.RemoveRequirement(ctx, audit.System, p.ID, p.Requirements[0].ID, p.Version-1); !errors.Is(err, domainerr.ErrStale) {
			t.Errorf("stale removal: %v", err)
		}
		p, err = f.svc.RemoveRequirement(ctx, audit.System, p.ID, p.Requirements[0].ID, p.Version)
		if err != nil || len(p.Requirements) != 0 {
			t.Errorf("removal: %v %+v", err, p)
		}
	})
}

func TestScopeVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := setup(t, e)
		if _, err := f.svc.SaveScope(ctx, audit.System, sms.ScopeInput{Statement: "x", ServiceIDs: []int64{9999}}); fieldOf(err, "service_ids") == "" {
			t.Errorf("unknown service: %v", err)
		}
		if _, err := f.svc.SaveScope(ctx, audit.System, sms.ScopeInput{Statement: " "}); fieldOf(err, "statement") == "" {
			t.Errorf("empty statement: %v", err)
		}
		v1, err := f.svc.SaveScope(ctx, audit.System, sms.ScopeInput{Statement: "Mail for all staff", ServiceIDs: []int64{f.service}, Units: "IT"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApproveScope(ctx, audit.Actor{Type: "user", ID: f.staff, Name: "agent"}, v1.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveScope(ctx, audit.System, sms.ScopeInput{Statement: "late", BasedOn: 0 + 5}); !errors.Is(err, domainerr.ErrStale) {
			t.Errorf("saving over a version not seen: %v", err)
		}
		v2, err := f.svc.SaveScope(ctx, audit.System, sms.ScopeInput{Statement: "Mail for all staff", Units: "IT and HR", BasedOn: 1})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := f.svc.CurrentScope(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sc.InForce == nil || sc.InForce.Number != 1 || sc.InForce.ApprovedBy != "agent" || sc.Draft == nil || sc.Draft.Number != 2 {
			t.Fatalf("in force and draft: %+v", sc)
		}
		want := map[string]bool{"units changed": true, "service removed: Mail": true}
		for _, c := range v2.Changes {
			delete(want, c)
		}
		if len(want) != 0 {
			t.Errorf("changes of v2 %q miss %v", v2.Changes, want)
		}
		if _, err := f.svc.ApproveScope(ctx, audit.System, 1); err == nil {
			t.Error("approving an approved version again")
		}
		if _, err := f.svc.ApproveScope(ctx, audit.System, 2); err != nil {
			t.Fatal(err)
		}
		if sc, _ := f.svc.CurrentScope(ctx); sc.InForce.Number != 2 || sc.Draft != nil {
			t.Errorf("after approving v2: %+v", sc)
		}
		if _, err := f.svc.ApproveScope(ctx, audit.System, 7); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown version: %v", err)
		}
	})
}

func TestProcessesRACIAndInterfaces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := setup(t, e)
		list, err := f.svc.Processes(ctx, e.DB)
		if err != nil || len(list) != 26 {
			t.Fatalf("%d processes, %v", len(list), err)
		}
		p, err := f.svc.UpdateProcess(ctx, audit.System, "incident", sms.ProcessInput{OwnerID: id(9999)}, 0)
		if fieldOf(err, "owner_id") == "" {
			t.Errorf("unknown owner: %v", err)
		}
		p, err = f.svc.UpdateProcess(ctx, audit.System, "incident", sms.ProcessInput{OwnerID: &f.staff}, 1)
		if err != nil || p.OwnerID == nil || *p.OwnerID != f.staff || p.Version != 2 {
			t.Fatalf("owner: %v %+v", err, p)
		}
		if _, err := f.svc.UpdateProcess(ctx, audit.System, "incident", sms.ProcessInput{OwnerID: id(0)}, 1); !errors.Is(err, domainerr.ErrStale) {
			t.Errorf("stale: %v", err)
		}
		for _, c := range []struct {
			name  string
			lines []sms.RACILine
			field string
		}{
			{"two A", []sms.RACILine{{Activity: "Log", UserID: f.staff, Letter: "A"}, {Activity: "log", GroupID: f.group, Letter: "A"}}, "raci[1].letter"},
			{"no A", []sms.RACILine{{Activity: "Log", UserID: f.staff, Letter: "R"}}, "raci[0].letter"},
			{"both person and group", []sms.RACILine{{Activity: "Log", UserID: f.staff, GroupID: f.group, Letter: "A"}}, "raci[0].user_id"},
			{"nobody", []sms.RACILine{{Activity: "Log", Letter: "A"}}, "raci[0].user_id"},
			{"unknown group", []sms.RACILine{{Activity: "Log", GroupID: 999, Letter: "A"}}, "raci[0].group_id"},
			{"bad letter", []sms.RACILine{{Activity: "Log", UserID: f.staff, Letter: "X"}}, "raci[0].letter"},
		} {
			if _, err := f.svc.SetRACI(ctx, audit.System, "incident", c.lines, 0); fieldOf(err, c.field) == "" {
				t.Errorf("%s: %v, want a message on %s", c.name, err, c.field)
			}
		}
		p, err = f.svc.SetRACI(ctx, audit.System, "incident", []sms.RACILine{{Activity: "Log", UserID: f.staff, Letter: "a"},
			{Activity: "Log", GroupID: f.group, Letter: "R"}}, p.Version)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.RACI) != 2 || p.RACI[0].Letter != "A" || p.RACI[1].Who != "Desk" {
			t.Errorf("raci: %+v", p.RACI)
		}
		if _, err := f.svc.AddInterface(ctx, audit.System, "incident", "incident", "", 0); fieldOf(err, "to") == "" {
			t.Errorf("self-interface: %v", err)
		}
		if _, err := f.svc.AddInterface(ctx, audit.System, "incident", "nothing", "", 0); fieldOf(err, "to") == "" {
			t.Errorf("unknown process: %v", err)
		}
		if _, err := f.svc.AddInterface(ctx, audit.System, "incident", "problem", "recurring incidents", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddInterface(ctx, audit.System, "incident", "problem", "again", 0); fieldOf(err, "to") == "" {
			t.Errorf("duplicate interface: %v", err)
		}
		prb, err := f.svc.Process(ctx, e.DB, "problem")
		if err != nil || len(prb.Interfaces) != 1 || prb.Interfaces[0].FromKey != "incident" {
			t.Errorf("the receiving process shows the interface: %v %+v", err, prb.Interfaces)
		}
	})
}

func TestCompetence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := setup(t, e)
		sk, err := f.svc.SaveSkill(ctx, audit.System, 0, sms.SkillInput{Name: str("ITIL")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveSkill(ctx, audit.System, 0, sms.SkillInput{Name: str("itil")}, 0); fieldOf(err, "name") == "" {
			t.Errorf("duplicate skill name: %v", err)
		}
		net, _ := f.svc.SaveSkill(ctx, audit.System, 0, sms.SkillInput{Name: str("Networking")}, 0)
		if _, err := f.svc.SaveJobRole(ctx, audit.System, 0, sms.RoleInput{Name: str("Agent"), Skills: &[]sms.RoleSkill{{SkillID: sk.ID, Level: 5}}}, 0); fieldOf(err, "skills[0].level") == "" {
			t.Errorf("level 5: %v", err)
		}
		if _, err := f.svc.SaveJobRole(ctx, audit.System, 0, sms.RoleInput{Name: str("Agent"), UserIDs: &[]int64{f.requester}}, 0); fieldOf(err, "user_ids") == "" {
			t.Errorf("requester holding a role: %v", err)
		}
		if _, err := f.svc.SaveJobRole(ctx, audit.System, 0, sms.RoleInput{Name: str("Agent"), Skills: &[]sms.RoleSkill{{SkillID: sk.ID, Level: 3}, {SkillID: net.ID, Level: 2}},
			UserIDs: &[]int64{f.staff}}, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Assess(ctx, audit.System, sms.Assessment{UserID: f.staff, SkillID: sk.ID, Level: 2, AssessedOn: "2027-07-01"}); fieldOf(err, "assessed_on") == "" {
			t.Errorf("assessed in the future: %v", err)
		}
		if err := f.svc.Assess(ctx, audit.System, sms.Assessment{UserID: f.staff, SkillID: sk.ID, Level: 2, AssessedOn: "2027-05-01"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			in    sms.TrainingInput
			field string
		}{
			{"expiry before completion", sms.TrainingInput{UserID: &f.staff, Title: str("x"), CompletedOn: str("2027-01-01"), ExpiresOn: str("2026-01-01")}, "expires_on"},
			{"completed in the future", sms.TrainingInput{UserID: &f.staff, Title: str("x"), CompletedOn: str("2027-08-01")}, "completed_on"},
			{"checked without date", sms.TrainingInput{UserID: &f.staff, Title: str("x"), CompletedOn: str("2027-01-01"), Effectiveness: str("effective")}, "effectiveness_checked_on"},
			{"checked before completion", sms.TrainingInput{UserID: &f.staff, Title: str("x"), CompletedOn: str("2027-01-01"), Effectiveness: str("effective"), EffectivenessCheckedOn: str("2026-12-01")}, "effectiveness_checked_on"},
			{"unknown person", sms.TrainingInput{UserID: id(9999), Title: str("x"), CompletedOn: str("2027-01-01")}, "user_id"},
			{"unknown kind", sms.TrainingInput{UserID: &f.staff, Title: str("x"), Kind: str("seminar"), CompletedOn: str("2027-01-01")}, "kind"},
		} {
			if _, err := f.svc.CreateTraining(ctx, audit.System, c.in); fieldOf(err, c.field) == "" {
				t.Errorf("%s: %v, want a message on %s", c.name, err, c.field)
			}
		}
		cert, err := f.svc.CreateTraining(ctx, audit.System, sms.TrainingInput{UserID: &f.staff, Kind: str("certification"), Title: str("CCNA"), SkillID: &net.ID,
			CompletedOn: str("2024-03-01"), ExpiresOn: str("2027-03-01"), Effectiveness: str("effective"), EffectivenessCheckedOn: str("2024-06-01")})
		if err != nil {
			t.Fatal(err)
		}
		old, err := f.svc.CreateTraining(ctx, audit.System, sms.TrainingInput{UserID: &f.staff, Title: str("ITIL 4"), CompletedOn: str("2027-01-15")})
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.Competence(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.People) != 1 || len(m.Skills) != 2 {
			t.Fatalf("matrix: %+v", m)
		}
		got := map[string]int64{}
		for _, g := range m.Gaps {
			got[g.Kind] = g.SkillID + g.TrainingID*1000
		}
		want := map[string]int64{"below": sk.ID, "missing": net.ID, "expired": net.ID + cert.ID*1000, "check_overdue": old.ID * 1000}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("gap %s: %d, want %d (all: %+v)", k, got[k], v, m.Gaps)
			}
		}
		if _, err := f.svc.UpdateTraining(ctx, audit.System, old.ID, sms.TrainingInput{Effectiveness: str("effective"), EffectivenessCheckedOn: str("2027-05-01")}, old.Version); err != nil {
			t.Fatal(err)
		}
		m, _ = f.svc.Competence(ctx)
		for _, g := range m.Gaps {
			if g.Kind == "check_overdue" {
				t.Errorf("checked training still a gap: %+v", g)
			}
		}
	})
}
