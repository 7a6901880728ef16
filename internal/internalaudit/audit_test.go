package internalaudit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/internalaudit"
	"steward/internal/nonconformity"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

type world struct {
	e                     storetest.Engine
	svc                   *internalaudit.Service
	admin, auditor, agent *auth.Principal
	incidentP, changeP    int64
	prog                  int64
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{e: e, svc: internalaudit.NewService(e.DB, nonconformity.NewService(e.DB))}
	mk := func(email string, role auth.Role) *auth.Principal {
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: "long-enough-password"})
		if err != nil {
			t.Fatal(err)
		}
		return &auth.Principal{UserID: u.ID, Email: email, Name: u.Name, Role: role}
	}
	w.admin, w.auditor, w.agent = mk("admin@x.test", auth.Admin), mk("otto@x.test", auth.Auditor), mk("alex@x.test", auth.Agent)
	for key, dst := range map[string]*int64{"incident": &w.incidentP, "change": &w.changeP} {
		if err := e.DB.QueryRow(ctx, "SELECT id FROM processes WHERE key = ?", key).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	pr, err := w.svc.SaveProgramme(ctx, w.admin, 0, internalaudit.ProgrammeInput{Name: ptr("Programme 2026"),
		PeriodStart: ptr("2026-01-01"), PeriodEnd: ptr("2026-12-31")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.prog = pr.ID
	return w
}

func ptr[T any](v T) *T { return &v }

func fieldErr(t *testing.T, err error, field, contains string) {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) || !inv.Has(field) || !strings.Contains(inv.Fields[field], contains) {
		t.Fatalf("got %v, want a message on %s containing %q", err, field, contains)
	}
}

func (w *world) plan(t *testing.T, procs []int64, clauses []string, lead int64, auditors ...int64) (internalaudit.Audit, error) {
	t.Helper()
	return w.svc.Save(context.Background(), w.admin, 0, internalaudit.AuditInput{ProgrammeID: &w.prog, Title: ptr("Incident and change"),
		ProcessIDs: &procs, Clauses: &clauses, LeadID: &lead, AuditorIDs: &auditors, PlannedOn: ptr("2026-06-10")}, 0)
}

func TestAuditorsMayNotAuditTheirOwnProcess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		if _, err := e.DB.Exec(ctx, "UPDATE processes SET owner_id = ? WHERE id = ?", w.agent.UserID, w.incidentP); err != nil {
			t.Fatal(err)
		}
		_, err := w.plan(t, []int64{w.incidentP}, nil, w.auditor.UserID, w.agent.UserID)
		fieldErr(t, err, "auditor_ids", "alex owns the process Incident management")
		// Accountable in the change process's RACI, as lead.
		if _, err := e.DB.Exec(ctx, "INSERT INTO process_raci (process_id, activity, user_id, letter) VALUES (?, 'Approve changes', ?, 'A')",
			w.changeP, w.auditor.UserID); err != nil {
			t.Fatal(err)
		}
		_, err = w.plan(t, []int64{w.changeP}, nil, w.auditor.UserID)
		fieldErr(t, err, "lead_id", "otto is Accountable in the RACI of the process Change management")
		// Consulted is no bar, and neither is owning a process out of scope.
		if _, err := e.DB.Exec(ctx, "UPDATE process_raci SET letter = 'C'"); err != nil {
			t.Fatal(err)
		}
		a, err := w.plan(t, []int64{w.changeP}, nil, w.auditor.UserID, w.agent.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Auditors) != 1 || a.Auditors[0].ID != w.agent.UserID || a.State != internalaudit.Planned {
			t.Fatalf("planned audit: %+v", a)
		}
		// Changing the plan later is checked the same way.
		_, err = w.svc.Save(ctx, w.admin, a.ID, internalaudit.AuditInput{ProcessIDs: &[]int64{w.changeP, w.incidentP}}, a.Version)
		fieldErr(t, err, "auditor_ids", "Incident management")
	})
}

func TestStartingAnAuditDrawsItsChecklistFromTheCatalogue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		// The processes' own clauses plus 9.2, and all of clause 10.
		a, err := w.plan(t, []int64{w.incidentP, w.changeP}, []string{"9.2", "10"}, w.auditor.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Start(ctx, w.agent, a.ID, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an agent starts the audit: %v", err)
		}
		a, err = w.svc.Start(ctx, w.auditor, a.ID, a.Version)
		if err != nil {
			t.Fatal(err)
		}
		items, err := w.svc.Items(ctx, w.auditor, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Clause)
			if it.Title == "" || it.Question == "" || it.Result != "not_assessed" {
				t.Errorf("line %+v", it)
			}
		}
		if strings.Join(got, " ") != "8.5.1 8.6.1 9.2 10.1 10.2" {
			t.Fatalf("checklist %v", got)
		}
		if a.State != internalaudit.InProgress || a.Lines != 5 {
			t.Fatalf("started: %+v", a)
		}
		// A second start is refused.
		if _, err := w.svc.Start(ctx, w.auditor, a.ID, 0); err == nil {
			t.Fatal("started twice")
		}
		// The whole standard is every leaf clause.
		b, err := w.plan(t, nil, []string{"all"}, w.auditor.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = w.svc.Start(ctx, w.auditor, b.ID, 0); err != nil || b.Lines < 40 {
			t.Fatalf("whole standard: %v %d lines", err, b.Lines)
		}
		// Nothing in scope is an error, and an unknown clause too.
		_, err = w.plan(t, nil, []string{"11.4"}, w.auditor.UserID)
		fieldErr(t, err, "clauses", "11.4 is not a clause")
		c, err := w.plan(t, nil, nil, w.auditor.UserID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Start(ctx, w.auditor, c.ID, 0)
		fieldErr(t, err, "clauses", "nothing in scope")
	})
}

