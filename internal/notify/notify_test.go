package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		var ids []int64
		for _, name := range []string{"ann", "ben"} {
			u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: name + "@n.test", Name: name, Role: auth.Agent, Password: "a-long-password"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		ann, ben := ids[0], ids[1]
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < 3; i++ {
				// Repeats and zero ids are skipped: each call gives ann and ben one.
				if err := notify.Add(ctx, tx, []int64{ann, 0, ann, ben}, "test", strings.Repeat("t", 300), "body", "/requests/REQ-000001"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		page, next, err := notify.List(ctx, e.DB, ann, notify.Filter{Limit: 2})
		if err != nil || len(page) != 2 || next == 0 || page[0].ID < page[1].ID {
			t.Fatalf("first page %+v, next %d, %v", page, next, err)
		}
		if n := len([]rune(page[0].Title)); n != 200 || !strings.HasSuffix(page[0].Title, "…") {
			t.Errorf("a long title is kept at %d characters: %q", n, page[0].Title)
		}
		rest, next, err := notify.List(ctx, e.DB, ann, notify.Filter{Limit: 2, Before: next})
		if err != nil || len(rest) != 1 || next != 0 {
			t.Fatalf("second page %+v, next %d, %v", rest, next, err)
		}
		if _, err := notify.MarkRead(ctx, e.DB, ben, page[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ben marked ann's notification: %v", err)
		}
		n, err := notify.MarkRead(ctx, e.DB, ann, page[0].ID)
		if err != nil || n.ReadAt == nil {
			t.Fatalf("mark read: %+v %v", n, err)
		}
		again, err := notify.MarkRead(ctx, e.DB, ann, page[0].ID)
		if err != nil || !again.ReadAt.Equal(*n.ReadAt) {
			t.Fatalf("marking twice moved read_at: %v -> %v (%v)", n.ReadAt, again.ReadAt, err)
		}
		if u, _ := notify.Unread(ctx, e.DB, ann); u != 2 {
			t.Fatalf("ann has %d unread, want 2", u)
		}
		unread, _, _ := notify.List(ctx, e.DB, ann, notify.Filter{Unread: true})
		if len(unread) != 2 {
			t.Fatalf("unread list has %d", len(unread))
		}
		if marked, err := notify.MarkAllRead(ctx, e.DB, ann); err != nil || marked != 2 {
			t.Fatalf("mark all: %d %v", marked, err)
		}
		if u, _ := notify.Unread(ctx, e.DB, ben); u != 3 {
			t.Fatalf("ben's notifications were touched: %d unread", u)
		}
	})
}
