package release

import "steward/internal/auth"

// The permissions release management declares. Agents and auditors read
// releases and deployments; administrators, who act as change managers
// (there is no role of that name), plan releases and record deployments.
var (
	PermRead  = auth.Declare("release:read", "Read releases, their changes and deployments", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite = auth.Declare("release:write", "Plan releases, group changes, record deployments, verifications and rollbacks", auth.Admin)
)
