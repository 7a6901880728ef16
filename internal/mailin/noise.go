package mailin

import (
	"net/mail"
	"strings"
)

// noise says why a message must open no ticket and add no comment: an
// automatic reply, a bounce, a mailing list, or Steward's own mail come
// back. It is "" for a message a person wrote. envelopeFrom is the SMTP
// MAIL FROM ("" for the null sender or when unknown).
func noise(m *Message, envelopeFrom string, ownAddress string, viaSMTP bool) string {
	h := m.Header
	switch {
	case isOwnMessageID(m.MessageID):
		return reasonOwn
	case ownAddress != "" && m.From == ownAddress:
		return reasonOwn
	case h.Get("X-Steward-Ref") != "" && h.Get("Auto-Submitted") != "":
		return reasonOwn
	}
	if as := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); as != "" && !strings.HasPrefix(as, "no") {
		return reasonAutoReply
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return reasonAutoReply
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"} {
		if h.Get(k) != "" {
			return reasonAutoReply
		}
	}
	if h.Get("List-Id") != "" || h.Get("List-Unsubscribe") != "" {
		return reasonList
	}
	if m.Report {
		return reasonBounce
	}
	local, _, _ := strings.Cut(m.From, "@")
	switch local {
	case "mailer-daemon", "postmaster":
		return reasonBounce
	case "noreply", "no-reply", "donotreply", "do-not-reply":
		return reasonAutoReply
	}
	if viaSMTP && envelopeFrom == "" {
		return reasonBounce
	}
	return ""
}

// ownAddress is the address of --mail-from, lower case, or "".
func ownAddress(mailFrom string) string {
	if a, err := mail.ParseAddress(mailFrom); err == nil {
		return strings.ToLower(a.Address)
	}
	return ""
}
