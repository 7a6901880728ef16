package incident_test

import (
	"context"
	"errors"
	"testing"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/notify"
	"steward/internal/patch"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// kinds lists the kinds of p's notifications, newest first.
func kinds(t *testing.T, w *world, p *auth.Principal) []string {
	t.Helper()
	list, _, err := notify.List(context.Background(), w.e.DB, p.UserID, notify.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range list {
		out = append(out, n.Kind)
	}
	return out
}

func newest(t *testing.T, w *world, p *auth.Principal) string {
	t.Helper()
	if k := kinds(t, w, p); len(k) > 0 {
		return k[0]
	}
	return ""
}

// A requester confirms a resolution, reopens it with a reason or withdraws
// an open incident, on their organisation's incidents only; the desk may
// answer for them; and each side hears of what asks something of it.
func TestRequesterAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		resolve := func(t *testing.T, id int64) {
			t.Helper()
			w.update(t, w.agent, id, incident.Patch{State: ptr(incident.Resolved), ResolutionCode: ptr("fixed"), ResolutionNotes: ptr("Reset the token.")})
		}

		inc := w.create(t, w.agent, incident.NewIncident{Title: "Token expired", RequesterID: &w.reqA.UserID, AssigneeID: &w.agent.UserID})
		if inc.CreatedByID == nil || *inc.CreatedByID != w.agent.UserID || inc.CreatedByName != w.agent.Name || inc.RequesterName != w.reqA.Name {
			t.Fatalf("raised by %v %q for %q, want the agent for requester A", inc.CreatedByID, inc.CreatedByName, inc.RequesterName)
		}

		t.Run("a hold for the requester tells them, and resolving ends the hold", func(t *testing.T) {
			w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.OnHold), HoldReason: ptr(incident.AwaitingRequester)})
			if got := newest(t, w, w.reqA); got != "incident_awaiting_you" {
				t.Fatalf("requester's newest notification %q, want incident_awaiting_you", got)
			}
			if got := kinds(t, w, w.agent); len(got) != 0 {
				t.Fatalf("the agent was told of their own change: %v", got)
			}
			resolve(t, inc.ID)
			got, _ := w.svc.Get(ctx, w.agent, inc.ID)
			if got.HoldReason != "" {
				t.Fatalf("resolved with the hold reason %q still set", got.HoldReason)
			}
			if k := newest(t, w, w.reqA); k != incident.KindResolved {
				t.Fatalf("requester's newest notification %q, want %s", k, incident.KindResolved)
			}
		})

		t.Run("who may answer", func(t *testing.T) {
			for _, c := range []struct {
				who  *auth.Principal
				want error
			}{{w.reqB, store.ErrNotFound}, {w.auditor, domainerr.ErrForbidden}} {
				if _, err := w.svc.Confirm(ctx, c.who, inc.ID, 0); !errors.Is(err, c.want) {
					t.Errorf("confirm by %s: %v, want %v", c.who.Email, err, c.want)
				}
				if _, err := w.svc.Reopen(ctx, c.who, inc.ID, "Still broken", 0); !errors.Is(err, c.want) {
					t.Errorf("reopen by %s: %v, want %v", c.who.Email, err, c.want)
				}
				if _, err := w.svc.Withdraw(ctx, c.who, inc.ID, "", 0); !errors.Is(err, c.want) {
					t.Errorf("withdraw by %s: %v, want %v", c.who.Email, err, c.want)
				}
			}
			if _, err := w.svc.Update(ctx, w.reqA, inc.ID, incident.Patch{State: ptr(incident.Closed)}, 0); !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("a requester changing the state by patch: %v, want forbidden", err)
			}
			if _, err := w.svc.Withdraw(ctx, w.reqA, inc.ID, "", 0); !isConflict(err) {
				t.Fatalf("withdrawing a resolved incident: %v, want a conflict", err)
			}
			if _, err := w.svc.Confirm(ctx, w.reqA, inc.ID, inc.Version); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("confirming an old version: %v, want stale", err)
			}
		})

		t.Run("reopen needs a reason and tells the assignee", func(t *testing.T) {
			_, err := w.svc.Reopen(ctx, w.reqA, inc.ID, "  ", 0)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || !inv.Has("reason") {
				t.Fatalf("reopen without a reason: %v", err)
			}
			got, err := w.svc.Reopen(ctx, w.reqA, inc.ID, "The token expires again after an hour.", 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != incident.InProgress || got.ReopenCount != 1 || got.ResolutionCode != "" {
				t.Fatalf("after reopen: %s, %d reopens, code %q", got.State, got.ReopenCount, got.ResolutionCode)
			}
			if k := newest(t, w, w.agent); k != "incident_reopened" {
				t.Fatalf("assignee's newest notification %q, want incident_reopened", k)
			}
			journal, _ := w.svc.Journal(ctx, w.reqA, inc.ID)
			if last := journal[len(journal)-1]; last.Body != "The token expires again after an hour." || last.AuthorName != w.reqA.Name {
				t.Fatalf("the reopen's journal entry: %+v", last)
			}
		})

		t.Run("a colleague confirms and the incident closes", func(t *testing.T) {
			resolve(t, inc.ID)
			got, err := w.svc.Confirm(ctx, w.reqA2, inc.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != incident.Closed || got.ClosedAt == nil || got.ResolutionCode != "fixed" {
				t.Fatalf("after confirm: %s, closed at %v, code %q", got.State, got.ClosedAt, got.ResolutionCode)
			}
			if _, err := w.svc.Confirm(ctx, w.reqA, inc.ID, 0); !isConflict(err) {
				t.Fatalf("confirming a closed incident: %v, want a conflict", err)
			}
		})

		t.Run("a requester withdraws an open incident", func(t *testing.T) {
			own := w.create(t, w.reqA, incident.NewIncident{Title: "Printer offline"})
			if _, err := w.svc.Confirm(ctx, w.reqA, own.ID, 0); !isConflict(err) {
				t.Fatalf("confirming an open incident: %v, want a conflict", err)
			}
			if _, err := w.svc.Reopen(ctx, w.reqA, own.ID, "why", 0); !isConflict(err) {
				t.Fatalf("reopening an open incident: %v, want a conflict", err)
			}
			got, err := w.svc.Withdraw(ctx, w.reqA, own.ID, "It came back on by itself.", own.Version)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != incident.Closed || got.ResolutionCode != incident.Withdrawn || got.ResolutionNotes != "It came back on by itself." || got.FirstResponseAt != nil {
				t.Fatalf("after withdraw: %s, %q, %q, first response %v", got.State, got.ResolutionCode, got.ResolutionNotes, got.FirstResponseAt)
			}
		})

		t.Run("the desk answers for a requester", func(t *testing.T) {
			held := w.create(t, w.agent, incident.NewIncident{Title: "Duplicate call", RequesterID: &w.reqB.UserID})
			w.update(t, w.agent, held.ID, incident.Patch{State: ptr(incident.OnHold), HoldReason: ptr("awaiting_supplier")})
			got, err := w.svc.Withdraw(ctx, w.agent2, held.ID, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != incident.Closed || got.HoldReason != "" || got.ResolutionNotes == "" {
				t.Fatalf("withdrawn by the desk: %s, hold %q, notes %q", got.State, got.HoldReason, got.ResolutionNotes)
			}
			again := w.create(t, w.agent, incident.NewIncident{Title: "Screen flickers", RequesterID: &w.reqB.UserID})
			resolve(t, again.ID)
			if got, err := w.svc.Reopen(ctx, w.agent, again.ID, "", 0); err != nil || got.State != incident.InProgress {
				t.Fatalf("the desk reopens without a reason: %v", err)
			}
		})
	})
}