func TestAnAuditIsReportedOnceEveryLineIsAssessed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		inc := insertIncident(t, e)
		a, err := w.plan(t, []int64{w.incidentP, w.changeP}, nil, w.auditor.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if a, err = w.svc.Start(ctx, w.auditor, a.ID, 0); err != nil {
			t.Fatal(err)
		}
		items, _ := w.svc.Items(ctx, w.auditor, a.ID)
		first, second := items[0], items[1]
		_, err = w.svc.RecordItem(ctx, w.auditor, a.ID, first.ID, internalaudit.ItemInput{Result: ptr("conforming"),
			Evidence: &[]string{"INC-999999"}})
		fieldErr(t, err, "evidence", "there is no incident INC-999999")
		_, err = w.svc.RecordItem(ctx, w.auditor, a.ID, first.ID, internalaudit.ItemInput{Result: ptr("conforming"),
			Evidence: &[]string{"https://evil.example/x", "javascript:alert(1)"}})
		fieldErr(t, err, "evidence", "javascript:alert(1)")
		it, err := w.svc.RecordItem(ctx, w.auditor, a.ID, first.ID, internalaudit.ItemInput{Result: ptr("conforming"),
			Evidence: &[]string{inc, "/changes/overview"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(it.Evidence) != 2 || it.Evidence[0].URL != "/incidents/"+inc || it.Evidence[1].URL != "/changes/overview" {
			t.Fatalf("evidence %+v", it.Evidence)
		}
		_, err = w.svc.ReportAudit(ctx, w.auditor, a.ID, nil, 0)
		fieldErr(t, err, "items", "1 line(s) are not assessed yet: "+second.Clause)
		// A minor NC needs its finding and raises an NC at once.
		_, err = w.svc.RecordItem(ctx, w.auditor, a.ID, second.ID, internalaudit.ItemInput{Result: ptr("minor_nc")})
		fieldErr(t, err, "notes", "say what was found")
		it, err = w.svc.RecordItem(ctx, w.auditor, a.ID, second.ID, internalaudit.ItemInput{Result: ptr("minor_nc"),
			Notes: ptr("Two emergency changes had no review.")})
		if err != nil || it.NC == "" {
			t.Fatalf("raised: %v %+v", err, it)
		}
		// Recording it again raises no second NC.
		if it2, err := w.svc.RecordItem(ctx, w.auditor, a.ID, second.ID, internalaudit.ItemInput{Notes: ptr("Two emergency changes had no review at all.")}); err != nil || it2.NC != it.NC {
			t.Fatalf("again: %v %+v", err, it2)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM nonconformities WHERE source = 'audit' AND severity = 'minor'"); n != 1 {
			t.Fatalf("%d nonconformities", n)
		}
		a, err = w.svc.ReportAudit(ctx, w.auditor, a.ID, ptr("Change reviews lag."), 0)
		if err != nil || a.State != internalaudit.Reported || a.ReportedAt == nil {
			t.Fatalf("report: %v %+v", err, a)
		}
		rep, err := w.svc.Report(ctx, w.agent, a.ID)
		if err != nil || len(rep.NCs) != 1 || rep.Counts[1].N != 1 || rep.Counts[2].N != 1 {
			t.Fatalf("report: %v %+v", err, rep.Counts)
		}
		// Lines no longer change once reported.
		if _, err := w.svc.RecordItem(ctx, w.auditor, a.ID, first.ID, internalaudit.ItemInput{Result: ptr("observation")}); err == nil {
			t.Fatal("changed a reported audit")
		}
		cov, err := w.svc.Coverage(ctx, w.agent)
		if err != nil {
			t.Fatal(err)
		}
		covered := 0
		for _, c := range cov {
			if c.Covered {
				covered++
				if c.Process.ID != w.incidentP && c.Process.ID != w.changeP {
					t.Errorf("covered %s", c.Process.Name)
				}
			}
		}
		if covered != 2 {
			t.Fatalf("%d processes covered", covered)
		}
	})
}

func TestProgrammePeriodInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		_, err := w.svc.SaveProgramme(context.Background(), w.admin, 0, internalaudit.ProgrammeInput{Name: ptr("Backwards"),
			PeriodStart: ptr("2026-12-31"), PeriodEnd: ptr("2026-01-01")}, 0)
		fieldErr(t, err, "period_end", "must be after")
		_, err = w.svc.SaveProgramme(context.Background(), w.auditor, 0, internalaudit.ProgrammeInput{Name: ptr("x")}, 0)
		if !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("auditor plans a programme: %v", err)
		}
	})
}

func insertIncident(t *testing.T, e storetest.Engine) string {
	t.Helper()
	now := store.TS(time.Now())
	var id int64
	ctx := context.Background()
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, created_at, updated_at)
		VALUES ('Mail down', 'high', 'high', 1, 'new', ?, ?) RETURNING id`, now, now).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return "INC-" + strings.TrimPrefix(nonconformity.FormatNumber(id), "NC-")
}
