package incident_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/patch"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestDefaultPriorityMatrix(t *testing.T) {
	m := incident.DefaultMatrix()
	cases := []struct {
		impact, urgency incident.Level
		want            string
	}{
		{"high", "high", "P1"},
		{"high", "medium", "P2"}, {"medium", "high", "P2"},
		{"high", "low", "P3"}, {"medium", "medium", "P3"}, {"low", "high", "P3"},
		{"medium", "low", "P4"}, {"low", "medium", "P4"},
		{"low", "low", "P5"},
	}
	for _, c := range cases {
		if got := m.Priority(c.impact, c.urgency).String(); got != c.want {
			t.Errorf("%s/%s: got %s, want %s", c.impact, c.urgency, got, c.want)
		}
	}
}

// ParseMatrix takes what the API and the settings page send and names
// every cell that holds no priority.
func TestParseMatrix(t *testing.T) {
	grid := func(edit func(map[incident.Level]map[incident.Level]string)) map[incident.Level]map[incident.Level]string {
		raw := map[incident.Level]map[incident.Level]string{}
		for _, i := range incident.Levels {
			raw[i] = map[incident.Level]string{}
			for _, u := range incident.Levels {
				raw[i][u] = incident.DefaultMatrix().Priority(i, u).String()
			}
		}
		if edit != nil {
			edit(raw)
		}
		return raw
	}
	m, err := incident.ParseMatrix(grid(func(g map[incident.Level]map[incident.Level]string) { g["low"]["low"] = "2" }))
	if err != nil || m.Priority(incident.Low, incident.Low) != 2 || m.Validate() != nil {
		t.Fatalf("good grid: %v %v", m, err)
	}
	for name, c := range map[string]struct {
		edit func(map[incident.Level]map[incident.Level]string)
		key  string
	}{
		"not a priority": {func(g map[incident.Level]map[incident.Level]string) { g["high"]["low"] = "P9" }, "high.low"},
		"empty cell":     {func(g map[incident.Level]map[incident.Level]string) { g["medium"]["high"] = "" }, "medium.high"},
		"missing impact": {func(g map[incident.Level]map[incident.Level]string) { delete(g, "low") }, "low.high"},
		"extra impact":   {func(g map[incident.Level]map[incident.Level]string) { g["critical"] = map[incident.Level]string{} }, "matrix"},
	} {
		_, err := incident.ParseMatrix(grid(c.edit))
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || inv.Fields[c.key] == "" {
			t.Errorf("%s: %v, want a message on %s", name, err, c.key)
		}
	}
}

