package schedule

import "steward/internal/auth"

// The permissions the change calendar declares. Agents and auditors read
// the schedule; admins (who manage changes) keep freeze periods and
// maintenance windows.
var (
	PermRead  = auth.Declare("schedule:read", "Read the change calendar, freeze periods and maintenance windows, and subscribe to the calendar feed", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite = auth.Declare("schedule:write", "Keep freeze periods and the maintenance windows of services and CIs", auth.Admin)
)
