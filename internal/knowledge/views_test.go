package knowledge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/knowledge"
	"steward/internal/store/storetest"
)

// The auditor reads articles but says nothing about them: the answer is
// refused and the figures stay as they were.
func TestAuditorGivesNoFeedback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		a := w.article(t, w.admin, "Reset a password", "Open the portal.", knowledge.Requesters, knowledge.Published)
		if _, err := w.svc.GiveFeedback(ctx, w.auditor, a.ID, true, "fine"); !isForbidden(err) {
			t.Fatalf("auditor's feedback: want forbidden, got %v", err)
		}
		if _, err := w.svc.GiveFeedback(ctx, w.reqA, a.ID, false, ""); err != nil {
			t.Fatalf("requester's feedback: %v", err)
		}
		got, err := w.svc.Get(ctx, w.admin, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Helpful != 0 || got.NotHelpful != 1 {
			t.Errorf("figures after the auditor and one requester: %d helped, %d did not", got.Helpful, got.NotHelpful)
		}
	})
}

// A review date in the past is refused on saving and publishing, naming
// the field; an article already overdue is still edited with its date.
func TestReviewDateInThePast(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		w.svc.Now = func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) }
		title, body, aud := "VPN token", "Resync it.", knowledge.Requesters
		for _, st := range []knowledge.State{knowledge.Draft, knowledge.Published} {
			_, err := w.svc.Create(ctx, w.admin, knowledge.Input{Title: &title, Body: &body, Audience: &aud, State: &st, ReviewDate: ptr("2026-12-04")})
			if msg := fieldOf(err)["review_date"]; msg == "" || !contains(msg, "pick a future date") {
				t.Errorf("create %s with yesterday's review date: %v", st, err)
			}
		}
		a, err := w.svc.Create(ctx, w.admin, knowledge.Input{Title: &title, Body: &body, Audience: &aud, ReviewDate: ptr("2026-12-05")})
		if err != nil {
			t.Fatalf("today's review date: %v", err)
		}
		if _, err := w.svc.Update(ctx, w.agent, a.ID, knowledge.Input{ReviewDate: ptr("2025-01-01")}, 0); fieldOf(err)["review_date"] == "" {
			t.Errorf("update to a past review date: %v", err)
		}
		// The date passes while the article is a draft: publishing it is
		// refused until the date is moved on; the text is still edited.
		w.svc.Now = func() time.Time { return time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC) }
		if _, err := w.svc.Update(ctx, w.agent, a.ID, knowledge.Input{Body: ptr("Resync it in the app."), ReviewDate: ptr("2026-12-05")}, 0); err != nil {
			t.Fatalf("edit an article whose review date has passed: %v", err)
		}
		if _, err := w.svc.Move(ctx, w.admin, a.ID, "submit", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Move(ctx, w.admin, a.ID, "publish", 0); !contains(fieldOf(err)["review_date"], "pick a future date") {
			t.Errorf("publish with a review date in the past: %v", err)
		}
		if _, err := w.svc.Update(ctx, w.admin, a.ID, knowledge.Input{ReviewDate: ptr("2027-06-30")}, 0); err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.Move(ctx, w.admin, a.ID, "publish", 0)
		if err != nil || got.State != knowledge.Published || got.ReviewOverdue("2026-12-20") {
			t.Errorf("publish with a future review date: %v, state %s", err, got.State)
		}
	})
}

// Views count each reader once a day, never the author nor the auditor.
func TestViewsCountReadersOnceADay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		day := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		w.svc.Now = func() time.Time { return day }
		a := w.article(t, w.agent, "Printer jams", "Open tray 2.", knowledge.Requesters, knowledge.Review)
		a, err := w.svc.Move(ctx, w.admin, a.ID, "publish", 0)
		if err != nil {
			t.Fatal(err)
		}
		view := func(who string, want bool) {
			t.Helper()
			p := map[string]*auth.Principal{"author": w.agent, "auditor": w.auditor, "reqA": w.reqA, "reqB": w.reqB, "admin": w.admin}[who]
			counted, err := w.svc.View(ctx, p, a, knowledge.Opened{})
			if err != nil {
				t.Fatal(err)
			}
			if counted != want {
				t.Errorf("%s on %s: counted %v, want %v", who, day.Format("Jan 2 15:04"), counted, want)
			}
		}
		view("author", false)
		view("auditor", false)
		view("reqA", true)
		day = day.Add(3 * time.Hour)
		view("reqA", false) // a reload the same day
		view("reqB", true)
		view("admin", true)
		day = day.Add(24 * time.Hour)
		view("reqA", true)
		view("author", false)
		got, err := w.svc.Get(ctx, w.admin, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Views != 4 {
			t.Errorf("views: %d, want 4 (two days of one requester, one of another and of the administrator)", got.Views)
		}
	})
}

func contains(s, part string) bool { return strings.Contains(s, part) }
