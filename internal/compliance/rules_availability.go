package compliance

import "context"

// Clause 8.7.1: availability measured against the targets agreed per service.

var (
	_ = Register(Rule{ID: "8.7.1-measured", Clause: "8.7.1", Title: "Service availability is measured against targets",
		Todo: "Agree availability targets per service and measure availability against them.",
		Eval: func(context.Context, Input) (Result, error) {
			return noData("Steward does not measure service availability yet: no availability targets or outage records are kept."), nil
		}})
)
