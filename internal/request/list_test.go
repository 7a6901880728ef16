package request_test

import (
	"context"
	"slices"
	"testing"

	"steward/internal/patch"
	"steward/internal/request"
	"steward/internal/store/storetest"
)

// A list filtered on several values of a field (states, priorities,
// groups) holds the requests with any of them, in every order and on every
// page, and the queue's count agrees.
func TestListSeveralValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		it := w.item(request.NewItem{Name: "Headset"})
		agent := w.p["agent"]
		var rs []request.Request
		for i, set := range []struct {
			prio  request.Priority
			group int64
		}{{1, w.desk}, {2, w.buyers}, {3, w.desk}, {2, w.desk}, {4, w.buyers}} {
			r := w.submit("alice", request.NewRequest{ItemID: it.ID})
			r, err := w.svc.Update(ctx, agent, r.ID, request.Patch{Priority: ptr(set.prio), GroupID: patch.Of(set.group)}, 0)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			rs = append(rs, r)
		}
		if _, err := w.svc.Cancel(ctx, w.p["alice"], rs[3].ID, "no longer needed", 0); err != nil {
			t.Fatal(err)
		}
		open := request.OpenStates
		for _, c := range []struct {
			name string
			f    request.Filter
			want []int // indexes into rs
		}{
			{"P1 or P2", request.Filter{Priorities: []request.Priority{1, 2}}, []int{0, 1, 3}},
			{"P1 or P2, open", request.Filter{Priorities: []request.Priority{1, 2}, States: open}, []int{0, 1}},
			{"cancelled or fulfilled", request.Filter{States: []request.State{request.Cancelled, request.Fulfilled}}, []int{3}},
			{"both groups", request.Filter{GroupIDs: []int64{w.desk, w.buyers}}, []int{0, 1, 2, 3, 4}},
			{"buyers, P2 to P4", request.Filter{GroupIDs: []int64{w.buyers}, Priorities: []request.Priority{2, 3, 4}}, []int{1, 4}},
			{"one priority, one customer", request.Filter{Priorities: []request.Priority{3}, CustomerID: w.custA}, []int{2}},
		} {
			for _, sort := range []string{"-created_at", "-updated_at", "number"} {
				f := c.f
				f.Sort, f.Limit = sort, 2
				var got []int64
				for pages := 0; ; pages++ {
					page, err := w.svc.List(ctx, agent, f)
					if err != nil || pages > 3 {
						t.Fatalf("%s by %s: %v after %d pages", c.name, sort, err, pages)
					}
					for _, r := range page.Items {
						got = append(got, r.ID)
					}
					if f.Cursor = page.NextCursor; f.Cursor == "" {
						break
					}
				}
				var want []int64
				for _, i := range c.want {
					want = append(want, rs[i].ID)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s by %s: requests %v, want %v", c.name, sort, got, want)
				}
			}
			n, err := w.svc.Count(ctx, agent, c.f, 100)
			if err != nil || n != len(c.want) {
				t.Errorf("%s: count %d (%v), want %d", c.name, n, err, len(c.want))
			}
		}
	})
}
