package mailin

import (
	"net/mail"
	"strings"

	gomail "github.com/emersion/go-message/mail"
)

// senderVerified reports whether the From address of a message may be
// believed: From is only what the sender wrote, and anyone can write any
// address there. It is believed when
//
//   - the topmost Authentication-Results header (the one the receiving
//     side added last, above anything the sender wrote) says dmarc=pass
//     for the From domain, or
//   - the envelope sender (SMTP's MAIL FROM; for a message read from the
//     mailbox, the Return-Path header its server wrote on delivery) is at
//     the From domain or one of its subdomains, which the relay checked
//     with SPF.
//
// Both rest on the relay or mail server in front of Steward: it must
// check senders (SPF, DMARC) and refuse or mark what fails.
func senderVerified(d Delivery, m *Message) bool {
	from := domainOf(m.From)
	if from == "" {
		return false
	}
	if dmarcPass(m.Header, from) {
		return true
	}
	envelope := d.EnvelopeFrom
	if d.Via != "smtp" {
		envelope = returnPath(m.Header)
	}
	env := domainOf(envelope)
	return env != "" && (env == from || strings.HasSuffix(env, "."+from))
}

// domainOf is the domain of an address, lower case, or "".
func domainOf(addr string) string {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	i := strings.LastIndexByte(addr, '@')
	if i < 0 || i == len(addr)-1 {
		return ""
	}
	return strings.TrimSuffix(addr[i+1:], ".")
}

// returnPath is the address of the topmost Return-Path header, or "".
func returnPath(h gomail.Header) string {
	v := strings.TrimSpace(h.Get("Return-Path"))
	if a, err := mail.ParseAddress(v); err == nil {
		return a.Address
	}
	return strings.Trim(v, "<> ")
}

// dmarcPass reports whether the topmost Authentication-Results header
// records dmarc=pass, for fromDomain when it names the domain it checked.
// Only the topmost counts: headers further down may be the sender's own.
func dmarcPass(h gomail.Header, fromDomain string) bool {
	v := h.Get("Authentication-Results")
	if v == "" {
		return false
	}
	for _, clause := range strings.Split(stripComments(v), ";") {
		words := strings.Fields(strings.ToLower(clause))
		if len(words) == 0 || words[0] != "dmarc=pass" {
			continue
		}
		checked := ""
		for _, w := range words[1:] {
			if d, ok := strings.CutPrefix(w, "header.from="); ok {
				checked = strings.Trim(d, `"`)
			}
		}
		if checked == "" || checked == fromDomain {
			return true
		}
	}
	return false
}

// stripComments removes the (comments) of a structured header.
func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}