// Public comments reach the other side, never their own author; work
// notes reach nobody.
func TestCommentNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		inc := w.create(t, w.reqA, incident.NewIncident{Title: "VPN drops"})
		w.update(t, w.agent, inc.ID, incident.Patch{AssigneeID: patch.Of(w.agent.UserID)})

		if _, err := w.svc.AddComment(ctx, w.agent, inc.ID, "Internal: check the concentrator", false, nil); err != nil {
			t.Fatal(err)
		}
		if k := kinds(t, w, w.reqA); len(k) != 0 {
			t.Fatalf("a work note notified the requester: %v", k)
		}
		if _, err := w.svc.AddComment(ctx, w.agent, inc.ID, "Which client version do you use?", true, nil); err != nil {
			t.Fatal(err)
		}
		if k := kinds(t, w, w.reqA); len(k) != 1 || k[0] != "incident_comment" {
			t.Fatalf("requester's notifications after the desk's comment: %v", k)
		}
		if k := kinds(t, w, w.agent); len(k) != 0 {
			t.Fatalf("the commenter notified themselves: %v", k)
		}
		if _, err := w.svc.AddComment(ctx, w.reqA, inc.ID, "Version 5.2", true, nil); err != nil {
			t.Fatal(err)
		}
		if k := kinds(t, w, w.reqA); len(k) != 1 {
			t.Fatalf("the requester was told of their own comment: %v", k)
		}
		if k := kinds(t, w, w.agent); len(k) != 1 || k[0] != "incident_comment" {
			t.Fatalf("assignee's notifications after the requester's comment: %v", k)
		}
		if _, err := w.svc.AddComment(ctx, w.reqA2, inc.ID, "Same here on 5.1", true, nil); err != nil {
			t.Fatal(err)
		}
		if k := kinds(t, w, w.reqA); len(k) != 2 {
			t.Fatalf("a colleague's comment should reach the requester: %v", k)
		}
	})
}

func isConflict(err error) bool {
	var c *domainerr.Conflict
	return errors.As(err, &c)
}
