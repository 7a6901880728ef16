package incident

import "steward/internal/auth"

// The permissions incident management declares, with the roles that hold
// them by default. Whether a requester sees a given incident is decided on
// the incident itself (their own, or their customer's).
var (
	PermRead     = auth.Declare("incident:read", "Read incidents", auth.Admin, auth.Agent, auth.Requester, auth.Auditor)
	PermCreate   = auth.Declare("incident:create", "Raise incidents", auth.Admin, auth.Agent, auth.Requester)
	PermUpdate   = auth.Declare("incident:update", "Work incidents: assign, change state and priority", auth.Admin, auth.Agent)
	PermComment  = auth.Declare("incident:comment", "Comment on incidents", auth.Admin, auth.Agent, auth.Requester)
	PermWorkNote = auth.Declare("incident:work_note", "Write staff-only work notes on incidents", auth.Admin, auth.Agent)
)
