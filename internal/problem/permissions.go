package problem

import "steward/internal/auth"

// The permissions problem management declares, with the roles that hold
// them by default. Agents find and apply known errors and open problems
// from what they see recurring; working a problem (investigating it,
// recording its root cause and workaround, resolving and closing it) is
// for the agents and administrators who manage problems. Auditors read.
var (
	PermRead   = auth.Declare("problem:read", "Read problems and the known-error database", auth.Admin, auth.Agent, auth.Auditor)
	PermCreate = auth.Declare("problem:create", "Open problems, from recurring incidents or by hand", auth.Admin, auth.Agent)
	PermUpdate = auth.Declare("problem:update", "Work problems: investigate, record root cause and workaround, link incidents, resolve and close", auth.Admin, auth.Agent)
)
