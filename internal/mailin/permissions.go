package mailin

import "steward/internal/auth"

// The permissions of incoming mail. Agents read the log and decide on
// held messages; administrators keep the address map and the settings.
var (
	PermRead  = auth.Declare("mailin:read", "See the log of incoming e-mail and accept or discard held messages", auth.Admin, auth.Agent)
	PermAdmin = auth.Declare("mailin:admin", "Keep the incoming-mail address map and settings", auth.Admin)
)
