package change_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/change"
	"steward/internal/domainerr"
	"steward/internal/store/storetest"
)

// Scheduling a change whose window clashes with another change on the
// same CI is refused with the conflicts listed, and goes through with an
// acknowledgement that the journal keeps; moving a scheduled change's
// window asks again.
func TestSchedulingWithConflictsNeedsAcknowledgement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		start, end := w.start, w.start.Add(2*time.Hour)
		first := w.create(t, w.planner, change.NewChange{Title: "Firmware", Type: change.Normal, CIIDs: []int64{w.ci1},
			PlannedStart: &start, PlannedEnd: &end})
		second := w.toApproval(t, w.planner, 0) // slot 0: the same window on ci1
		if _, err := w.svc.Decide(ctx, w.member1, second.ID, "approve", "ok"); err != nil {
			t.Fatal(err)
		}
		cs, err := w.svc.ConflictsOf(ctx, w.planner, second.ID)
		if err != nil || len(cs) != 1 || cs[0].Change != first.Number {
			t.Fatalf("conflicts %+v (%v), want the firmware change", cs, err)
		}
		_, err = w.svc.Update(ctx, w.planner, second.ID, change.Patch{State: ptr(change.Scheduled)}, 0)
		var ce *change.ConflictsError
		if !errors.As(err, &ce) || len(ce.Items) != 1 || !errors.As(err, new(*domainerr.Conflict)) {
			t.Fatalf("scheduling over a conflict: %v, want 409 listing it", err)
		}
		if got, _ := w.svc.Get(ctx, w.planner, second.ID); got.State != change.Approval {
			t.Fatalf("a refused schedule left the change %s", got.State)
		}
		got := w.update(t, w.planner, second.ID, change.Patch{State: ptr(change.Scheduled), AcknowledgeConflicts: ptr("Firmware is done by 22:30; agreed with its owner")})
		if got.State != change.Scheduled {
			t.Fatalf("acknowledged, the change is %s", got.State)
		}
		j, _ := w.svc.Journal(ctx, w.planner, second.ID)
		if e := j[len(j)-1]; e.Kind != "conflicts" || !strings.Contains(e.Body, "agreed with its owner") || !strings.Contains(e.Body, first.Number) {
			t.Fatalf("the journal ends with %+v, want the acknowledgement and the conflict", e)
		}
		// Moving the window within the clash asks again; moving it clear does not.
		later := end.Add(30 * time.Minute)
		pt := change.Patch{}
		pt.PlannedEnd.Set, pt.PlannedEnd.V = true, later
		if _, err := w.svc.Update(ctx, w.planner, second.ID, pt, 0); !errors.As(err, &ce) {
			t.Fatalf("moving a scheduled change within its conflicts: %v, want 409", err)
		}
		pt.PlannedStart.Set, pt.PlannedStart.V = true, end // half-open: starts as the other ends
		pt.PlannedEnd.V = end.Add(time.Hour)
		if got := w.update(t, w.planner, second.ID, pt); !got.PlannedStart.Equal(end) {
			t.Fatalf("the window did not move: %v", got.PlannedStart)
		}
	})
}

func TestTemplatesAndCreation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		draftTpl := w.template(t, "Unreviewed", false)
		_, err := w.svc.Create(ctx, w.planner, change.NewChange{Title: "x", TemplateID: &draftTpl.ID}, nil)
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields["template_id"], "not approved") {
			t.Fatalf("a change from an unapproved template: %v", err)
		}
		if _, err := w.svc.Create(ctx, w.planner, change.NewChange{Title: "x", Type: change.Standard}, nil); !errors.As(err, &inv) || !inv.Has("template_id") {
			t.Fatalf("a standard change without a template: %v", err)
		}
		start := w.start
		if _, err := w.svc.Create(ctx, w.planner, change.NewChange{Title: "x", Type: change.Normal, PlannedStart: &start, PlannedEnd: &start}, nil); !errors.As(err, &inv) || !inv.Has("planned_end") {
			t.Fatalf("an empty window: %v", err)
		}
		if _, err := w.svc.Create(ctx, w.planner, change.NewChange{Title: "x", Type: "big"}, nil); !errors.As(err, &inv) || !inv.Has("type") {
			t.Fatalf("an unknown type: %v", err)
		}
		if _, err := w.svc.Create(ctx, w.planner, change.NewChange{Title: "x", Type: change.Normal, CIIDs: []int64{99999}}, nil); !errors.As(err, &inv) || !inv.Has("ci_ids") {
			t.Fatalf("a missing CI: %v", err)
		}
		if _, err := w.svc.Create(ctx, w.auditor, change.NewChange{Title: "x", Type: change.Normal}, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an auditor raising a change: %v", err)
		}
		if p, _ := w.svc.List(ctx, w.planner, change.Filter{}); len(p.Items) != 0 {
			t.Fatalf("refused creations left %d changes", len(p.Items))
		}
		tpl := w.template(t, "Restart the web tier", true)
		c := w.create(t, w.planner, change.NewChange{Title: "Restart", TemplateID: &tpl.ID, CIIDs: []int64{w.ci1}})
		if c.Type != change.Standard || !c.Approved() || c.Risk != "low" || c.BackoutPlan != "Undo it" || c.Impact == nil {
			t.Fatalf("a change from a template: %+v", c)
		}
		// Changing an approved template's plan withdraws its approval.
		tpl2, err := w.svc.SaveTemplate(ctx, w.admin, tpl.ID, change.TemplateInput{TestPlan: ptr("Check more")}, 0)
		if err != nil || tpl2.Approved {
			t.Fatalf("a changed plan left the template approved: %+v %v", tpl2, err)
		}
		if _, err := w.svc.SaveTemplate(ctx, w.planner, tpl.ID, change.TemplateInput{Approved: ptr(true)}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an agent approving a template: %v", err)
		}
	})
}
