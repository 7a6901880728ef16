package request

import "steward/internal/auth"

// The permissions request fulfilment declares, with the roles that hold
// them by default. Whether a requester sees a given request is decided on
// the request itself (their own, or their organisation's).
var (
	PermRead     = auth.Declare("request:read", "Read service requests", auth.Admin, auth.Agent, auth.Requester, auth.Auditor)
	PermCreate   = auth.Declare("request:create", "Raise service requests", auth.Admin, auth.Agent, auth.Requester)
	PermUpdate   = auth.Declare("request:update", "Work service requests and their tasks", auth.Admin, auth.Agent)
	PermComment  = auth.Declare("request:comment", "Comment on service requests", auth.Admin, auth.Agent, auth.Requester)
	PermWorkNote = auth.Declare("request:work_note", "Write staff-only work notes on requests", auth.Admin, auth.Agent)
	// PermApprove lets a user decide the approvals of requests; whether
	// this user is an approver of a given request is checked on the
	// request itself.
	PermApprove = auth.Declare("request:approve", "Decide approvals addressed to oneself", auth.Admin, auth.Agent, auth.Requester)
	// The request catalogue: what can be requested from each service, with
	// its forms (the service catalogue is service:read/write).
	PermCatalogRead  = auth.Declare("request_catalog:read", "Read the request catalogue", auth.Admin, auth.Agent, auth.Requester, auth.Auditor)
	PermCatalogWrite = auth.Declare("request_catalog:write", "Change the request catalogue and its forms", auth.Admin)
)
