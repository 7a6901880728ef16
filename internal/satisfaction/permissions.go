package satisfaction

import "steward/internal/auth"

// The permissions satisfaction surveys declare, with the roles that hold
// them by default. Anyone who raises tickets answers the surveys of their
// own (whether a survey is theirs is decided on the survey); staff and
// auditors read the results; administrators set the rules.
var (
	PermAnswer = auth.Declare("satisfaction:answer", "Answer the satisfaction survey of their own resolved tickets", auth.Admin, auth.Agent, auth.Requester)
	PermRead   = auth.Declare("satisfaction:read", "Read satisfaction results by service, group, agent, customer and period", auth.Admin, auth.Agent, auth.Auditor)
	PermAdmin  = auth.Declare("satisfaction:admin", "Set the survey rules, the team leads who follow low ratings up and the complaint target", auth.Admin)
)
