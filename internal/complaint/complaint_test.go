package complaint_test

import (
	"context"
	"errors"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Every pair of states is tried from the table: a move the table has
// succeeds with what it requires and is refused without it; any other
// is a conflict.
func TestComplaintMachineExhaustive(t *testing.T) {
	if err := complaint.Machine.Validate(); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		cust, err := org.Customers.Create(ctx, e.DB, audit.System, "Alpha")
		if err != nil {
			t.Fatal(err)
		}
		agentUser, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "a@x.test", Name: "Agent", Role: auth.Agent, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		agent := &auth.Principal{UserID: agentUser.ID, Name: "Agent", Role: auth.Agent}
		svc := complaint.NewService(e.DB, nil)
		// at brings a new complaint to state s along the table.
		path := map[complaint.State][]complaint.Patch{
			complaint.Received:      nil,
			complaint.Investigating: {{State: ptr(complaint.Investigating)}},
			complaint.Responded:     {{State: ptr(complaint.Investigating)}, {State: ptr(complaint.Responded), Response: ptr("Sorry.")}},
		}
		at := func(s complaint.State) complaint.Complaint {
			c, err := svc.Create(ctx, agent, complaint.NewComplaint{Title: "Late", CustomerID: &cust.ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, pt := range path[s] {
				if c, err = svc.Update(ctx, agent, c.ID, pt, 0); err != nil {
					t.Fatal(err)
				}
			}
			return c
		}
		yes := true
		for from := range path {
			for _, to := range complaint.States {
				if to == from {
					continue
				}
				c := at(from)
				mv, ok := complaint.Machine.Move(string(from), string(to))
				_, err := svc.Update(ctx, agent, c.ID, complaint.Patch{State: ptr(to)}, 0)
				var conflict *domainerr.Conflict
				var inv *domainerr.Invalid
				switch {
				case !ok && !errors.As(err, &conflict):
					t.Errorf("%s -> %s is not in the table but gave %v", from, to, err)
				case ok && len(mv.Requires) == 0 && err != nil:
					t.Errorf("%s -> %s: %v", from, to, err)
				case ok && len(mv.Requires) > 0:
					if !errors.As(err, &inv) {
						t.Errorf("%s -> %s without %v: %v", from, to, mv.Requires, err)
						continue
					}
					for _, f := range mv.Requires {
						if !inv.Has(f) {
							t.Errorf("%s -> %s: no message for %s in %v", from, to, f, inv.Fields)
						}
					}
					full := complaint.Patch{State: ptr(to), Response: ptr("Sorry."), Closure: ptr("Settled.")}
					full.Accepted.Set, full.Accepted.V = true, yes
					if got, err := svc.Update(ctx, agent, c.ID, full, 0); err != nil || got.State != to {
						t.Errorf("%s -> %s with what it needs: %v %v", from, to, got.State, err)
					}
				}
			}
		}
		// Closed is final.
		c := at(complaint.Responded)
		full := complaint.Patch{State: ptr(complaint.Closed), Closure: ptr("Settled.")}
		full.Accepted.Set = true
		if _, err := svc.Update(ctx, agent, c.ID, full, 0); err != nil {
			t.Fatal(err)
		}
		var conflict *domainerr.Conflict
		if _, err := svc.Update(ctx, agent, c.ID, complaint.Patch{State: ptr(complaint.Investigating)}, 0); !errors.As(err, &conflict) {
			t.Errorf("reopening a closed complaint: %v", err)
		}
		// Raise inside a caller's transaction, as inbound mail does.
		err = e.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := svc.Raise(ctx, tx, nil, complaint.NewComplaint{Title: "By mail", CustomerID: &cust.ID, Source: "email"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		requester := &auth.Principal{UserID: agentUser.ID + 1000, Role: auth.Requester}
		if _, err := svc.Create(ctx, requester, complaint.NewComplaint{Title: "No customer"}); err == nil {
			t.Error("a requester without a customer raised a complaint")
		}
	})
}

func ptr[T any](v T) *T { return &v }
