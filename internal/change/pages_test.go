package change_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"steward/internal/change"
	"steward/internal/record"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The change list walks every change once, newest first (the later
// number first among changes raised at the same instant), two at a time;
// a next-page link handed out before keeps leading to the same page, and
// a link of another list's order is refused.
func TestChangeListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		base := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
		var ids []int64
		for i, hours := range []int{2, 0, 2, 1, 0} {
			c := w.create(t, w.planner, change.NewChange{Title: "Change " + string(rune('A'+i)), Type: change.Normal})
			if _, err := e.DB.Exec(ctx, "UPDATE changes SET created_at = ? WHERE id = ?", store.TS(base.Add(time.Duration(hours)*time.Hour)), c.ID); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		want := []int64{ids[2], ids[0], ids[3], ids[4], ids[1]}
		var got []int64
		var pages []record.Page[change.Change]
		f := change.Filter{Limit: 2}
		for {
			page, err := w.svc.List(ctx, w.auditor, f)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, page)
			for _, c := range page.Items {
				got = append(got, c.ID)
			}
			if f.Cursor = page.NextCursor; f.Cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) || len(pages) != 3 {
			t.Fatalf("pages gave %v in %d pages, want %v in 3", got, len(pages), want)
		}
		last := pages[0].Items[1]
		old := record.Cursor{Sort: "created", Val: store.TS(last.CreatedAt), ID: last.ID}.Encode()
		if pages[0].NextCursor != old {
			t.Errorf("the next-page link is %q, not the form handed out before, %q", pages[0].NextCursor, old)
		}
		next, err := w.svc.List(ctx, w.auditor, change.Filter{Limit: 2, Cursor: old})
		if err != nil || len(next.Items) != 2 || next.Items[0].ID != want[2] || next.Items[1].ID != want[3] || next.NextCursor != pages[1].NextCursor {
			t.Fatalf("a link handed out before gave %+v (%v), want the second page", next, err)
		}
		for _, other := range []record.Cursor{{Sort: "-number", ID: last.ID}, {Sort: "-created_at", Val: store.TS(last.CreatedAt), ID: last.ID}} {
			if _, err := w.svc.List(ctx, w.auditor, change.Filter{Limit: 2, Cursor: other.Encode()}); !errors.Is(err, record.ErrBadCursor) {
				t.Errorf("a %q link continued the change list: %v", other.Sort, err)
			}
		}
	})
}