func TestParseRef(t *testing.T) {
	for in, want := range map[string]int64{"123": 123, "INC-000123": 123, "inc-42": 42, "INC-": 0, "abc": 0, "-5": 0, "0": 0} {
		got, ok := incident.ParseRef(in)
		if got != want || ok != (want != 0) {
			t.Errorf("ParseRef(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestIncidentLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)

		t.Run("create derives priority and number", func(t *testing.T) {
			inc := w.create(t, w.agent, incident.NewIncident{Title: "  Mail down ", Impact: "high", Urgency: "medium", RequesterID: &w.reqA.UserID, GroupID: &w.group})
			if inc.Priority.String() != "P2" || inc.State != incident.New || inc.Title != "Mail down" {
				t.Fatalf("got %+v", inc)
			}
			if inc.Number != incident.FormatNumber(inc.ID) || !strings.HasPrefix(inc.Number, "INC-") {
				t.Fatalf("number %q", inc.Number)
			}
			if inc.CustomerID == nil || *inc.CustomerID != w.custA {
				t.Fatalf("customer should default to the requester's: %v", inc.CustomerID)
			}
			if inc.GroupName != "Service Desk" || inc.RequesterName == "" {
				t.Fatalf("display names missing: %+v", inc)
			}
		})

		t.Run("create validation names every bad field and saves nothing", func(t *testing.T) {
			before := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM incidents")
			missing := int64(99999)
			_, err := w.svc.Create(ctx, w.agent, incident.NewIncident{
				Title: "", Impact: "severe", Urgency: "low", Description: strings.Repeat("x", domainerr.MaxText+1),
				GroupID: &missing, AssigneeID: &w.reqA.UserID, CustomerID: &missing,
			}, nil)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, want validation error", err)
			}
			for _, f := range []string{"title", "impact", "description", "group_id", "assignee_id", "customer_id"} {
				if inv.Fields[f] == "" {
					t.Errorf("no message for %s: %v", f, inv.Fields)
				}
			}
			if after := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM incidents"); after != before {
				t.Fatalf("an invalid incident was saved")
			}
		})

		t.Run("customer must match the requester's", func(t *testing.T) {
			_, err := w.svc.Create(ctx, w.agent, incident.NewIncident{Title: "Mixed up", RequesterID: &w.reqA.UserID, CustomerID: &w.custB}, nil)
			if fieldErr(err, "customer_id") == "" {
				t.Fatalf("requester of A filed for customer B: %v", err)
			}
		})

		t.Run("requester defaults and limits", func(t *testing.T) {
			inc := w.create(t, w.reqA, incident.NewIncident{Title: "Printer jam"})
			if *inc.RequesterID != w.reqA.UserID || *inc.CustomerID != w.custA || inc.Priority.String() != "P3" {
				t.Fatalf("requester defaults: %+v", inc)
			}
			_, err := w.svc.Create(ctx, w.reqA, incident.NewIncident{Title: "x", GroupID: &w.group, Major: true, CustomerID: &w.custB}, nil)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || inv.Fields["group_id"] == "" || inv.Fields["major"] == "" || inv.Fields["customer_id"] == "" {
				t.Fatalf("requester setting desk fields: %v", err)
			}
			if _, err := w.svc.Create(ctx, w.auditor, incident.NewIncident{Title: "x"}, nil); !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("auditor create: %v", err)
			}
		})

		t.Run("requesters see their organisation only", func(t *testing.T) {
			mine := w.create(t, w.reqA, incident.NewIncident{Title: "Mine"})
			if _, err := w.svc.Get(ctx, w.reqA2, mine.ID); err != nil {
				t.Fatalf("colleague in same customer: %v", err)
			}
			if _, err := w.svc.Get(ctx, w.reqB, mine.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("other customer: %v, want not found", err)
			}
			if _, err := w.svc.AddComment(ctx, w.reqB, mine.ID, "let me in", true, nil); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("other customer's comment: %v", err)
			}
			page, err := w.svc.List(ctx, w.reqB, incident.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, inc := range page.Items {
				if *inc.CustomerID != w.custB {
					t.Fatalf("requester B sees %s of customer %d", inc.Number, *inc.CustomerID)
				}
			}
			if _, err := w.svc.Update(ctx, w.reqA, mine.ID, incident.Patch{Title: ptr("x")}, 0); !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("requester update: %v", err)
			}
		})

		t.Run("full life: hold, resolve, reopen, resolve, close", func(t *testing.T) {
			inc := w.create(t, w.agent, incident.NewIncident{Title: "VPN flaps", Impact: "low", Urgency: "low"})
			inc = w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.InProgress), AssigneeID: patch.Of(w.agent.UserID)})
			if inc.FirstResponseAt == nil || inc.AssigneeName != w.agent.Name {
				t.Fatalf("first response not stamped / assignee: %+v", inc)
			}
			_, err := w.svc.Update(ctx, w.agent, inc.ID, incident.Patch{State: ptr(incident.OnHold)}, 0)
			if fieldErr(err, "hold_reason") == "" {
				t.Fatalf("hold without reason: %v", err)
			}
			inc = w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.OnHold), HoldReason: ptr("awaiting_supplier")})
			inc = w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.InProgress)})
			if inc.HoldReason != "" {
				t.Fatalf("hold reason kept after hold: %q", inc.HoldReason)
			}
			_, err = w.svc.Update(ctx, w.agent, inc.ID, incident.Patch{State: ptr(incident.Resolved)}, 0)
			if fieldErr(err, "resolution_code") == "" || fieldErr(err, "resolution_notes") == "" {
				t.Fatalf("resolve without code/notes: %v", err)
			}
			inc = w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.Resolved), ResolutionCode: ptr("fixed"), ResolutionNotes: ptr("Replaced cable")})
			if inc.ResolvedAt == nil {
				t.Fatal("resolved_at not set")
			}
			inc = w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.InProgress)})
			if inc.ReopenCount != 1 || inc.ResolvedAt != nil || inc.ResolutionCode != "" {
				t.Fatalf("reopen: %+v", inc)
			}
			inc = w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.Resolved), ResolutionCode: ptr("workaround"), ResolutionNotes: ptr("Restarted")})
			inc = w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.Closed)})
			if inc.ClosedAt == nil {
				t.Fatal("closed_at not set")
			}
			var conflict *domainerr.Conflict
			if _, err := w.svc.Update(ctx, w.agent, inc.ID, incident.Patch{Title: ptr("again")}, 0); !errors.As(err, &conflict) {
				t.Fatalf("changing a closed incident: %v", err)
			}
			if _, err := w.svc.AddComment(ctx, w.reqA, inc.ID, "hello", true, nil); err == nil {
				t.Fatal("comment on closed incident accepted")
			}
			journal, err := w.svc.Journal(ctx, w.agent, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			var states []string
			for _, e := range journal {
				for _, c := range e.Changes {
					if c.Field == "state" {
						states = append(states, c.Old+">"+c.New)
					}
				}
			}
			want := "new>in_progress in_progress>on_hold on_hold>in_progress in_progress>resolved resolved>in_progress in_progress>resolved resolved>closed"
			if strings.Join(states, " ") != want {
				t.Fatalf("journal states:\n got  %s\n want %s", strings.Join(states, " "), want)
			}
		})

		t.Run("illegal transitions are refused with the allowed ones", func(t *testing.T) {
			cases := []struct {
				from, to incident.State
			}{
				{incident.InProgress, incident.New},
				{incident.OnHold, incident.New},
				{incident.New, "done"},
			}
			for _, c := range cases {
				inc := w.create(t, w.agent, incident.NewIncident{Title: "T"})
				if c.from == incident.InProgress || c.from == incident.OnHold {
					w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.InProgress)})
				}
				if c.from == incident.OnHold {
					w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.OnHold), HoldReason: ptr("awaiting_change")})
				}
				_, err := w.svc.Update(ctx, w.agent, inc.ID, incident.Patch{State: ptr(c.to)}, 0)
				if msg := fieldErr(err, "state"); msg == "" {
					t.Errorf("%s -> %s: %v, want state error", c.from, c.to, err)
				}
				got, _ := w.svc.Get(ctx, w.agent, inc.ID)
				if got.State != c.from {
					t.Errorf("%s -> %s changed the state to %s", c.from, c.to, got.State)
				}
			}
		})

		t.Run("stale version is refused and changes nothing", func(t *testing.T) {
			inc := w.create(t, w.agent, incident.NewIncident{Title: "Stale"})
			w.update(t, w.agent2, inc.ID, incident.Patch{Title: ptr("Fresh")})
			_, err := w.svc.Update(ctx, w.agent, inc.ID, incident.Patch{Title: ptr("Lost update")}, inc.Version)
			if !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("got %v, want ErrStale", err)
			}
			got, _ := w.svc.Get(ctx, w.agent, inc.ID)
			if got.Title != "Fresh" {
				t.Fatalf("title is %q", got.Title)
			}
		})

		t.Run("priority follows impact and urgency changes", func(t *testing.T) {
			inc := w.create(t, w.agent, incident.NewIncident{Title: "Escalating", Impact: "low", Urgency: "low"})
			inc = w.update(t, w.agent, inc.ID, incident.Patch{Impact: ptr(incident.High), Urgency: ptr(incident.High)})
			if inc.Priority.String() != "P1" {
				t.Fatalf("priority %s", inc.Priority)
			}
		})

		t.Run("comments, work notes and what requesters see", func(t *testing.T) {
			inc := w.create(t, w.reqA, incident.NewIncident{Title: "Screen flickers"})
			if _, err := w.svc.AddComment(ctx, w.reqA, inc.ID, "internal?", false, nil); !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("requester work note: %v", err)
			}
			if _, err := w.svc.AddComment(ctx, w.agent, inc.ID, "Cable looks loose", false, nil); err != nil {
				t.Fatal(err)
			}
			got, _ := w.svc.Get(ctx, w.agent, inc.ID)
			if got.FirstResponseAt != nil {
				t.Fatal("a work note counted as first response")
			}
			if _, err := w.svc.AddComment(ctx, w.agent, inc.ID, "We will swap the monitor", true, nil); err != nil {
				t.Fatal(err)
			}
			got, _ = w.svc.Get(ctx, w.agent, inc.ID)
			if got.FirstResponseAt == nil || got.Version != inc.Version {
				t.Fatalf("public reply: first response %v, version %d -> %d", got.FirstResponseAt, inc.Version, got.Version)
			}
			w.update(t, w.agent, inc.ID, incident.Patch{GroupID: patch.Of(w.group)})
			seen, err := w.svc.Journal(ctx, w.reqA, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range seen {
				if e.Kind == "work_note" || strings.Contains(e.Body, "Cable") {
					t.Fatalf("requester sees a work note: %+v", e)
				}
				for _, c := range e.Changes {
					if c.Field == "group_id" {
						t.Fatalf("requester sees internal change %+v", c)
					}
				}
			}
			if len(seen) != 2 {
				t.Fatalf("requester journal has %d entries, want created + comment", len(seen))
			}
			if _, err := w.svc.AddComment(ctx, w.agent, inc.ID, "  ", true, nil); fieldErr(err, "body") == "" {
				t.Fatalf("empty comment: %v", err)
			}
		})

		t.Run("journal is append-only in the database", func(t *testing.T) {
			if _, err := e.DB.Exec(ctx, "UPDATE incident_journal SET body = 'rewritten'"); err == nil {
				t.Fatal("journal rows could be rewritten")
			}
		})

		t.Run("audit chain covers the changes and detects tampering", func(t *testing.T) {
			n, err := audit.Verify(ctx, e.DB)
			if err != nil || n < 10 {
				t.Fatalf("verify: %d rows, %v", n, err)
			}
			entries, err := audit.List(ctx, e.DB, audit.Filter{Entity: "incident", Limit: 500})
			if err != nil || len(entries) == 0 {
				t.Fatalf("list: %v", err)
			}
		})
	})
}

