package change

import "steward/internal/record"

// Machine is a change's life. A draft needs only a title and a type; each
// move forward asks for what the next stage needs. Besides the table,
// guards (see guard) keep approval honest: only a standard change goes
// from assessment straight to scheduled, only an approved change is
// scheduled or implemented, and a rejection comes from the board alone.
var Machine = record.Machine{
	States: []string{Draft, Assessment, Approval, Scheduled, Implementing, Review, Closed, Rejected, Cancelled},
	Open:   []string{Draft, Assessment, Approval, Scheduled, Implementing, Review},
	Moves: []record.Move{
		{From: Draft, Action: "submit", To: Assessment, Requires: []string{"description", "justification", "ci_ids", "planned_start", "planned_end"}},
		{From: Draft, Action: "cancel", To: Cancelled},
		{From: Assessment, Action: "request_approval", To: Approval, Requires: []string{"risk_answers", "implementation_plan", "test_plan", "backout_plan"}},
		{From: Assessment, Action: "schedule", To: Scheduled, Requires: []string{"implementation_plan", "test_plan", "backout_plan"}},
		{From: Assessment, Action: "return", To: Draft},
		{From: Assessment, Action: "cancel", To: Cancelled},
		{From: Approval, Action: "schedule", To: Scheduled},
		{From: Approval, Action: "rework", To: Assessment},
		{From: Approval, Action: "reject", To: Rejected, By: "system"},
		{From: Approval, Action: "cancel", To: Cancelled},
		{From: Scheduled, Action: "implement", To: Implementing},
		{From: Scheduled, Action: "cancel", To: Cancelled},
		{From: Implementing, Action: "complete", To: Review, Requires: []string{"outcome"}},
		{From: Review, Action: "close", To: Closed},
	},
}

// Guard is what the table cannot say: whether c may make move mv. It
// returns a 409 refusal or nil. Pages offer only the moves it lets through.
func Guard(c Change, mv record.Move) error {
	switch {
	case mv.Action == "request_approval" && c.Type == Standard:
		return conflictf("%s is a standard change, pre-approved by its template: schedule it instead of asking a board", c.Number)
	case mv.Action == "schedule" && !c.Approved():
		if mv.From == Assessment {
			return conflictf("%s is not pre-approved: only standard changes from an approved template skip the board; ask for approval", c.Number)
		}
		return conflictf("%s is not approved yet: its board has not decided", c.Number)
	case mv.To == Implementing && !c.Approved():
		return conflictf("%s has not been approved and cannot be implemented", c.Number)
	}
	return nil
}
