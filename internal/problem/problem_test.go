package problem_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/patch"
	"steward/internal/problem"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func fieldErr(t *testing.T, err error, field string) {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) || !inv.Has(field) {
		t.Fatalf("got %v, want a message on %s", err, field)
	}
}

func TestKnownErrorNeedsRootCauseAndWorkaroundInTheSamePatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		pr := w.open(t, problem.NewProblem{Title: "Mail queue stalls every night"})
		pr, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.Investigating),
			RootCause: ptr("Backup job locks the mail store.")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		// A root cause recorded earlier is not enough: the move carries both.
		_, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.KnownError), Workaround: ptr("Flush the queue.")}, 0)
		fieldErr(t, err, "root_cause")
		_, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.KnownError), RootCause: ptr("Backup job locks the mail store.")}, 0)
		fieldErr(t, err, "workaround")
		_, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.KnownError), RootCause: ptr("x"),
			Workaround: ptr("y"), CauseCategory: ptr("bad luck")}, 0)
		fieldErr(t, err, "cause_category")
		if got, _ := w.svc.Get(ctx, w.agent, pr.ID); got.State != problem.Investigating || got.Version != pr.Version {
			t.Fatalf("refused moves changed the problem: %+v", got)
		}
		// The cause category is optional now and can follow later.
		ke, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.KnownError),
			RootCause: ptr("Backup job locks the mail store."), Workaround: ptr("Run `postqueue -f` after 02:30.")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ke.State != problem.KnownError || ke.KnownErrorAt == nil || ke.CauseCategory != "" {
			t.Fatalf("known error: %+v", ke)
		}
		ke, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{CauseCategory: ptr("configuration")}, ke.Version)
		if err != nil || ke.CauseCategory != "configuration" {
			t.Fatalf("cause category later: %v %+v", err, ke)
		}
		// A known error keeps its workaround.
		_, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{Workaround: ptr(" ")}, 0)
		fieldErr(t, err, "workaround")
		// A stale version is refused.
		if _, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{Title: ptr("x")}, ke.Version-1); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale: %v", err)
		}
		if _, err := w.svc.AddNote(ctx, w.agent, pr.ID, " "); err == nil {
			t.Fatal("an empty note was accepted")
		}
		if _, err := w.svc.AddNote(ctx, w.auditor, pr.ID, "x"); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("auditor adds a note: %v", err)
		}
		if _, err := w.svc.AddNote(ctx, w.agent, pr.ID, "The backup window moved to 02:00 last month."); err != nil {
			t.Fatal(err)
		}
		j, err := w.svc.Journal(ctx, w.auditor, pr.ID)
		if err != nil || len(j) != 5 || j[0].Kind != "created" || j[4].Kind != "work_note" {
			t.Fatalf("journal: %v %+v", err, j)
		}
	})
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		inc := w.incident(t, "Printer jams", w.custA)
		cases := []struct {
			name  string
			in    problem.NewProblem
			field string
		}{
			{"no title", problem.NewProblem{Title: "  "}, "title"},
			{"missing incident", problem.NewProblem{Title: "x", Incidents: []string{inc.Number, "INC-999999"}}, "incidents"},
			{"not an incident number", problem.NewProblem{Title: "x", Incidents: []string{"REQ-000001"}}, "incidents"},
			{"retired service", problem.NewProblem{Title: "x", ServiceIDs: []int64{w.retired}}, "service_ids"},
			{"missing service", problem.NewProblem{Title: "x", ServiceIDs: []int64{424242}}, "service_ids"},
			{"missing CI", problem.NewProblem{Title: "x", CIIDs: []int64{w.ciDB, 424242}}, "ci_ids"},
			{"requester as assignee", problem.NewProblem{Title: "x", AssigneeID: &w.reqA.UserID}, "assignee_id"},
		}
		for _, c := range cases {
			_, err := w.svc.Create(ctx, w.agent, c.in, nil)
			fieldErr(t, err, c.field)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM problems"); n != 0 {
			t.Fatalf("%d problems written by refused input", n)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM record_links"); n != 0 {
			t.Fatalf("%d links written by refused input", n)
		}

		pr := w.open(t, problem.NewProblem{Title: "Printer jams", Incidents: []string{inc.Number}})
		_, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{FixChange: patch.Of("CHG-999999")}, 0)
		fieldErr(t, err, "fix_change")
		_, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{FixChange: patch.Of("next tuesday")}, 0)
		fieldErr(t, err, "fix_change")
		_, err = w.svc.LinkIncidents(ctx, w.agent, pr.ID, []string{"INC-999999"})
		fieldErr(t, err, "incidents")
		_, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.State("solved"))}, 0)
		fieldErr(t, err, "state")
		got, _ := w.svc.Get(ctx, w.agent, pr.ID)
		if got.Version != pr.Version || got.Incidents != 1 {
			t.Fatalf("refused changes changed the problem: %+v", got)
		}
		fixed, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{FixChange: patch.Of(problem.ChangePrefix + "000001")}, 0)
		if err != nil || fixed.FixChangeID == nil || *fixed.FixChangeID != w.change || fixed.FixChange == "" {
			t.Fatalf("fix change: %v %+v", err, fixed)
		}
		cleared, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{FixChange: patch.Field[string]{Set: true, Null: true}}, 0)
		if err != nil || cleared.FixChangeID != nil {
			t.Fatalf("clearing the fix change: %v %+v", err, cleared)
		}
	})
}

