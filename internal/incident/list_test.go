package incident_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/patch"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestListFiltersSearchAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		titles := []string{"Printer offline on floor 3", "VPN disconnects", "Printer toner low", "Outlook crash", "Payroll export fails"}
		var ids []int64
		for i := 0; i < 25; i++ {
			in := incident.NewIncident{Title: titles[i%len(titles)], Impact: "medium", Urgency: "medium", RequesterID: &w.reqA.UserID}
			if i%5 == 0 {
				in.Impact, in.Urgency = "high", "high"
				in.Major = true
			}
			if i%2 == 0 {
				in.GroupID = &w.group
			}
			if i%3 == 0 {
				in.RequesterID = &w.reqB.UserID
			}
			ids = append(ids, w.create(t, w.agent, in).ID)
		}
		w.update(t, w.agent, ids[1], incident.Patch{AssigneeID: patch.Of(w.agent.UserID), State: ptr(incident.InProgress)})
		if _, err := w.svc.AddComment(ctx, w.agent, ids[3], "the fuser unit overheated", true, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddComment(ctx, w.agent, ids[4], "secretword in a work note", false, nil); err != nil {
			t.Fatal(err)
		}

		count := func(f incident.Filter) int {
			t.Helper()
			f.Limit = 200
			page, err := w.svc.List(ctx, w.agent, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Items)
		}
		cases := []struct {
			name string
			f    incident.Filter
			want int
		}{
			{"all", incident.Filter{}, 25},
			{"major", incident.Filter{Major: ptr(true)}, 5},
			{"P1", incident.Filter{Priorities: []incident.Priority{1}}, 5},
			{"group", incident.Filter{GroupIDs: []int64{w.group}}, 13},
			{"mine", incident.Filter{AssigneeID: w.agent.UserID}, 1},
			{"unassigned", incident.Filter{Unassigned: true}, 24},
			{"in progress", incident.Filter{States: []incident.State{incident.InProgress}}, 1},
			{"customer B", incident.Filter{CustomerID: w.custB}, 9},
			{"search title", incident.Filter{Query: "printer"}, 10},
			{"search two words", incident.Filter{Query: "printer toner"}, 5},
			{"search prefix", incident.Filter{Query: "payr*"}, 5},
			{"no prefix without a star", incident.Filter{Query: "payr"}, 0},
			{"punctuation is no syntax", incident.Filter{Query: `printer" OR "vpn`}, 0},
			{"search stemmed", incident.Filter{Query: "disconnect"}, 5},
			{"search public comment", incident.Filter{Query: "fuser"}, 1},
			{"work notes are not searched", incident.Filter{Query: "secretword"}, 0},
			{"search and filter", incident.Filter{Query: "printer", CustomerID: w.custB}, 3},
		}
		for _, c := range cases {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: %d incidents, want %d", c.name, got, c.want)
			}
		}

		for _, sort := range []string{"-created_at", "created_at", "-updated_at", "priority", "-priority", "number", "-number"} {
			seen := map[int64]bool{}
			f := incident.Filter{Sort: sort, Limit: 7}
			pages := 0
			for {
				page, err := w.svc.List(ctx, w.agent, f)
				if err != nil {
					t.Fatalf("%s: %v", sort, err)
				}
				for _, inc := range page.Items {
					if seen[inc.ID] {
						t.Fatalf("%s: %s on two pages", sort, inc.Number)
					}
					seen[inc.ID] = true
				}
				pages++
				if page.NextCursor == "" {
					break
				}
				f.Cursor = page.NextCursor
			}
			if len(seen) != 25 || pages != 4 {
				t.Errorf("%s: %d incidents over %d pages, want 25 over 4", sort, len(seen), pages)
			}
		}

		// Search results page newest first by number.
		seen, f, last := map[int64]bool{}, incident.Filter{Query: "printer", Limit: 3}, int64(1<<62)
		for {
			page, err := w.svc.List(ctx, w.agent, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, inc := range page.Items {
				if seen[inc.ID] || inc.ID >= last {
					t.Fatalf("search page order broken at %s", inc.Number)
				}
				seen[inc.ID], last = true, inc.ID
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		if len(seen) != 10 {
			t.Fatalf("search over pages found %d, want 10", len(seen))
		}

		bad := []incident.Filter{
			{Cursor: "garbage!"},
			{Sort: "title"},
			{Limit: 500},
			{Query: "!!!"},
			{Query: "printer", Sort: "-created_at"},
		}
		for _, f := range bad {
			var inv *domainerr.Invalid
			if _, err := w.svc.List(ctx, w.agent, f); !errors.As(err, &inv) {
				t.Errorf("%+v: got %v, want a validation error", f, err)
			}
		}
		// A cursor from one sort is refused by another.
		page, _ := w.svc.List(ctx, w.agent, incident.Filter{Limit: 5})
		if _, err := w.svc.List(ctx, w.agent, incident.Filter{Limit: 5, Sort: "priority", Cursor: page.NextCursor}); err == nil {
			t.Error("cursor accepted for another sort")
		}
	})
}

// Incidents brought in with their history are found by the words of their
// public comments, on both engines.
func TestImportedCommentsAreSearchable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		now := time.Now().UTC()
		inc := incident.Incident{Title: "Imported", Impact: "low", Urgency: "low", Priority: 5, State: incident.New, CreatedAt: now, UpdatedAt: now, Version: 1}
		journal := []incident.Entry{
			{Kind: "created", AuthorName: "import", CreatedAt: now},
			{Kind: "comment", AuthorName: "import", Body: "the quokka ate the cable", CreatedAt: now},
			{Kind: "work_note", AuthorName: "import", Body: "internal wombat", CreatedAt: now},
		}
		if err := e.DB.InTx(ctx, func(tx *store.Tx) error { return w.svc.Import(ctx, tx, &inc, 0, journal) }); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"quokka": 1, "wombat": 0, "imported": 1} {
			page, err := w.svc.List(ctx, w.agent, incident.Filter{Query: q})
			if err != nil || len(page.Items) != want {
				t.Errorf("q=%s: %d results (%v), want %d", q, len(page.Items), err, want)
			}
		}
	})
}
