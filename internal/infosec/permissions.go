package infosec

import "steward/internal/auth"

// The permissions information security declares, with the roles that hold
// them by default. Holding PermRead is not enough to see a security
// incident: the reader must also be an administrator or a member of a
// security group (see Cleared); anyone else finds none.
var (
	PermRead     = auth.Declare("security-incident:read", "Read security incidents: administrators and members of a security group only", auth.Admin, auth.Agent, auth.Auditor)
	PermWork     = auth.Declare("security-incident:work", "Report and work security incidents: administrators and members of a security group only", auth.Admin, auth.Agent)
	PermGroups   = auth.Declare("security-group:manage", "Mark support groups as security groups", auth.Admin)
	PermControls = auth.Declare("security-control:read", "Read the controls register and the Statement of Applicability", auth.Admin, auth.Agent, auth.Auditor)
	PermControlW = auth.Declare("security-control:write", "Decide controls: applicability, owner, status, risks and evidence", auth.Admin)
	PermExposure = auth.Declare("security-advisory:read", "Read advisories and the devices and services they expose", auth.Admin, auth.Agent, auth.Auditor)
	PermAdvisory = auth.Declare("security-advisory:import", "Import advisory lists", auth.Admin)
)
