package change_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// toApproval raises a normal change as p and sends it to its board.
func (w *world) toApproval(t *testing.T, p *auth.Principal, slot int) change.Change {
	t.Helper()
	c := w.create(t, p, change.NewChange{Title: "Upgrade the database", Type: change.Normal})
	ctx := context.Background()
	for _, to := range []string{change.Assessment, change.Approval} {
		pt := change.Patch{State: ptr(to)}
		mv, _ := change.Machine.Move(map[string]string{change.Assessment: change.Draft, change.Approval: change.Assessment}[to], to)
		for _, f := range mv.Requires {
			moveFields[f](w, &pt, slot)
		}
		var err error
		if c, err = w.svc.Update(ctx, p, c.ID, pt, 0); err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
	}
	return c
}

func TestBoardRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		// The planner is on the board but raised the changes: the board is
		// member1, member2 and member3.
		for i, tc := range []struct {
			rule      string
			decisions []string // member1, member2, member3 in turn
			want      string   // approved, rejected or pending after all of them
			decided   int      // how many decisions it takes
		}{
			{"any", []string{"approve"}, "approved", 1},
			{"any", []string{"reject", "reject", "reject"}, "rejected", 3},
			{"any", []string{"reject", "approve"}, "approved", 2},
			{"all", []string{"approve", "approve", "approve"}, "approved", 3},
			{"all", []string{"approve", "reject"}, "rejected", 2},
			{"majority", []string{"approve", "approve"}, "approved", 2},
			{"majority", []string{"reject", "approve", "reject"}, "rejected", 3},
		} {
			t.Run(tc.rule+"/"+strings.Join(tc.decisions, ","), func(t *testing.T) {
				w.policy(t, "normal", "", tc.rule)
				c := w.toApproval(t, w.planner, 10+i)
				a, err := w.svc.ApprovalsOf(ctx, w.planner, c.ID)
				if err != nil || len(a.Approvers) != 3 || a.Rule != tc.rule {
					t.Fatalf("the board is %+v (%v), want the three other members under %s", a, err, tc.rule)
				}
				members := []*auth.Principal{w.member1, w.member2, w.member3}
				for j, d := range tc.decisions {
					if c.State != change.Approval || c.Approved() {
						t.Fatalf("decision %d came after the board had decided", j+1)
					}
					if c, err = w.svc.Decide(ctx, members[j], c.ID, d, "because"); err != nil {
						t.Fatal(err)
					}
				}
				got := "pending"
				switch {
				case c.State == change.Rejected:
					got = "rejected"
				case c.Approved():
					got = "approved"
				}
				if got != tc.want {
					t.Fatalf("after %v under %s the change is %s, want %s", tc.decisions, tc.rule, got, tc.want)
				}
				j, _ := w.svc.Journal(ctx, w.planner, c.ID)
				n := 0
				for _, e := range j {
					if e.Kind == "approval" && strings.HasSuffix(e.Body, ": because") {
						n++
					}
				}
				if n != tc.decided {
					t.Fatalf("the journal holds %d decisions with their comment, want %d", n, tc.decided)
				}
				// Each decision reaches the activity feed, as a request's does.
				var fed int
				if err := e.DB.QueryRow(ctx, `SELECT COUNT(*) FROM activity WHERE kind = 'approval.decided' AND entity = 'change' AND entity_id = ?`, c.ID).Scan(&fed); err != nil || fed != tc.decided {
					t.Fatalf("the feed holds %d decisions (%v), want %d", fed, err, tc.decided)
				}
			})
		}
	})
}

func TestApprovalRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.policy(t, "normal", "", "all")
		// member1 raises it: they sit on the board but may not decide.
		c := w.toApproval(t, w.member1, 1)
		_, err := w.svc.Decide(ctx, w.member1, c.ID, "approve", "mine")
		var refused *domainerr.Refused
		if !errors.As(err, &refused) {
			t.Fatalf("the requester approving their own change: %v, want a refusal", err)
		}
		if _, err := w.svc.Decide(ctx, w.outsider, c.ID, "approve", ""); !errors.As(err, &refused) {
			t.Fatalf("someone not on the board approving: %v, want a refusal", err)
		}
		if _, err := w.svc.Decide(ctx, w.auditor, c.ID, "approve", ""); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an auditor approving: %v, want forbidden", err)
		}
		if _, err := w.svc.Decide(ctx, w.member2, c.ID, "approve", "ok"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Decide(ctx, w.member2, c.ID, "approve", "again"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("the same approver twice: %v, want a conflict", err)
		}
		if _, err := w.svc.Decide(ctx, w.member3, c.ID, "reject", ""); !errors.As(err, new(*domainerr.Invalid)) {
			t.Fatalf("a rejection without a comment: %v, want the comment asked for", err)
		}
		if _, err := w.svc.Decide(ctx, w.member3, c.ID, "maybe", "hm"); !errors.As(err, new(*domainerr.Invalid)) {
			t.Fatalf("an unknown decision: %v", err)
		}
		a, _ := w.svc.ApprovalsOf(ctx, w.planner, c.ID)
		if len(a.Decisions) != 1 {
			t.Fatalf("the refusals left %d decisions, want the one made", len(a.Decisions))
		}
		got, _ := w.svc.Get(ctx, w.planner, c.ID)
		if got.State != change.Approval || got.Approved() {
			t.Fatalf("after the refusals the change is %s (approved %v)", got.State, got.Approved())
		}
	})
}

// Implementing a change that was not approved is a 409 that changes
// nothing, whatever else the same request asks.
func TestImplementingNeedsApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		c := w.toApproval(t, w.planner, 1)
		for _, from := range []string{change.Approval} {
			_, err := w.svc.Update(ctx, w.planner, c.ID, change.Patch{State: ptr(change.Implementing), Title: ptr("Sneaked in")}, 0)
			var conflict *domainerr.Conflict
			if !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "not been approved") {
				t.Fatalf("implementing from %s without approval: %v, want 409", from, err)
			}
		}
		draft := w.create(t, w.planner, change.NewChange{Title: "Straight to work", Type: change.Emergency})
		if _, err := w.svc.Update(ctx, w.planner, draft.ID, change.Patch{State: ptr(change.Implementing)}, 0); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("implementing a draft: %v, want 409", err)
		}
		for _, id := range []int64{c.ID, draft.ID} {
			got, _ := w.svc.Get(ctx, w.planner, id)
			j, _ := w.svc.Journal(ctx, w.planner, id)
			if got.State == change.Implementing || got.Title == "Sneaked in" || got.ActualStart != nil {
				t.Fatalf("a refused implementation changed %s: %+v", got.Number, got)
			}
			for _, e := range j {
				for _, f := range e.Changes {
					if f.New == change.Implementing {
						t.Fatal("the journal records an implementation that was refused")
					}
				}
			}
		}
	})
}

// Failed, backed-out and emergency changes close only with a
// post-implementation review; a successful normal one closes without.
func TestReviewRequiredBeforeClosure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.policy(t, "emergency", "", "any")
		for i, tc := range []struct {
			typ, outcome string
			needs        bool
		}{
			{change.Normal, change.Failed, true},
			{change.Normal, change.BackedOut, true},
			{change.Emergency, change.Successful, true},
			{change.Normal, change.Successful, false},
			{change.Normal, change.SuccessfulWithIssues, false},
		} {
			t.Run(tc.typ+"/"+tc.outcome, func(t *testing.T) {
				c := w.create(t, w.planner, change.NewChange{Title: "Review " + tc.outcome, Type: tc.typ})
				w.reach(t, c, change.Implementing, 100+i)
				w.update(t, w.planner, c.ID, change.Patch{State: ptr(change.Review), Outcome: ptr(tc.outcome)})
				_, err := w.svc.Update(ctx, w.planner, c.ID, change.Patch{State: ptr(change.Closed)}, 0)
				var inv *domainerr.Invalid
				if tc.needs != (errors.As(err, &inv) && inv.Has("review")) {
					t.Fatalf("closing a %s %s change without a review: %v", tc.outcome, tc.typ, err)
				}
				if tc.needs {
					got := w.update(t, w.planner, c.ID, change.Patch{State: ptr(change.Closed), Review: ptr("Root cause found; runbook fixed.")})
					if got.State != change.Closed || got.ClosedAt == nil {
						t.Fatalf("with its review the change is %s", got.State)
					}
				}
			})
		}
	})
}

