package change

import "steward/internal/auth"

// The permissions change management declares, with the roles that hold
// them by default. Holding PermApprove makes a person able to decide; which
// changes they decide on is chosen by the approval policy (their board).
var (
	PermRead          = auth.Declare("change:read", "Read changes, their approvals and the standard change catalogue", auth.Admin, auth.Agent, auth.Auditor)
	PermCreate        = auth.Declare("change:create", "Raise changes", auth.Admin, auth.Agent)
	PermUpdate        = auth.Declare("change:update", "Work changes: plan, assess, schedule, implement and review them", auth.Admin, auth.Agent)
	PermApprove       = auth.Declare("change:approve", "Approve or reject the changes one's board decides on", auth.Admin, auth.Agent)
	PermTemplateWrite = auth.Declare("change:template_write", "Keep the standard change catalogue and the approval policy", auth.Admin)
)
