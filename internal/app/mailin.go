package app

// inboundMailArea is incoming mail: the IMAP poller and the SMTP listener
// as runners, the address map, held messages and the log of what came in.
func (a *App) inboundMailArea() area {
	return area{name: "incoming mail"}
}
