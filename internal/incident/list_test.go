package incident_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
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

// The unassigned queue of one group lists exactly the open incidents of
// that group nobody has picked up, in the order asked for, over pages:
// whichever index serves it, incidents assigned, closed, resolved or in
// another group never show, and a touched incident moves up.
func TestUnassignedGroupQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		mk := func(title string, group int64, level incident.Level) int64 {
			return w.create(t, w.agent, incident.NewIncident{Title: title, Impact: level, Urgency: level, GroupID: &group}).ID
		}
		levels := []incident.Level{incident.High, incident.Medium, incident.Low}
		var waiting []int64
		for i := 0; i < 11; i++ {
			waiting = append(waiting, mk(fmt.Sprintf("Waiting %d", i), w.group, levels[i%3]))
			mk(fmt.Sprintf("Other group %d", i), w.group2, levels[i%3])
			if i%3 == 0 {
				id := mk(fmt.Sprintf("Picked up %d", i), w.group, levels[i%3])
				w.update(t, w.agent, id, incident.Patch{AssigneeID: patch.Of(w.agent.UserID), State: ptr(incident.InProgress)})
			}
		}
		// Resolved without anyone assigned: no longer waiting.
		w.update(t, w.agent, waiting[4], incident.Patch{State: ptr(incident.Resolved), ResolutionCode: ptr("duplicate"), ResolutionNotes: ptr("Same as the first report.")})
		// On hold is still open and still nobody's.
		w.update(t, w.agent, waiting[7], incident.Patch{State: ptr(incident.OnHold), HoldReason: ptr("awaiting_requester")})
		// Touching the oldest ones moves them to the top by last update.
		w.update(t, w.agent, waiting[1], incident.Patch{Title: ptr("Waiting 1, more detail")})
		w.update(t, w.agent, waiting[0], incident.Patch{Title: ptr("Waiting 0, more detail")})

		var want []incident.Incident
		for _, id := range waiting {
			inc, err := w.svc.Get(ctx, w.agent, id)
			if err != nil {
				t.Fatal(err)
			}
			if inc.State.Open() {
				want = append(want, inc)
			}
		}
		orders := map[string]func(a, b incident.Incident) int{
			"-updated_at": func(a, b incident.Incident) int {
				return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(b.ID, a.ID))
			},
			"updated_at": func(a, b incident.Incident) int {
				return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
			},
			"-created_at": func(a, b incident.Incident) int {
				return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
			},
			"priority": func(a, b incident.Incident) int {
				return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.ID, b.ID))
			},
		}
		for sort, order := range orders {
			slices.SortFunc(want, order)
			got := w.pagedIDs(t, incident.Filter{States: incident.OpenStates, Unassigned: true, GroupIDs: []int64{w.group}, Sort: sort, Limit: 3}, len(want))
			var ids []int64
			for _, inc := range want {
				ids = append(ids, inc.ID)
			}
			if !slices.Equal(got, ids) {
				t.Errorf("%s: got %v, want %v", sort, got, ids)
			}
		}
		// Several groups and several priorities are one filter each.
		for _, c := range []struct {
			f    incident.Filter
			want int
		}{
			{incident.Filter{States: incident.OpenStates, Unassigned: true, GroupIDs: []int64{w.group, w.group2}}, 21},
			{incident.Filter{States: incident.OpenStates, Unassigned: true, GroupIDs: []int64{w.group}, Priorities: []incident.Priority{1, 5}}, 7},
			{incident.Filter{States: []incident.State{incident.New, incident.OnHold}, Unassigned: true, GroupIDs: []int64{w.group}}, 10},
		} {
			c.f.Limit = 100
			page, err := w.svc.List(ctx, w.agent, c.f)
			if err != nil || len(page.Items) != c.want {
				t.Errorf("%+v: %d incidents (%v), want %d", c.f, len(page.Items), err, c.want)
			}
		}
		// The check above means something only if touching reordered them.
		slices.SortFunc(want, orders["-updated_at"])
		if len(want) != 10 || want[0].ID != waiting[0] || want[1].ID != waiting[1] {
			t.Errorf("%d waiting, first %s and %s: the setup did not do what the test expects", len(want), want[0].Number, want[1].Number)
		}
	})
}
