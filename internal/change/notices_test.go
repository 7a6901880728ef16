package change_test

import (
	"context"
	"testing"

	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/notify"
	"steward/internal/store/storetest"
)

// kinds lists the kinds of p's notifications, newest first.
func (w *world) kinds(t *testing.T, p *auth.Principal) []string {
	t.Helper()
	list, _, err := notify.List(context.Background(), w.e.DB, p.UserID, notify.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range list {
		out = append(out, n.Kind)
	}
	return out
}

// The board hears that a change waits for it; whoever raised the change
// is not asked. The requester hears how the board decided, approved or
// rejected, once the rule settles it, not at each decision.
func TestBoardAndRequesterAreTold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.policy(t, "normal", "", "all")
		c := w.toApproval(t, w.planner, 1)
		for _, m := range []*auth.Principal{w.member1, w.member2, w.member3} {
			if k := w.kinds(t, m); len(k) != 1 || k[0] != change.KindApprovalRequested {
				t.Errorf("board member %s has %v, want one approval request", m.Email, k)
			}
		}
		for _, p := range []*auth.Principal{w.planner, w.outsider, w.admin} {
			if k := w.kinds(t, p); len(k) != 0 {
				t.Errorf("%s, not asked to decide, has %v", p.Email, k)
			}
		}
		if _, err := w.svc.Decide(ctx, w.member1, c.ID, "approve", "ok"); err != nil {
			t.Fatal(err)
		}
		if k := w.kinds(t, w.planner); len(k) != 0 {
			t.Fatalf("the requester was told %v before the board's rule was met", k)
		}
		if _, err := w.svc.Decide(ctx, w.member2, c.ID, "reject", "Not this week"); err != nil {
			t.Fatal(err)
		}
		if k := w.kinds(t, w.planner); len(k) != 1 || k[0] != change.KindRejected {
			t.Fatalf("after the rejection the requester has %v", k)
		}

		w.policy(t, "normal", "", "any")
		c = w.toApproval(t, w.planner, 2)
		if _, err := w.svc.Decide(ctx, w.member3, c.ID, "approve", ""); err != nil {
			t.Fatal(err)
		}
		if k := w.kinds(t, w.planner); len(k) != 2 || k[0] != change.KindApproved {
			t.Fatalf("after the approval the requester has %v", k)
		}
	})
}
