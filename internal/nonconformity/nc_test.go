package nonconformity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/nonconformity"
	"steward/internal/store/storetest"
)

type world struct {
	svc                   *nonconformity.Service
	admin, agent, auditor *auth.Principal
	now                   time.Time
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{svc: nonconformity.NewService(e.DB), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	w.svc.Now = func() time.Time { return w.now }
	mk := func(email string, role auth.Role) *auth.Principal {
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: "long-enough-password"})
		if err != nil {
			t.Fatal(err)
		}
		return &auth.Principal{UserID: u.ID, Email: email, Name: u.Name, Role: role}
	}
	w.admin, w.agent, w.auditor = mk("ada@x.test", auth.Admin), mk("sam@x.test", auth.Agent), mk("otto@x.test", auth.Auditor)
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

func TestANonconformityClosesOnlyWithItsActionsDoneAndCheckedEffective(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		n, err := w.svc.Create(ctx, w.admin, nonconformity.NewNC{Title: "Backups not tested", Clause: "8.7.2", Severity: "major",
			OwnerID: &w.agent.UserID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.Number != nonconformity.FormatNumber(n.ID) || !strings.HasPrefix(n.Number, "NC-00000") || n.RaisedOn != "2026-03-02" {
			t.Fatalf("raised %+v", n)
		}
		// An action needs an owner.
		_, err = w.svc.AddAction(ctx, w.admin, n.ID, nonconformity.NewAction{Title: "Test a restore", DueOn: "2026-03-20"})
		fieldErr(t, err, "owner_id", "is required")
		_, err = w.svc.AddAction(ctx, w.admin, n.ID, nonconformity.NewAction{Title: "Test a restore", OwnerID: &w.agent.UserID, DueOn: "20.3.2026"})
		fieldErr(t, err, "due_on", "must be a date")
		a1, err := w.svc.AddAction(ctx, w.admin, n.ID, nonconformity.NewAction{Title: "Test a restore", OwnerID: &w.agent.UserID, DueOn: "2026-03-20"})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := w.svc.AddAction(ctx, w.admin, n.ID, nonconformity.NewAction{Title: "Schedule restore tests", OwnerID: &w.admin.UserID, DueOn: "2026-03-01"})
		if err != nil || !a2.Overdue {
			t.Fatalf("overdue action: %v %+v", err, a2)
		}
		// Corrective action needs a root cause.
		_, err = w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{State: ptr(nonconformity.InAction)}, 0)
		fieldErr(t, err, "root_cause", "is required")
		n, err = w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{State: ptr(nonconformity.InAction), RootCause: ptr("Nobody owned restore tests.")}, 0)
		if err != nil || n.State != nonconformity.InAction || n.OverdueActions != 1 || !n.Overdue("2026-03-02") {
			t.Fatalf("action: %v %+v", err, n)
		}
		// Closing with actions open names them.
		_, err = w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{Effectiveness: ptr("effective")}, 0)
		fieldErr(t, err, "state", "2 action(s) are open: #")
		if !strings.Contains(err.Error(), "Test a restore (sam, due 2026-03-20)") {
			t.Fatalf("message %v", err)
		}
		_, err = w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{State: ptr(nonconformity.Closed)}, 0)
		fieldErr(t, err, "state", "are open")
		// The owner marks their action done; someone else's they may not.
		if _, err := w.svc.UpdateAction(ctx, w.agent, a2.ID, nonconformity.ActionPatch{Status: ptr("done")}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("not the owner: %v", err)
		}
		// The owner may not cancel their own action and so settle it.
		if _, err := w.svc.UpdateAction(ctx, w.agent, a1.ID, nonconformity.ActionPatch{Status: ptr("cancelled")}, 0); err == nil {
			t.Fatal("the owner cancelled a corrective action")
		}
		w.now = w.now.AddDate(0, 0, 3)
		if _, err := w.svc.UpdateAction(ctx, w.agent, a1.ID, nonconformity.ActionPatch{Status: ptr("done")}, a1.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.UpdateAction(ctx, w.admin, a2.ID, nonconformity.ActionPatch{Status: ptr("done")}, 0); err != nil {
			t.Fatal(err)
		}
		// The last action done moves it to verifying, checked 30 days on.
		n, _ = w.svc.Get(ctx, w.auditor, n.ID)
		if n.State != nonconformity.Verifying || n.EffectivenessDue == nil || *n.EffectivenessDue != "2026-04-04" {
			t.Fatalf("verifying: %+v %v", n.State, n.EffectivenessDue)
		}
		// Not effective sends it back to action.
		n, err = w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{Effectiveness: ptr("not_effective")}, n.Version)
		if err != nil || n.State != nonconformity.InAction || n.Effectiveness == nil || *n.Effectiveness != "not_effective" {
			t.Fatalf("not effective: %v %+v", err, n)
		}
		n, err = w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{State: ptr(nonconformity.Verifying)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.now = w.now.AddDate(0, 0, 30)
		n, err = w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{Effectiveness: ptr("effective")}, n.Version)
		if err != nil || n.State != nonconformity.Closed || n.DaysToClose == nil || *n.DaysToClose != 33 {
			t.Fatalf("closed: %v %+v", err, n)
		}
		if _, err := w.svc.Update(ctx, w.admin, n.ID, nonconformity.Patch{Title: ptr("x")}, 0); err == nil {
			t.Fatal("changed a closed NC")
		}
		st, err := w.svc.Stats(ctx, w.auditor)
		if err != nil || st.Closed != 1 || st.MeanDaysToClose == nil || *st.MeanDaysToClose != 33 {
			t.Fatalf("stats %v %+v", err, st)
		}
	})
}

func TestNonconformityInputIsChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		_, err := w.svc.Create(ctx, w.admin, nonconformity.NewNC{Title: "Slow", Source: "incident"}, nil)
		fieldErr(t, err, "source_ref", "is required for an incident")
		_, err = w.svc.Create(ctx, w.admin, nonconformity.NewNC{Title: "Slow", Source: "incident", SourceRef: "INC-000042"}, nil)
		fieldErr(t, err, "source_ref", "there is no incident INC-000042")
		_, err = w.svc.Create(ctx, w.admin, nonconformity.NewNC{Title: "Slow", Source: "gossip", Severity: "huge",
			RaisedOn: "2026-03-02", DueOn: ptr("2026-02-01")}, nil)
		fieldErr(t, err, "source", "must be one of")
		fieldErr(t, err, "severity", "minor or major")
		fieldErr(t, err, "due_on", "must not be before")
		if _, err := w.svc.Create(ctx, w.auditor, nonconformity.NewNC{Title: "x"}, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("auditor raises by hand: %v", err)
		}
	})
}