func fieldErr(err error, field string) string {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return inv.Fields[field]
	}
	return ""
}

func TestAutoCloseRunsFromTheJobTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.svc.AutoCloseAfter = 50 * time.Millisecond
		inc := w.create(t, w.agent, incident.NewIncident{Title: "Auto"})
		reopened := w.create(t, w.agent, incident.NewIncident{Title: "Reopened"})
		for _, id := range []int64{inc.ID, reopened.ID} {
			w.update(t, w.agent, id, incident.Patch{State: ptr(incident.Resolved), ResolutionCode: ptr("fixed"), ResolutionNotes: ptr("done")})
		}
		w.update(t, w.agent, reopened.ID, incident.Patch{State: ptr(incident.InProgress)})

		// A fresh worker, as after a restart: the jobs are in the table, not in memory.
		worker := &jobs.Worker{DB: e.DB, Handlers: map[string]jobs.Handler{incident.AutoCloseJob: w.svc.AutoClose}, Log: discardLog()}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := worker.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			got, _ := w.svc.Get(ctx, w.agent, inc.ID)
			if got.State == incident.Closed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not closed automatically; state %s", got.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
		got, _ := w.svc.Get(ctx, w.agent, reopened.ID)
		if got.State != incident.InProgress {
			t.Fatalf("reopened incident was closed: %s", got.State)
		}
		journal, _ := w.svc.Journal(ctx, w.agent, inc.ID)
		last := journal[len(journal)-1]
		if last.AuthorName != "system" || last.Changes[0].New != "closed" {
			t.Fatalf("last journal entry %+v", last)
		}
	})
}
