package release_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/release"
	"steward/internal/store/storetest"
)

// The release list walks every release once in either order, two at a
// time; next-page links handed out before keep leading to the same page,
// a link of the other order is refused, and so is an order it does not
// offer.
func TestReleaseListPagesInEachOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		var oldest []int64
		for _, title := range []string{"One", "Two", "Three", "Four", "Five"} {
			oldest = append(oldest, w.create(t, title).ID)
		}
		newest := slices.Clone(oldest)
		slices.Reverse(newest)
		for _, c := range []struct {
			sort, other string
			want        []int64
		}{{"", "number", newest}, {"-number", "number", newest}, {"number", "-number", oldest}} {
			var got []int64
			var pages []release.Page
			f := release.Filter{Sort: c.sort, Limit: 2}
			for {
				page, err := w.svc.List(ctx, w.auditor, f)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, page)
				for _, r := range page.Items {
					got = append(got, r.ID)
				}
				if f.Cursor = page.NextCursor; f.Cursor == "" {
					break
				}
			}
			if !slices.Equal(got, c.want) || len(pages) != 3 {
				t.Fatalf("sort %q gave %v in %d pages, want %v in 3", c.sort, got, len(pages), c.want)
			}
			named := c.sort
			if named == "" {
				named = "-number"
			}
			old := record.Cursor{Sort: named, ID: pages[0].Items[1].ID}.Encode()
			if pages[0].NextCursor != old {
				t.Errorf("sort %q: the next-page link is %q, not the form handed out before, %q", c.sort, pages[0].NextCursor, old)
			}
			next, err := w.svc.List(ctx, w.auditor, release.Filter{Sort: c.sort, Limit: 2, Cursor: old})
			if err != nil || len(next.Items) != 2 || next.Items[0].ID != c.want[2] || next.Items[1].ID != c.want[3] || next.NextCursor != pages[1].NextCursor {
				t.Fatalf("sort %q: a link handed out before gave %+v (%v), want the second page", c.sort, next, err)
			}
			if _, err := w.svc.List(ctx, w.auditor, release.Filter{Sort: c.other, Limit: 2, Cursor: old}); !errors.Is(err, record.ErrBadCursor) {
				t.Errorf("a %q link continued the %q list: %v", named, c.other, err)
			}
		}
		var inv *domainerr.Invalid
		if _, err := w.svc.List(ctx, w.auditor, release.Filter{Sort: "-created_at"}); !errors.As(err, &inv) || !inv.Has("sort") {
			t.Errorf("an order the list does not offer: %v", err)
		}
	})
}

// A CI's deployments walk every deployment once, newest first, two at a
// time; a next-page link handed out before keeps leading to the same
// page, and a link of another list's order is refused.
func TestCIDeploymentsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		rel := w.create(t, "Portal 5")
		for _, s := range []release.State{release.Building, release.Testing} {
			if _, err := w.svc.Update(ctx, w.admin, rel.ID, release.Patch{State: &s}, 0); err != nil {
				t.Fatal(err)
			}
		}
		var want []int64
		for _, env := range []string{"test", "test-2", "staging", "staging-2", "preview"} {
			want = append([]int64{w.deploy(t, rel.ID, env).ID}, want...)
		}
		var got []int64
		var pages []release.CIPage
		cursor := ""
		for {
			page, err := w.svc.CIDeployments(ctx, w.agent, w.ci, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, page)
			for _, d := range page.Items {
				got = append(got, d.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) || len(pages) != 3 {
			t.Fatalf("the history gave %v in %d pages, want %v in 3", got, len(pages), want)
		}
		old := record.Cursor{Sort: "-id", ID: pages[0].Items[1].ID}.Encode()
		if pages[0].NextCursor != old {
			t.Errorf("the next-page link is %q, not the form handed out before, %q", pages[0].NextCursor, old)
		}
		next, err := w.svc.CIDeployments(ctx, w.agent, w.ci, 2, old)
		if err != nil || len(next.Items) != 2 || next.Items[0].ID != want[2] || next.Items[1].ID != want[3] || next.NextCursor != pages[1].NextCursor {
			t.Fatalf("a link handed out before gave %+v (%v), want the second page", next, err)
		}
		other := record.Cursor{Sort: "-number", ID: pages[0].Items[1].ID}.Encode()
		if _, err := w.svc.CIDeployments(ctx, w.agent, w.ci, 2, other); !errors.Is(err, record.ErrBadCursor) {
			t.Errorf("a release list's link continued a CI's history: %v", err)
		}
	})
}
