package compliance

import "steward/internal/auth"

// The permissions compliance declares. Administrators (the SMS manager)
// and auditors read readiness and export the audit pack; administrators
// run an evaluation and rate clauses themselves. Agents run the desk and
// do not see readiness.
var (
	PermRead     = auth.Declare("compliance:read", "Read readiness: clause statuses, evidence, snapshots and the roadmap", auth.Admin, auth.Auditor)
	PermEvaluate = auth.Declare("compliance:evaluate", "Evaluate the evidence rules now and keep a snapshot", auth.Admin)
	PermAssess   = auth.Declare("compliance:assess", "Record a self-assessment of a clause beside its computed status", auth.Admin)
	PermExport   = auth.Declare("compliance:export", "Export the audit pack and the readiness report", auth.Admin, auth.Auditor)
)
