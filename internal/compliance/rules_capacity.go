package compliance

import "context"

// Clauses 8.4.2 and 8.4.3: demand forecast and followed, capacity planned
// and utilisation followed against thresholds.

var (
	_ = Register(Rule{ID: "8.4.2-demand", Clause: "8.4.2", Title: "Demand for services is forecast and followed",
		Todo: "Forecast demand per service and compare it with consumption.",
		Eval: func(context.Context, Input) (Result, error) {
			return noData("Steward does not record demand forecasts yet."), nil
		}})
	_ = Register(Rule{ID: "8.4.3-capacity", Clause: "8.4.3", Title: "Capacity is planned and utilisation followed",
		Todo: "Keep a capacity plan and follow utilisation against its thresholds.",
		Eval: func(context.Context, Input) (Result, error) {
			return noData("Steward does not record capacity plans or utilisation yet."), nil
		}})
)
