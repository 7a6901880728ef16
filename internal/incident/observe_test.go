package incident_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/patch"
	"steward/internal/store"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

// recorder is an Observer that keeps what it was told, and proves it is
// called inside the writing transaction by writing a row of its own there.
type recorder struct {
	calls []call
	fail  error
}

type call struct {
	at            time.Time
	before, after *ticket.Snapshot
}

func (r *recorder) TicketChanged(ctx context.Context, tx *store.Tx, at time.Time, before, after *ticket.Snapshot) error {
	if r.fail != nil {
		return r.fail
	}
	r.calls = append(r.calls, call{at, before, after})
	_, err := tx.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		"observed", after.Number+" "+after.State, store.TS(at))
	return err
}

func (r *recorder) last(t *testing.T) call {
	t.Helper()
	if len(r.calls) == 0 {
		t.Fatal("the observer was not called")
	}
	return r.calls[len(r.calls)-1]
}

func TestObserverSeesEveryWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		rec := &recorder{}
		w.svc.Observer = rec
		mail, _, _, _ := w.catalogue(t)

		inc := w.create(t, w.agent, incident.NewIncident{Title: "Mail down", Impact: "high", Urgency: "medium",
			RequesterID: &w.reqA.UserID, GroupID: &w.group, ServiceID: &mail.ID, Category: "email"})
		c := rec.last(t)
		want := ticket.Snapshot{Kind: ticket.Incident, ID: inc.ID, Number: inc.Number, Title: "Mail down", State: "new",
			Priority: "P2", Category: "email", CustomerID: w.custA, ServiceID: mail.ID, GroupID: w.group}
		if len(rec.calls) != 1 || c.before != nil || *c.after != want || !c.at.Equal(inc.CreatedAt) {
			t.Fatalf("create: %d calls, before %v, after %+v at %v", len(rec.calls), c.before, c.after, c.at)
		}

		got := w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.InProgress), AssigneeID: patch.Of(w.agent.UserID)})
		c = rec.last(t)
		if c.before.State != "new" || c.before.AssigneeID != 0 || c.before.Responded ||
			c.after.State != "in_progress" || c.after.AssigneeID != w.agent.UserID || !c.after.Responded || !c.at.Equal(got.UpdatedAt) {
			t.Fatalf("update: before %+v, after %+v at %v", c.before, c.after, c.at)
		}

		n := len(rec.calls)
		if _, err := w.svc.Update(ctx, w.agent, inc.ID, incident.Patch{Title: ptr("Mail down")}, 0); err != nil {
			t.Fatal(err)
		}
		if len(rec.calls) != n {
			t.Fatal("a patch that changes nothing was reported")
		}

		quiet := w.create(t, w.reqA, incident.NewIncident{Title: "Printer jam"})
		if _, err := w.svc.AddComment(ctx, w.reqA, quiet.ID, "Any news?", true, nil); err != nil {
			t.Fatal(err)
		}
		c = rec.last(t)
		if c.before.Responded || c.after.Responded || c.after.Number != quiet.Number {
			t.Fatalf("requester comment: before %+v, after %+v", c.before, c.after)
		}
		if _, err := w.svc.AddComment(ctx, w.agent, quiet.ID, "Internal: toner", false, nil); err != nil {
			t.Fatal(err)
		}
		if c = rec.last(t); c.after.Responded {
			t.Fatal("a work note counted as a response to the requester")
		}
		if _, err := w.svc.AddComment(ctx, w.agent, quiet.ID, "We are on it.", true, nil); err != nil {
			t.Fatal(err)
		}
		if c = rec.last(t); c.before.Responded || !c.after.Responded || c.after.State != "new" {
			t.Fatalf("first public answer by staff: before %+v, after %+v", c.before, c.after)
		}

		w.svc.AutoCloseAfter = time.Nanosecond
		w.update(t, w.agent, inc.ID, incident.Patch{State: ptr(incident.Resolved), ResolutionCode: ptr("fixed"), ResolutionNotes: ptr("Relay restarted")})
		if c = rec.last(t); c.after.State != "resolved" {
			t.Fatalf("resolve: %+v", c.after)
		}
		payload, _ := json.Marshal(map[string]int64{"incident_id": inc.ID})
		if err := w.svc.AutoClose(ctx, jobs.Job{Kind: incident.AutoCloseJob, Payload: payload}); err != nil {
			t.Fatal(err)
		}
		closed, _ := w.svc.Get(ctx, w.agent, inc.ID)
		if c = rec.last(t); c.before.State != "resolved" || c.after.State != "closed" || !c.at.Equal(*closed.ClosedAt) {
			t.Fatalf("auto-close: before %+v, after %+v at %v (closed %v)", c.before, c.after, c.at, closed.ClosedAt)
		}

		created := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Microsecond)
		imported := incident.Incident{Title: "From the old tool", Impact: "low", Urgency: "low", Priority: 5, State: incident.InProgress,
			ReopenCount: 2, CreatedAt: created, UpdatedAt: created.Add(time.Hour), FirstResponseAt: &created, Version: 1}
		err := e.DB.InTx(ctx, func(tx *store.Tx) error { return w.svc.Import(ctx, tx, &imported, w.admin.UserID, nil) })
		if err != nil {
			t.Fatal(err)
		}
		if c = rec.last(t); c.before != nil || c.after.ID != imported.ID || c.after.Reopens != 2 || !c.after.Responded || !c.at.Equal(created) {
			t.Fatalf("import: before %v, after %+v at %v", c.before, c.after, c.at)
		}

		var observed string
		if err := e.DB.QueryRow(ctx, "SELECT value FROM settings WHERE key = 'observed'").Scan(&observed); err != nil {
			t.Fatalf("the observer's own write: %v", err)
		}
		if observed != imported.Number+" in_progress" {
			t.Fatalf("the observer's own write: %q", observed)
		}

		// An observer that fails undoes the write it was told about.
		rec.fail = errors.New("timer store unavailable")
		before := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM incidents")
		if _, err := w.svc.Create(ctx, w.agent, incident.NewIncident{Title: "Lost"}, nil); !errors.Is(err, rec.fail) {
			t.Fatalf("create with a failing observer: %v", err)
		}
		if _, err := w.svc.Update(ctx, w.agent, quiet.ID, incident.Patch{Title: ptr("Renamed")}, 0); !errors.Is(err, rec.fail) {
			t.Fatalf("update with a failing observer: %v", err)
		}
		after := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM incidents")
		still, err := w.svc.Get(ctx, w.agent, quiet.ID)
		if err != nil || after != before || still.Title != "Printer jam" {
			t.Fatalf("writes survived a failing observer: %d -> %d incidents, title %q (%v)", before, after, still.Title, err)
		}
	})
}
