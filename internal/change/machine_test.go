package change_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/domainerr"
	"steward/internal/store/storetest"
)

// moveFields gives valid values for every field a move may require.
var moveFields = map[string]func(w *world, pt *change.Patch, slot int){
	"description":   func(w *world, pt *change.Patch, _ int) { pt.Description = ptr("Patch the kernel") },
	"justification": func(w *world, pt *change.Patch, _ int) { pt.Justification = ptr("Security advisory") },
	"ci_ids":        func(w *world, pt *change.Patch, _ int) { pt.CIIDs = &[]int64{w.ci1} },
	"planned_start": func(w *world, pt *change.Patch, slot int) {
		pt.PlannedStart.Set, pt.PlannedStart.V = true, w.start.Add(time.Duration(slot)*24*time.Hour)
	},
	"planned_end": func(w *world, pt *change.Patch, slot int) {
		pt.PlannedEnd.Set, pt.PlannedEnd.V = true, w.start.Add(time.Duration(slot)*24*time.Hour+2*time.Hour)
	},
	"risk_answers":        func(w *world, pt *change.Patch, _ int) { pt.RiskAnswers = answers() },
	"implementation_plan": func(w *world, pt *change.Patch, _ int) { pt.ImplementationPlan = ptr("1. drain 2. patch 3. reboot") },
	"test_plan":           func(w *world, pt *change.Patch, _ int) { pt.TestPlan = ptr("Smoke tests") },
	"backout_plan":        func(w *world, pt *change.Patch, _ int) { pt.BackoutPlan = ptr("Boot the previous kernel") },
	"outcome":             func(w *world, pt *change.Patch, _ int) { pt.Outcome = ptr(change.Successful) },
}

// paths are how a change of each type reaches each state through people's
// moves and its board's decisions ("approve" and "reject" are decisions).
var paths = map[string]map[string][]string{
	change.Normal: {
		change.Draft: {}, change.Assessment: {"assessment"}, change.Approval: {"assessment", "approval"},
		change.Scheduled:    {"assessment", "approval", "approve", "scheduled"},
		change.Implementing: {"assessment", "approval", "approve", "scheduled", "implementing"},
		change.Review:       {"assessment", "approval", "approve", "scheduled", "implementing", "review"},
		change.Closed:       {"assessment", "approval", "approve", "scheduled", "implementing", "review", "closed"},
		change.Rejected:     {"assessment", "approval", "reject"},
		change.Cancelled:    {"cancelled"},
	},
	change.Standard: {
		change.Draft: {}, change.Assessment: {"assessment"}, change.Scheduled: {"assessment", "scheduled"},
		change.Implementing: {"assessment", "scheduled", "implementing"},
		change.Review:       {"assessment", "scheduled", "implementing", "review"},
		change.Closed:       {"assessment", "scheduled", "implementing", "review", "closed"},
		change.Cancelled:    {"cancelled"},
	},
}

func init() { paths[change.Emergency] = paths[change.Normal] }

// move patches change id from -> to with every field the table asks for,
// leaving out skip.
func (w *world) move(ctx context.Context, id int64, from, to, skip string, slot int) error {
	pt := change.Patch{State: ptr(to)}
	if mv, ok := change.Machine.Move(from, to); ok {
		for _, f := range mv.Requires {
			if f != skip {
				moveFields[f](w, &pt, slot)
			}
		}
	}
	if to == change.Closed {
		pt.Review = ptr("Went as planned.")
	}
	_, err := w.svc.Update(ctx, w.planner, id, pt, 0)
	return err
}

// reach walks change c to state target along its type's path.
func (w *world) reach(t *testing.T, c change.Change, target string, slot int) {
	t.Helper()
	ctx := context.Background()
	cur := c.State
	for _, step := range paths[c.Type][target] {
		var err error
		switch step {
		case "approve":
			_, err = w.svc.Decide(ctx, w.member1, c.ID, "approve", "Fine by me")
		case "reject":
			for _, m := range []*auth.Principal{w.member1, w.member2, w.member3} {
				if _, err = w.svc.Decide(ctx, m, c.ID, "reject", "Not now"); err != nil {
					break
				}
			}
			cur = change.Rejected
		default:
			err = w.move(ctx, c.ID, cur, step, "", slot)
			cur = step
		}
		if err != nil {
			t.Fatalf("reaching %s through %s: %v", target, step, err)
		}
	}
}

// Every pair of states for every type, tried through the service: a move
// succeeds exactly when the table has it for people and its guard lets it
// through; each field the table requires is refused by name when missing;
// a refused move leaves the change as it was.
func TestChangeMachineFromTable(t *testing.T) {
	if err := change.Machine.Validate(); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.policy(t, "emergency", "", "any")
		tpl := w.template(t, "Rotate certificates", true)
		slot := 0
		for _, typ := range change.Types {
			for _, from := range change.Machine.States {
				if _, ok := paths[typ][from]; !ok {
					continue // a standard change never goes to a board
				}
				for _, to := range change.Machine.States {
					if from == to {
						continue
					}
					slot++
					t.Run(typ+"/"+from+"→"+to, func(t *testing.T) {
						in := change.NewChange{Title: fmt.Sprintf("%s %s to %s", typ, from, to), Type: typ}
						if typ == change.Standard {
							in.TemplateID = &tpl.ID
						}
						c := w.create(t, w.planner, in)
						w.reach(t, c, from, slot)
						mv, inTable := change.Machine.Move(from, to)
						approved := typ == change.Standard || slices.Contains([]string{change.Scheduled, change.Implementing, change.Review, change.Closed}, from)
						legal := inTable && mv.By == ""
						switch {
						case mv.Action == "request_approval":
							legal = legal && typ != change.Standard
						case mv.Action == "schedule", to == change.Implementing:
							legal = legal && approved
						}
						if legal && typ != change.Standard {
							for _, f := range mv.Requires {
								err := w.move(ctx, c.ID, from, to, f, slot)
								var inv *domainerr.Invalid
								if !errors.As(err, &inv) || !inv.Has(f) {
									t.Fatalf("%s -> %s without %s: %v", from, to, f, err)
								}
							}
						}
						before, _ := w.svc.Get(ctx, w.planner, c.ID)
						err := w.move(ctx, c.ID, from, to, "", slot)
						switch {
						case legal && err != nil:
							t.Fatalf("the table allows %s -> %s (%s) but the service refused: %v", from, to, mv.Action, err)
						case !legal && err == nil:
							t.Fatalf("the table has no %s -> %s for a %s change but the service allowed it", from, to, typ)
						}
						got, _ := w.svc.Get(ctx, w.planner, c.ID)
						if want := map[bool]string{true: to, false: from}[legal]; got.State != want {
							t.Fatalf("after %s -> %s the change is %s, want %s", from, to, got.State, want)
						}
						if !legal && got.Version != before.Version {
							t.Fatalf("a refused move changed the change (version %d -> %d)", before.Version, got.Version)
						}
					})
				}
			}
		}
	})
}
