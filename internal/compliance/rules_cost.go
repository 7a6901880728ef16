package compliance

import "context"

// Clause 8.4.1: service costs budgeted and accounted.

var (
	_ = Register(Rule{ID: "8.4.1-budget", Clause: "8.4.1", Title: "Service costs are budgeted and accounted",
		Todo: "Keep a budget per service and compare the actual costs with it.",
		Eval: func(context.Context, Input) (Result, error) {
			return noData("Steward does not record service budgets or actual costs yet."), nil
		}})
)
