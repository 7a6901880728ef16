package release_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"steward/internal/domainerr"
	"steward/internal/release"
	"steward/internal/store/storetest"
)

// moveFields gives valid values for every field a move may require.
var moveFields = map[string]func(*release.Patch){
	"acceptance_criteria": func(p *release.Patch) { p.AcceptanceCriteria = ptr("Search under a second.") },
	"test_results":        func(p *release.Patch) { p.TestResults = ptr("All 42 tests passed.") },
}

// pathTo finds moves from the first state to target, using the table.
func pathTo(target string) []string {
	m := release.Machine
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

func (w *world) moveTo(ctx context.Context, id int64, from, to, skip string) error {
	pt := release.Patch{State: ptr(release.State(to))}
	if mv, ok := release.Machine.Move(from, to); ok {
		for _, f := range mv.Requires {
			if f != skip {
				moveFields[f](&pt)
			}
		}
	}
	_, err := w.svc.Update(ctx, w.admin, id, pt, 0)
	return err
}

// satisfy makes the deployments pass every guard on moves out of state:
// a verified deployment once the release is testing.
func (w *world) satisfy(t *testing.T, id int64, state string) {
	if state == string(release.Testing) {
		w.verify(t, id, w.deploy(t, id, "test").ID, release.Passed)
	}
}

// Every pair of states, tried through the service: a move succeeds exactly
// when the table has it (with its guards satisfied), and each field the
// table says a move needs is refused by name when it is missing.
func TestReleaseMachineFromTable(t *testing.T) {
	if err := release.Machine.Validate(); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		for _, from := range release.Machine.States {
			for _, to := range release.Machine.States {
				if from == to {
					continue
				}
				t.Run(from+"→"+to, func(t *testing.T) {
					rel := w.create(t, fmt.Sprintf("%s to %s", from, to))
					cur := string(rel.State)
					for _, s := range pathTo(from) {
						w.satisfy(t, rel.ID, cur)
						if err := w.moveTo(ctx, rel.ID, cur, s, ""); err != nil {
							t.Fatalf("reaching %s through %s: %v", from, s, err)
						}
						cur = s
					}
					w.satisfy(t, rel.ID, from)
					mv, legal := release.Machine.Move(from, to)
					for _, f := range mv.Requires {
						err := w.moveTo(ctx, rel.ID, from, to, f)
						var inv *domainerr.Invalid
						if !errors.As(err, &inv) || !inv.Has(f) {
							t.Fatalf("%s -> %s without %s: %v", from, to, f, err)
						}
					}
					err := w.moveTo(ctx, rel.ID, from, to, "")
					switch {
					case legal && err != nil:
						t.Fatalf("the table allows %s -> %s (%s) but the service refused: %v", from, to, mv.Action, err)
					case !legal && err == nil:
						t.Fatalf("the table has no %s -> %s but the service allowed it", from, to)
					}
					got, gerr := w.svc.Get(ctx, w.admin, rel.ID)
					if gerr != nil {
						t.Fatal(gerr)
					}
					if want := map[bool]string{true: to, false: from}[legal]; string(got.State) != want {
						t.Fatalf("after %s -> %s the release is %s, want %s", from, to, got.State, want)
					}
				})
			}
		}
	})
}

// Each guard of the table refuses its move with a conflict while its rule
// does not hold, and allows it once it does.
func TestReleaseGuards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		deploying := func(t *testing.T) release.Detail {
			rel := w.create(t, "guarded")
			for _, s := range []string{"building", "testing", "deploying"} {
				cur, _ := w.svc.Get(ctx, w.admin, rel.ID)
				if err := w.moveTo(ctx, rel.ID, string(cur.State), s, ""); err != nil {
					t.Fatal(err)
				}
			}
			return rel
		}
		conflict := func(t *testing.T, err error, what string) {
			t.Helper()
			if !errors.Is(err, domainerr.ErrConflict) {
				t.Fatalf("%s: %v, want a conflict", what, err)
			}
		}
		t.Run("deployed needs a verified deployment", func(t *testing.T) {
			rel := deploying(t)
			conflict(t, w.moveTo(ctx, rel.ID, "deploying", "deployed", ""), "no deployment")
			d := w.deploy(t, rel.ID, "production")
			conflict(t, w.moveTo(ctx, rel.ID, "deploying", "deployed", ""), "pending deployment")
			w.verify(t, rel.ID, d.ID, release.Failed)
			conflict(t, w.moveTo(ctx, rel.ID, "deploying", "deployed", ""), "failed deployment")
			ok := w.deploy(t, rel.ID, "production")
			w.verify(t, rel.ID, ok.ID, release.Passed)
			if _, err := w.svc.UpdateDeployment(ctx, w.admin, rel.ID, ok.ID, release.DeploymentPatch{RollbackReason: ptr("undone")}); err != nil {
				t.Fatal(err)
			}
			conflict(t, w.moveTo(ctx, rel.ID, "deploying", "deployed", ""), "passed but rolled back")
			again := w.deploy(t, rel.ID, "production")
			w.verify(t, rel.ID, again.ID, release.Passed)
			if err := w.moveTo(ctx, rel.ID, "deploying", "deployed", ""); err != nil {
				t.Fatalf("with a verified deployment: %v", err)
			}
			// Closing: the failed one needs its rollback.
			conflict(t, w.moveTo(ctx, rel.ID, "deployed", "closed", ""), "closing with a failed deployment")
			if _, err := w.svc.UpdateDeployment(ctx, w.admin, rel.ID, d.ID, release.DeploymentPatch{RollbackReason: ptr("login loops")}); err != nil {
				t.Fatal(err)
			}
			pending := w.deploy(t, rel.ID, "dr")
			conflict(t, w.moveTo(ctx, rel.ID, "deployed", "closed", ""), "closing with a pending deployment")
			w.verify(t, rel.ID, pending.ID, release.Passed)
			if err := w.moveTo(ctx, rel.ID, "deployed", "closed", ""); err != nil {
				t.Fatalf("closing once settled: %v", err)
			}
			if _, err := w.svc.RecordDeployment(ctx, w.admin, rel.ID, release.NewDeployment{Environment: "test", CIID: w.ci, Version: "2"}, nil); !errors.Is(err, domainerr.ErrConflict) {
				t.Fatalf("deployment on a closed release: %v", err)
			}
		})
		t.Run("cancelling while deploying needs failed deployments rolled back", func(t *testing.T) {
			rel := deploying(t)
			d := w.deploy(t, rel.ID, "production")
			w.verify(t, rel.ID, d.ID, release.Failed)
			conflict(t, w.moveTo(ctx, rel.ID, "deploying", "cancelled", ""), "cancelling with a failed deployment")
			if _, err := w.svc.UpdateDeployment(ctx, w.admin, rel.ID, d.ID, release.DeploymentPatch{RollbackReason: ptr("abandoned")}); err != nil {
				t.Fatal(err)
			}
			if err := w.moveTo(ctx, rel.ID, "deploying", "cancelled", ""); err != nil {
				t.Fatalf("cancelling once rolled back: %v", err)
			}
		})
	})
}
