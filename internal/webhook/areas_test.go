package webhook_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"steward/internal/activity"
	"steward/internal/change"
	"steward/internal/problem"
	"steward/internal/release"
	"steward/internal/store/storetest"
)

// Problems, changes and releases reach a receiver subscribed to their
// kind as signed deliveries, when they are raised and when their state
// moves; a receiver subscribed to one kind gets nothing of the others.
func TestProblemsChangesAndReleasesReachReceivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		problems := problem.NewService(e.DB, w.incidents)
		changes := &change.Service{DB: e.DB}
		releases := release.NewService(e.DB)
		ctx := t.Context()
		for _, tc := range []struct {
			kind    string
			act     func(t *testing.T) (ref string)
			entity  string
			summary string // a part of the summary
			state   [2]string
		}{
			{activity.ProblemCreated, func(t *testing.T) string {
				pr, err := problems.Create(ctx, w.admin, problem.NewProblem{Title: "Printers drop jobs"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return pr.Number
			}, "problem", "Created: Printers drop jobs", [2]string{"", "new"}},
			{activity.ProblemChanged, func(t *testing.T) string {
				pr, err := problems.Create(ctx, w.admin, problem.NewProblem{Title: "Wi-Fi drops"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				to, wa := problem.Investigating, "Reconnect"
				if _, err := problems.Update(ctx, w.admin, pr.ID, problem.Patch{State: &to, Workaround: &wa}, 0); err != nil {
					t.Fatal(err)
				}
				return pr.Number
			}, "problem", "State New → Investigating", [2]string{"new", "investigating"}},
			{activity.ChangeCreated, func(t *testing.T) string {
				c, err := changes.Create(ctx, w.admin, change.NewChange{Title: "Patch the firewall", Type: change.Normal}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return c.Number
			}, "change", "Created: Patch the firewall", [2]string{"", "draft"}},
			{activity.ChangeChanged, func(t *testing.T) string {
				c, err := changes.Create(ctx, w.admin, change.NewChange{Title: "Move the racks", Type: change.Normal}, nil)
				if err != nil {
					t.Fatal(err)
				}
				to := change.Cancelled
				if _, err := changes.Update(ctx, w.admin, c.ID, change.Patch{State: &to}, 0); err != nil {
					t.Fatal(err)
				}
				return c.Number
			}, "change", "State Draft → Cancelled", [2]string{"draft", "cancelled"}},
			{activity.ReleaseCreated, func(t *testing.T) string {
				r, err := releases.Create(ctx, w.admin, release.NewRelease{Title: "Spring release", Type: release.Minor}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return r.Number
			}, "release", "Created: Spring release", [2]string{"", "planned"}},
			{activity.ReleaseChanged, func(t *testing.T) string {
				r, err := releases.Create(ctx, w.admin, release.NewRelease{Title: "Summer release", Type: release.Minor}, nil)
				if err != nil {
					t.Fatal(err)
				}
				to := release.Building
				if _, err := releases.Update(ctx, w.admin, r.ID, release.Patch{State: &to}, 0); err != nil {
					t.Fatal(err)
				}
				return r.Number
			}, "release", "State Planned → Building", [2]string{"planned", "building"}},
		} {
			t.Run(tc.kind, func(t *testing.T) {
				if !slices.Contains(activity.EventKinds, tc.kind) {
					t.Fatalf("%s is not among the kinds a receiver may subscribe to", tc.kind)
				}
				rc := newReceiver(t)
				h := w.subscribe(t, rc.URL+"/hooks", tc.kind)
				ref := tc.act(t)
				w.deliver(t)
				got := rc.delivered()
				if len(got) != 1 {
					t.Fatalf("%d deliveries of %s, want 1: %s", len(got), tc.kind, lastRaw(got))
				}
				r := got[0]
				verify(t, r, h.Secret)
				b := r.body
				if b.Kind != tc.kind || r.header.Get("X-Steward-Event") != tc.kind || b.Entity != tc.entity || b.Ref != ref ||
					!strings.Contains(b.Summary, tc.summary) {
					t.Fatalf("the delivery does not describe %s: %s", ref, r.raw)
				}
				var data struct {
					State   string
					Link    string
					Changes map[string]activity.Change
				}
				if err := json.Unmarshal(b.Data, &data); err != nil {
					t.Fatal(err)
				}
				if data.State != tc.state[1] || data.Link != "/"+tc.entity+"s/"+ref {
					t.Errorf("data: state %q link %q: %s", data.State, data.Link, b.Data)
				}
				if tc.state[0] != "" {
					if ch := data.Changes["state"]; ch.Old != tc.state[0] || ch.New != tc.state[1] {
						t.Errorf("the state move is %+v, want %s → %s", ch, tc.state[0], tc.state[1])
					}
				}
			})
		}
	})
}