func TestWhoMayDoWhat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		pr := w.open(t, problem.NewProblem{Title: "Slow logins"})
		if _, err := w.svc.Create(ctx, w.reqA, problem.NewProblem{Title: "x"}, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("requester creates: %v", err)
		}
		if _, err := w.svc.Create(ctx, w.auditor, problem.NewProblem{Title: "x"}, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("auditor creates: %v", err)
		}
		if _, err := w.svc.Get(ctx, w.reqA, pr.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("requester reads: %v", err)
		}
		if _, err := w.svc.Get(ctx, w.auditor, pr.ID); err != nil {
			t.Errorf("auditor reads: %v", err)
		}
		if _, err := w.svc.Update(ctx, w.auditor, pr.ID, problem.Patch{Title: ptr("x")}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("auditor updates: %v", err)
		}
		if _, err := w.svc.KnownErrors(ctx, w.reqA, problem.KnownErrorFilter{}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("requester searches known errors: %v", err)
		}
	})
}

// knownError opens a problem and takes it to known error.
func (w *world) knownError(t *testing.T, in problem.NewProblem, cause, workaround string) problem.Problem {
	t.Helper()
	ctx := context.Background()
	pr := w.open(t, in)
	if _, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.Investigating)}, 0); err != nil {
		t.Fatal(err)
	}
	pr, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.KnownError), RootCause: &cause, Workaround: &workaround}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func TestLinkedIncidentsAndApplyingAWorkaround(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		a, b := w.incident(t, "VPN drops", w.custA), w.incident(t, "VPN drops again", w.custB)
		pr := w.open(t, problem.NewProblem{Title: "VPN drops", Incidents: []string{a.Number, "2"}})
		if pr.Incidents != 2 {
			t.Fatalf("linked %d incidents, want 2", pr.Incidents)
		}
		linked, err := w.svc.LinkedIncidents(ctx, w.agent, pr.ID)
		if err != nil || len(linked) != 2 || linked[0].Number != b.Number {
			t.Fatalf("linked incidents: %v %+v", err, linked)
		}
		// The incident's journal tells the desk, not the requester.
		staff, _ := w.inc.Journal(ctx, w.agent, a.ID)
		if last := staff[len(staff)-1]; len(last.Changes) == 0 || last.Changes[0].New != "caused by "+pr.Number {
			t.Fatalf("incident journal: %+v", last)
		}
		req, _ := w.inc.Journal(ctx, w.reqA, a.ID)
		for _, e := range req {
			for _, c := range e.Changes {
				if strings.Contains(c.New, pr.Number) {
					t.Fatalf("requester sees the problem link: %+v", e)
				}
			}
		}
		if err := w.svc.UnlinkIncident(ctx, w.agent, pr.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.UnlinkIncident(ctx, w.agent, pr.ID, b.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unlinking twice: %v", err)
		}

		// Only a known error has a workaround to apply.
		if _, err := w.svc.ApplyWorkaround(ctx, w.agent, pr.ID, b.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("applying before known error: %v", err)
		}
		if _, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.Investigating)}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(problem.KnownError),
			RootCause: ptr("Idle timeout on the concentrator."), Workaround: ptr("Reconnect with the TCP profile.")}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ApplyWorkaround(ctx, w.reqB, pr.ID, b.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("requester applies: %v", err)
		}
		note, err := w.svc.ApplyWorkaround(ctx, w.agent, pr.ID, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if note.Kind != "work_note" || !strings.Contains(note.Body, "Reconnect with the TCP profile.") || !strings.Contains(note.Body, pr.Number) {
			t.Fatalf("work note: %+v", note)
		}
		if _, err := w.svc.ApplyWorkaround(ctx, w.agent, pr.ID, b.ID); err != nil {
			t.Fatalf("applying again: %v", err)
		}
		got, _ := w.svc.Get(ctx, w.agent, pr.ID)
		if got.Incidents != 2 {
			t.Fatalf("after applying twice, %d incidents linked, want 2", got.Incidents)
		}
		// The requester sees no work note.
		rb, _ := w.inc.Journal(ctx, w.reqB, b.ID)
		for _, e := range rb {
			if e.Kind == "work_note" {
				t.Fatalf("requester sees the work note")
			}
		}
		// A missing incident is not found and changes nothing.
		_, err = w.svc.ApplyWorkaround(ctx, w.agent, pr.ID, 999999)
		fieldErr(t, err, "incident")
	})
}

