package problem_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"steward/internal/problem"
	"steward/internal/record"
	"steward/internal/store/storetest"
)

// The problem list, and a search of it, walks every problem once, newest
// first, two at a time; a next-page link handed out before keeps leading
// to the same page, and a link of another list's order is refused.
func TestProblemListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		var all, printers []int64
		for _, title := range []string{"Printer jams on tray two", "Mail queue stalls", "Printer drops jobs", "Badge reader offline",
			"Printer prints blank pages"} {
			pr := w.open(t, problem.NewProblem{Title: title})
			all = append([]int64{pr.ID}, all...)
			if title[0] == 'P' {
				printers = append([]int64{pr.ID}, printers...)
			}
		}
		walk := func(f problem.Filter) ([]int64, []problem.Page) {
			t.Helper()
			var got []int64
			var pages []problem.Page
			for {
				page, err := w.svc.List(ctx, w.auditor, f)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, page)
				for _, pr := range page.Items {
					got = append(got, pr.ID)
				}
				if f.Cursor = page.NextCursor; f.Cursor == "" {
					return got, pages
				}
			}
		}
		got, pages := walk(problem.Filter{Limit: 2})
		if !slices.Equal(got, all) || len(pages) != 3 {
			t.Fatalf("the list gave %v in %d pages, want %v in 3", got, len(pages), all)
		}
		if got, _ := walk(problem.Filter{Limit: 2, Query: "printer"}); !slices.Equal(got, printers) {
			t.Fatalf("the search gave %v, want %v", got, printers)
		}
		last := pages[0].Items[1]
		old := record.Cursor{Sort: "-number", ID: last.ID}.Encode()
		if pages[0].NextCursor != old {
			t.Errorf("the next-page link is %q, not the form handed out before, %q", pages[0].NextCursor, old)
		}
		next, err := w.svc.List(ctx, w.auditor, problem.Filter{Limit: 2, Cursor: old})
		if err != nil || len(next.Items) != 2 || next.Items[0].ID != all[2] || next.Items[1].ID != all[3] || next.NextCursor != pages[1].NextCursor {
			t.Fatalf("a link handed out before gave %+v (%v), want the second page", next, err)
		}
		for _, other := range []record.Cursor{{Sort: "number", ID: last.ID}, {Sort: "created", Val: "2026-01-01T00:00:00Z", ID: last.ID}} {
			if _, err := w.svc.List(ctx, w.auditor, problem.Filter{Limit: 2, Cursor: other.Encode()}); !errors.Is(err, record.ErrBadCursor) {
				t.Errorf("a %q link continued the problem list: %v", other.Sort, err)
			}
		}
	})
}
