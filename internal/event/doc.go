// Package event is event management for monitoring and device fleets
// (8.6.1 incidents, 8.7.1 availability, 8.7.3 security events). Three
// layers: an event is what a sender sent, immutable and kept for the
// retention period; an alert is one per deduplication key while it is
// active, with counts, first and last seen, severity, state, the CI it is
// bound to and its maintenance flag; an incident is the desk's record,
// opened and grouped from alerts by rules.
//
// Ingest is not a ticket write. Senders and brokers hand events to
// Ingest, which stores them in the events table (the durable inbox) and
// returns; only then is the sender or broker acknowledged. The processor
// reads the inbox in id order, in batches, off the request path, and
// turns events into alerts and incidents in one transaction per batch
// together with its cursor, so each event is processed exactly once.
package event

import "steward/internal/auth"

// The permissions event management declares. Staff watch the alert
// console and map unknown devices; auditors read what staff see and
// change nothing; administrators keep the integrations and the
// processing settings.
var (
	PermRead  = auth.Declare("event:read", "See alerts, events, unmapped devices and integrations", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite = auth.Declare("event:write", "Acknowledge and resolve alerts, and map unknown devices to CIs", auth.Admin, auth.Agent)
	PermAdmin = auth.Declare("event:admin", "Keep integrations (routing keys, brokers) and event processing settings", auth.Admin)
)