func TestKnownErrorSearchAndSuggestions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		dbErr := w.knownError(t, problem.NewProblem{Title: "Database connections exhausted", CIIDs: []int64{w.ciDB}},
			"Pool size too small.", "Recycle the application pool.")
		mailErr := w.knownError(t, problem.NewProblem{Title: "Mail delivery delayed", ServiceIDs: []int64{w.service}, Category: "Email"},
			"Greylisting on the relay.", "Resend after ten minutes.")
		w.open(t, problem.NewProblem{Title: "Database backups slow", CIIDs: []int64{w.ciDB}}) // not a known error

		check := func(f problem.KnownErrorFilter, want ...string) {
			t.Helper()
			got, err := w.svc.KnownErrors(ctx, w.agent, f)
			if err != nil {
				t.Fatal(err)
			}
			var nums []string
			for _, p := range got {
				nums = append(nums, p.Number)
			}
			if strings.Join(nums, ",") != strings.Join(want, ",") {
				t.Fatalf("%+v: got %v, want %v", f, nums, want)
			}
		}
		check(problem.KnownErrorFilter{}, mailErr.Number, dbErr.Number)
		check(problem.KnownErrorFilter{Query: "database"}, dbErr.Number)
		check(problem.KnownErrorFilter{Query: "recycle pool"}, dbErr.Number)
		check(problem.KnownErrorFilter{CIID: w.ciDB}, dbErr.Number)
		check(problem.KnownErrorFilter{ServiceID: w.service}, mailErr.Number)
		check(problem.KnownErrorFilter{CIID: w.ciWeb})

		inc := w.incident(t, "Users cannot open the CRM", w.custA)
		w.linkCI(t, inc.ID, w.ciDB)
		sugg, err := w.svc.Suggest(ctx, w.agent, inc)
		if err != nil || len(sugg) != 1 || sugg[0].Number != dbErr.Number || sugg[0].Reasons[0] != "same CI" {
			t.Fatalf("suggestions by CI: %v %+v", err, sugg)
		}
		svc := w.service
		byWords, err := w.inc.Create(ctx, w.agent, incident.NewIncident{Title: "Delivery of mail delayed for sales", ServiceID: &svc}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sugg, err = w.svc.Suggest(ctx, w.agent, byWords)
		if err != nil || len(sugg) != 1 || sugg[0].Number != mailErr.Number || sugg[0].Reasons[0] != "same service" {
			t.Fatalf("suggestions by service: %v %+v", err, sugg)
		}
		words := w.incident(t, "Mail delivery to partners delayed", w.custA)
		sugg, err = w.svc.Suggest(ctx, w.agent, words)
		if err != nil || len(sugg) != 1 || sugg[0].Number != mailErr.Number || sugg[0].Reasons[0] != "matching words" {
			t.Fatalf("suggestions by words: %v %+v", err, sugg)
		}
	})
}

