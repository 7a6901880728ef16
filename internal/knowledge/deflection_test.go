package knowledge_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/incident"
	"steward/internal/knowledge"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// What counts as deflected: the requester opened a suggested article for
// the incident (from its page before it ended, or from the form within
// the hour before raising it) and the incident was resolved or withdrawn.
func TestDeflection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		incs := incident.NewService(e.DB, 0)
		a := w.article(t, w.admin, "Set up or resync your VPN token", "Resync it.", knowledge.Requesters, knowledge.Published)
		raise := func(title string) incident.Incident {
			t.Helper()
			inc, err := incs.Create(ctx, w.reqA, incident.NewIncident{Title: title, Impact: incident.Low, Urgency: incident.Low}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return inc
		}
		end := func(inc incident.Incident, code string) {
			t.Helper()
			state := "resolved"
			if code == incident.Withdrawn {
				state = "closed"
			}
			now := store.TS(time.Now().Add(time.Minute))
			if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "UPDATE incidents SET state = ?, resolution_code = ?, resolved_at = ?, closed_at = ? WHERE id = ?", state, code, now, now, inc.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		// 1: opened from its page, then withdrawn: deflected.
		one := raise("VPN token rejected")
		if _, err := w.svc.View(ctx, w.reqA, a, knowledge.Opened{Incident: one.ID}); err != nil {
			t.Fatal(err)
		}
		end(one, incident.Withdrawn)
		// 2: opened from the form, then raised and resolved: deflected.
		if _, err := w.svc.View(ctx, w.reqA, a, knowledge.Opened{Draft: true}); err != nil {
			t.Fatal(err)
		}
		two := raise("VPN token again")
		end(two, "fixed")
		// 3: opened by an agent from its page: not counted.
		three := raise("VPN token for a colleague")
		if _, err := w.svc.View(ctx, w.agent, a, knowledge.Opened{Incident: three.ID}); err != nil {
			t.Fatal(err)
		}
		// 4: opened by another requester from someone else's incident: not counted.
		if _, err := w.svc.View(ctx, w.reqB, a, knowledge.Opened{Incident: three.ID}); err != nil {
			t.Fatal(err)
		}
		end(three, "fixed")
		// 5: opened from its page but still open: not counted.
		five := raise("VPN token open")
		if _, err := w.svc.View(ctx, w.reqA, a, knowledge.Opened{Incident: five.ID}); err != nil {
			t.Fatal(err)
		}
		d, err := w.svc.Deflected(ctx, time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		// Incident three was raised within the hour after the draft open
		// by the same requester, so it counts through the form as well.
		if d.Tickets != 3 || d.Withdrawn != 1 || d.Resolved != 2 || d.Opens != 3 {
			t.Errorf("deflection %+v, want 3 tickets (1 withdrawn, 2 resolved) from 3 opens", d)
		}
		got, _ := w.svc.Get(ctx, w.admin, a.ID)
		// Views count each person once a day: three openings by the first
		// requester are one view, with the agent's and the other's, three.
		if got.Views != 3 {
			t.Errorf("views %d, want 3", got.Views)
		}
	})
}
