package review_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/nonconformity"
	"steward/internal/review"
	"steward/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func fieldErr(t *testing.T, err error, field, contains string) {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) || !inv.Has(field) || !strings.Contains(inv.Fields[field], contains) {
		t.Fatalf("got %v, want a message on %s containing %q", err, field, contains)
	}
}

func TestAReviewIsHeldOnItsCompiledInputs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		svc := review.NewService(e.DB)
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "ceo@x.test", Name: "Cleo CEO", Role: auth.Admin, Password: "long-enough-password"})
		if err != nil {
			t.Fatal(err)
		}
		p := &auth.Principal{UserID: u.ID, Name: u.Name, Role: auth.Admin}
		_, err = svc.Save(ctx, p, 0, review.Input{Title: ptr("Q1 review"), PlannedOn: ptr("2026-04-10"),
			PeriodFrom: ptr("2026-03-31"), PeriodTo: ptr("2026-01-01")}, 0)
		fieldErr(t, err, "period_to", "must be after")
		r, err := svc.Save(ctx, p, 0, review.Input{Title: ptr("Q1 review"), PlannedOn: ptr("2026-04-10"), ChairID: &u.ID,
			PeriodFrom: ptr("2026-01-01"), PeriodTo: ptr("2026-03-31"), Attendees: &[]review.Attendee{{UserID: u.ID, Role: "Chief executive"}}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Attendees) != 1 || r.Attendees[0].Role != "Chief executive" {
			t.Fatalf("attendees %+v", r.Attendees)
		}
		_, err = svc.Save(ctx, p, r.ID, review.Input{State: ptr("held"), HeldOn: ptr("2026-04-10")}, 0)
		fieldErr(t, err, "state", "compile the inputs first")
		_, err = svc.AddAction(ctx, p, r.ID, nonconformity.NewAction{Title: "Budget for a second site", DueOn: "2026-06-30"})
		fieldErr(t, err, "owner_id", "is required")
		r, err = svc.Compile(ctx, p, r.ID)
		if err != nil || r.Inputs == nil || r.InputsCompiledAt == nil {
			t.Fatalf("compile: %v %+v", err, r)
		}
		if !r.Inputs.Customers.NoData || r.Inputs.Customers.Note != review.CustomerNote || len(r.Inputs.Risks.Bands) != 4 {
			t.Fatalf("pack %+v", r.Inputs)
		}
		_, err = svc.Save(ctx, p, r.ID, review.Input{State: ptr("held")}, 0)
		fieldErr(t, err, "held_on", "is required")
		r, err = svc.Save(ctx, p, r.ID, review.Input{State: ptr("held"), HeldOn: ptr("2026-04-10"), Decisions: ptr("Fund restore tests.")}, r.Version)
		if err != nil || r.State != review.Held {
			t.Fatalf("held: %v %+v", err, r)
		}
		if _, err := svc.Compile(ctx, p, r.ID); err == nil {
			t.Fatal("recompiled a held review")
		}
		a, err := svc.AddAction(ctx, p, r.ID, nonconformity.NewAction{Title: "Budget for a second site", OwnerID: &u.ID, DueOn: "2026-06-30"})
		if err != nil || a.SourceURL == "" || a.SourceLabel != "Q1 review" {
			t.Fatalf("action %v %+v", err, a)
		}
		if _, err := svc.Save(ctx, &auth.Principal{UserID: u.ID, Role: auth.Auditor}, r.ID, review.Input{Minutes: ptr("x")}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("auditor edits: %v", err)
		}
	})
}
