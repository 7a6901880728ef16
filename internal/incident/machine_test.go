package incident_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/store/storetest"
)

// valid values for every field a move of the table may require.
var moveFields = map[string]func(*incident.Patch){
	"hold_reason":      func(p *incident.Patch) { p.HoldReason = ptr("awaiting_supplier") },
	"resolution_code":  func(p *incident.Patch) { p.ResolutionCode = ptr("fixed") },
	"resolution_notes": func(p *incident.Patch) { p.ResolutionNotes = ptr("Replaced the part.") },
}

// pathTo finds moves from the first state to target, using the table.
func pathTo(target string) []string {
	m := incident.Machine
	prev := map[string]string{m.States[0]: ""}
	queue := []string{m.States[0]}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range m.Next(s) {
			if _, seen := prev[n]; !seen {
				prev[n] = s
				queue = append(queue, n)
			}
		}
	}
	var path []string
	for s := target; s != m.States[0]; s = prev[s] {
		path = append([]string{s}, path...)
	}
	return path
}

// moveTo patches inc into state to with every field the table asks for.
func moveTo(ctx context.Context, w *world, id int64, from, to string, skip string) error {
	pt := incident.Patch{State: ptr(incident.State(to))}
	if mv, ok := incident.Machine.Move(from, to); ok {
		for _, f := range mv.Requires {
			if f != skip {
				moveFields[f](&pt)
			}
		}
	}
	_, err := w.svc.Update(ctx, w.agent, id, pt, 0)
	return err
}

// Every pair of states, tried through the service: a move succeeds
// exactly when the table has it, and each field the table says a move
// needs is refused by name when it is missing.
func TestIncidentMachineFromTable(t *testing.T) {
	if err := incident.Machine.Validate(); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		for _, from := range incident.Machine.States {
			for _, to := range incident.Machine.States {
				if from == to {
					continue
				}
				t.Run(from+"→"+to, func(t *testing.T) {
					inc := w.create(t, w.agent, incident.NewIncident{Title: fmt.Sprintf("%s to %s", from, to)})
					cur := string(inc.State)
					for _, s := range pathTo(from) {
						if err := moveTo(ctx, w, inc.ID, cur, s, ""); err != nil {
							t.Fatalf("reaching %s through %s: %v", from, s, err)
						}
						cur = s
					}
					mv, legal := incident.Machine.Move(from, to)
					for _, f := range mv.Requires {
						err := moveTo(ctx, w, inc.ID, from, to, f)
						var inv *domainerr.Invalid
						if !errors.As(err, &inv) || !inv.Has(f) {
							t.Fatalf("%s -> %s without %s: %v", from, to, f, err)
						}
					}
					err := moveTo(ctx, w, inc.ID, from, to, "")
					switch {
					case legal && err != nil:
						t.Fatalf("the table allows %s -> %s (%s) but the service refused: %v", from, to, mv.Action, err)
					case !legal && err == nil:
						t.Fatalf("the table has no %s -> %s but the service allowed it", from, to)
					}
					got, gerr := w.svc.Get(ctx, w.agent, inc.ID)
					if gerr != nil {
						t.Fatal(gerr)
					}
					if want := map[bool]string{true: to, false: from}[legal]; string(got.State) != want {
						t.Fatalf("after %s -> %s the incident is %s, want %s", from, to, got.State, want)
					}
				})
			}
		}
	})
}
