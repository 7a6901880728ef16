package compliance

import "context"

// Clause 8.7.2: continuity plans tested against their recovery objectives.

var (
	_ = Register(Rule{ID: "8.7.2-tested", Clause: "8.7.2", Title: "Continuity plans are tested",
		Todo: "Test the continuity plans and record the results against the recovery objectives.",
		Eval: func(context.Context, Input) (Result, error) {
			return noData("Steward does not record continuity tests or their results yet."), nil
		}})
)
