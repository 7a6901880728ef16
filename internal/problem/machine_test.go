package problem_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"steward/internal/domainerr"
	"steward/internal/problem"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// moveFields give every field a move of the table may require.
var moveFields = map[string]func(*problem.Patch){
	"root_cause": func(p *problem.Patch) { p.RootCause = ptr("The connection pool is too small for the nightly batch.") },
	"workaround": func(p *problem.Patch) { p.Workaround = ptr("Restart the batch after 02:00.") },
}

// pathTo finds the states from the first one to target, using the table.
func pathTo(target string) []string {
	m := problem.Machine
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

// moveTo patches problem id from -> to with every field the table asks
// for, but skip, which it gives empty.
func moveTo(w *world, id int64, from, to, skip string) error {
	pt := problem.Patch{State: ptr(problem.State(to))}
	if mv, ok := problem.Machine.Move(from, to); ok {
		for _, f := range mv.Requires {
			moveFields[f](&pt)
		}
		switch skip {
		case "root_cause":
			pt.RootCause = ptr("")
		case "workaround":
			pt.Workaround = ptr("")
		}
	}
	_, err := w.svc.Update(context.Background(), w.agent, id, pt, 0)
	return err
}

func TestMachineTableIsSound(t *testing.T) {
	if err := problem.Machine.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, s := range problem.States {
		if len(pathTo(string(s))) == 0 && s != problem.New {
			t.Errorf("state %s cannot be reached", s)
		}
	}
}

// Every state x every target: the table's moves work with their fields
// and fail without each of them; every other move is a conflict; and a
// failed move changes nothing.
func TestEveryStateAndMove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		for _, from := range problem.Machine.States {
			for _, to := range problem.Machine.States {
				if from == to {
					continue
				}
				t.Run(from+"->"+to, func(t *testing.T) {
					pr := w.open(t, problem.NewProblem{Title: fmt.Sprintf("%s to %s", from, to)})
					cur := string(problem.New)
					for _, s := range pathTo(from) {
						if err := moveTo(w, pr.ID, cur, s, ""); err != nil {
							t.Fatalf("reaching %s: %v", s, err)
						}
						cur = s
					}
					before, _ := w.svc.Get(ctx, w.admin, pr.ID)
					mv, legal := problem.Machine.Move(from, to)
					if legal {
						for _, f := range mv.Requires {
							err := moveTo(w, pr.ID, from, to, f)
							var inv *domainerr.Invalid
							if !errors.As(err, &inv) || !inv.Has(f) {
								t.Fatalf("without %s: got %v, want a message on %s", f, err, f)
							}
						}
					}
					err := moveTo(w, pr.ID, from, to, "")
					after, _ := w.svc.Get(ctx, w.admin, pr.ID)
					switch {
					case legal && err != nil:
						t.Fatalf("legal move refused: %v", err)
					case legal && string(after.State) != to:
						t.Fatalf("state is %s, want %s", after.State, to)
					case !legal && !errors.Is(err, store.ErrConflict):
						t.Fatalf("illegal move: got %v, want a conflict", err)
					case !legal && after.Version != before.Version:
						t.Fatalf("a refused move changed the problem (version %d -> %d)", before.Version, after.Version)
					}
				})
			}
		}
	})
}
