// Package sms keeps the management system's own records: the
// organisation's context and interested parties (4.1, 4.2), the scope
// (4.3), the register of documented information with versions and
// acknowledgements (5.2, 7.3, 7.5), the processes with their owners, RACI
// and interfaces (4.4, 5.3), and staff competence and training (7.2).
package sms

import "steward/internal/auth"

// The permissions the management system declares. Every member of staff
// reads the management system and acknowledges the policies meant for
// them; administrators (the SMS manager) keep its records; auditors read
// everything and conduct internal audits.
var (
	PermRead        = auth.Declare("sms:read", "Read the management system: context, scope, documents, processes, competence, risks, objectives, audits, nonconformities, reviews and improvements", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite       = auth.Declare("sms:write", "Keep the management system's records", auth.Admin)
	PermAudit       = auth.Declare("sms:audit", "Conduct internal audits: record checklist results and evidence, and report", auth.Admin, auth.Auditor)
	PermAcknowledge = auth.Declare("document:acknowledge", "Acknowledge having read a policy or other document", auth.Admin, auth.Agent, auth.Auditor)
)
