package complaint

import "steward/internal/auth"

// The permissions complaints declare, with the roles that hold them by
// default. Requesters raise complaints and follow their own (or their
// customer's); agents raise them on a customer's behalf and work them;
// auditors read.
var (
	PermRead   = auth.Declare("complaint:read", "Read complaints: requesters their own and their customer's", auth.Admin, auth.Agent, auth.Requester, auth.Auditor)
	PermCreate = auth.Declare("complaint:create", "Raise complaints: requesters their own, agents on a customer's behalf", auth.Admin, auth.Agent, auth.Requester)
	PermUpdate = auth.Declare("complaint:update", "Work complaints: own, investigate, respond and close", auth.Admin, auth.Agent)
	// PermPortal is the requester's own complaints page in the top bar;
	// staff reach complaints through the Service levels menu.
	PermPortal = auth.Declare("complaint:portal", "See My complaints in the top bar", auth.Requester)
)