// A change taken back from its board for rework and put to it again keeps
// how the board decided the first time: the API and page show the earlier
// round with its decisions, but only the new round's decisions count, and
// an approval given before the rework no longer lets the change be
// scheduled.
func TestReapprovalKeepsEarlierRounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.policy(t, "normal", "", "majority")
		c := w.toApproval(t, w.planner, 1)
		if _, err := w.svc.Decide(ctx, w.member1, c.ID, "reject", "The backout plan is thin"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Decide(ctx, w.member2, c.ID, "approve", "Fine"); err != nil {
			t.Fatal(err)
		}
		c = w.update(t, w.planner, c.ID, change.Patch{State: ptr(change.Assessment)})
		if c.Approved() {
			t.Fatal("a change taken back for rework is still approved")
		}
		c = w.update(t, w.planner, c.ID, change.Patch{BackoutPlan: ptr("Restore the snapshot taken before the upgrade")})
		c = w.update(t, w.planner, c.ID, change.Patch{State: ptr(change.Approval)})

		a, err := w.svc.ApprovalsOf(ctx, w.planner, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Round != 2 || len(a.Approvers) != 3 || len(a.Decisions) != 0 || a.Needed != 2 {
			t.Fatalf("the second round is %+v, want three approvers and no decision yet", a)
		}
		if len(a.Earlier) != 1 {
			t.Fatalf("earlier rounds %+v, want the first", a.Earlier)
		}
		first := a.Earlier[0]
		if first.Round != 1 || len(first.Approvers) != 3 || len(first.Decisions) != 2 ||
			first.Decisions[0].UserID != w.member1.UserID || first.Decisions[0].Decision != "reject" ||
			first.Decisions[0].Comment != "The backout plan is thin" || first.Decisions[1].Decision != "approve" ||
			first.SupersededAt.Before(first.Decisions[1].CreatedAt) {
			t.Fatalf("the first round is %+v", first)
		}
		// member1 decided in the first round and decides again in the
		// second; member2's approval of the first round does not count.
		if !a.CanDecide(w.member1, c) || !a.CanDecide(w.member2, c) {
			t.Fatal("the first round's deciders may not decide the second")
		}
		if c, err = w.svc.Decide(ctx, w.member1, c.ID, "approve", "Better now"); err != nil || c.Approved() {
			t.Fatalf("one approval of three under majority: approved %v (%v)", c.Approved(), err)
		}
		if c, err = w.svc.Decide(ctx, w.member3, c.ID, "approve", ""); err != nil || !c.Approved() {
			t.Fatalf("two approvals of three under majority: approved %v (%v)", c.Approved(), err)
		}
		a, _ = w.svc.ApprovalsOf(ctx, w.planner, c.ID)
		if len(a.Decisions) != 2 || len(a.Earlier) != 1 || len(a.Earlier[0].Decisions) != 2 {
			t.Fatalf("after the second round: %+v", a)
		}
		// Taken back once more after its approval, it may not be scheduled
		// without the board.
		c = w.update(t, w.planner, c.ID, change.Patch{State: ptr(change.Assessment)})
		if _, err := w.svc.Update(ctx, w.planner, c.ID, change.Patch{State: ptr(change.Scheduled)}, 0); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("scheduled a reworked change without its board: %v", err)
		}
	})
}
