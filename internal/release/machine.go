package release

import (
	"context"

	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Machine is a release's life as a table. A release is planned, built,
// tested and deployed, then closed; it may be cancelled until it is
// deployed. Testing may send it back to building, and a deployment that
// went wrong may send it back to testing. Moving to deploying needs the
// acceptance criteria and the test results written down.
var Machine = record.Machine{
	States: []string{string(Planned), string(Building), string(Testing), string(Deploying), string(Deployed),
		string(Closed), string(Cancelled)},
	Open: []string{string(Planned), string(Building), string(Testing), string(Deploying), string(Deployed)},
	Moves: []record.Move{
		{From: string(Planned), Action: "build", To: string(Building)},
		{From: string(Planned), Action: "cancel", To: string(Cancelled)},
		{From: string(Building), Action: "test", To: string(Testing)},
		{From: string(Building), Action: "cancel", To: string(Cancelled)},
		{From: string(Testing), Action: "rebuild", To: string(Building)},
		{From: string(Testing), Action: "deploy", To: string(Deploying), Requires: []string{"acceptance_criteria", "test_results"}},
		{From: string(Testing), Action: "cancel", To: string(Cancelled)},
		{From: string(Deploying), Action: "complete", To: string(Deployed)},
		{From: string(Deploying), Action: "retest", To: string(Testing)},
		{From: string(Deploying), Action: "cancel", To: string(Cancelled)},
		{From: string(Deployed), Action: "close", To: string(Closed)},
	},
}

// Guard is a rule a move must pass besides the table: it reads the
// release's deployments.
type Guard struct {
	From, To State
	Rule     string // what the rule asks, for docs and messages
	check    func(ds []Deployment) string
}

// Guards are the rules on the deployments:
//   - deploying -> deployed needs at least one deployment whose
//     verification passed and that was not rolled back;
//   - deploying -> cancelled and deployed -> closed need every failed
//     deployment rolled back;
//   - deployed -> closed also needs no deployment still pending
//     verification (verify it, or roll it back).
var Guards = []Guard{
	{From: Deploying, To: Deployed, Rule: "at least one deployment verified as passed and not rolled back", check: needVerified},
	{From: Deploying, To: Cancelled, Rule: "every failed deployment rolled back", check: needFailedRolledBack},
	{From: Deployed, To: Closed, Rule: "every failed deployment rolled back and none pending verification", check: needSettled},
}

func needVerified(ds []Deployment) string {
	for _, d := range ds {
		if d.Verification == Passed && !d.RolledBack() {
			return ""
		}
	}
	return "a release is deployed only when at least one of its deployments is verified as passed (and not rolled back)"
}

func needFailedRolledBack(ds []Deployment) string {
	for _, d := range ds {
		if d.Verification == Failed && !d.RolledBack() {
			return "the deployment to " + d.Environment + " on " + d.CIName + " failed verification and has no rollback record: record its rollback first"
		}
	}
	return ""
}

func needSettled(ds []Deployment) string {
	if msg := needFailedRolledBack(ds); msg != "" {
		return msg
	}
	for _, d := range ds {
		if d.Verification == Pending && !d.RolledBack() {
			return "the deployment to " + d.Environment + " on " + d.CIName + " is still pending verification: verify it or roll it back first"
		}
	}
	return ""
}

// checkGuards refuses, with a conflict, a move whose guard fails.
func checkGuards(ctx context.Context, q store.Querier, id int64, from, to State) error {
	for _, g := range Guards {
		if g.From != from || g.To != to {
			continue
		}
		ds, err := deployments(ctx, q, id)
		if err != nil {
			return err
		}
		if msg := g.check(ds); msg != "" {
			return domainerr.Conflictf("%s", msg)
		}
	}
	return nil
}

// deploysIn lists the states in which deployments are recorded and
// verified: from testing (deployments to test environments) until the
// release is deployed.
var deploysIn = []State{Testing, Deploying, Deployed}

// scopedIn lists the states in which changes may join or leave a release:
// until it is being deployed, when its scope is fixed.
var scopedIn = []State{Planned, Building, Testing}

func (s State) in(list []State) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s State) valid() bool {
	for _, x := range Machine.States {
		if x == string(s) {
			return true
		}
	}
	return false
}

// Final reports whether a release in state s can no longer change.
func (s State) Final() bool { return Machine.Final(string(s)) }

// Next lists where a person may move a release in state s.
func Next(s State) []State {
	var out []State
	for _, n := range Machine.Next(string(s)) {
		out = append(out, State(n))
	}
	return out
}