func TestTrendsAndRecurrence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		now := time.Now().UTC()
		var ids []int64
		for i := 0; i < 4; i++ {
			inc := w.incident(t, "Database timeout", w.custA)
			w.linkCI(t, inc.ID, w.ciDB)
			ids = append(ids, inc.ID)
		}
		w.linkCI(t, w.incident(t, "Web page slow", w.custA).ID, w.ciWeb)
		// One of the four is three weeks old.
		if _, err := e.DB.Exec(ctx, "UPDATE incidents SET created_at = ? WHERE id = ?", store.TS(now.AddDate(0, 0, -21)), ids[0]); err != nil {
			t.Fatal(err)
		}
		rep, err := w.svc.Trends(ctx, w.agent, 8, 3, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Groups) != 1 || rep.Groups[0].Dimension != problem.ByCI || rep.Groups[0].Label != "db-01" || rep.Groups[0].Total != 4 {
			t.Fatalf("trends: %+v", rep.Groups)
		}
		g := rep.Groups[0]
		if len(g.Weeks) != 8 || g.Weeks[7] != 3 || g.Weeks[4] != 1 || g.Unlinked != 4 {
			t.Fatalf("weeks %v, unlinked %d", g.Weeks, g.Unlinked)
		}
		if _, err := w.svc.Trends(ctx, w.agent, 0, 3, now); err == nil {
			t.Fatal("0 weeks accepted")
		}
		var refs []string
		for _, id := range g.Incidents {
			refs = append(refs, incident.FormatNumber(id))
		}
		pr := w.open(t, problem.NewProblem{Title: "Database timeouts recur", CIIDs: []int64{w.ciDB}, Incidents: refs})
		rep, _ = w.svc.Trends(ctx, w.agent, 8, 3, now)
		if rep.Groups[0].Unlinked != 0 {
			t.Fatalf("after opening the problem, %d unlinked", rep.Groups[0].Unlinked)
		}
		if _, ok, _ := w.svc.RecurrenceOf(ctx, w.agent, pr, now); ok {
			t.Fatal("recurrence before any fix")
		}
		for _, s := range []problem.State{problem.Investigating, problem.Resolved} {
			if pr, err = w.svc.Update(ctx, w.agent, pr.ID, problem.Patch{State: ptr(s), RootCause: ptr("Lock contention.")}, 0); err != nil {
				t.Fatal(err)
			}
		}
		// Resolved ten days ago: three incidents in the ten days before, one after.
		resolved := now.AddDate(0, 0, -10)
		pr.ResolvedAt = &resolved
		for i, at := range []time.Time{now.AddDate(0, 0, -12), now.AddDate(0, 0, -11), now.AddDate(0, 0, -15), now.AddDate(0, 0, -2)} {
			if _, err := e.DB.Exec(ctx, "UPDATE incidents SET created_at = ? WHERE id = ?", store.TS(at), ids[i]); err != nil {
				t.Fatal(err)
			}
		}
		r, ok, err := w.svc.RecurrenceOf(ctx, w.agent, pr, now)
		if err != nil || !ok || r.Days != 11 || r.Before != 3 || r.After != 1 {
			t.Fatalf("recurrence: %v %v %+v", err, ok, r)
		}
	})
}

func TestOverview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		a, _ := w.incident(t, "A", w.custA), w.incident(t, "B", w.custA)
		w.knownError(t, problem.NewProblem{Title: "Known", Incidents: []string{a.Number}}, "cause", "workaround")
		closed := w.open(t, problem.NewProblem{Title: "Done"})
		for _, s := range []problem.State{problem.Investigating, problem.Resolved, problem.Closed} {
			if _, err := w.svc.Update(ctx, w.agent, closed.ID, problem.Patch{State: ptr(s), RootCause: ptr("c")}, 0); err != nil {
				t.Fatal(err)
			}
		}
		o, err := w.svc.Overview(ctx, w.auditor, 4, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		last := o.Weeks[len(o.Weeks)-1]
		if len(o.Weeks) != 4 || last.Opened != 2 || last.Closed != 1 || o.KnownErrors != 1 || o.Open != 1 {
			t.Fatalf("overview: %+v", o)
		}
		if o.Incidents != 2 || o.LinkedKnownError != 1 || o.SharePercent() != 50 {
			t.Fatalf("share: %+v", o)
		}
	})
}
