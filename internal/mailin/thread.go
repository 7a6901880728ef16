package mailin

import (
	"regexp"
	"strings"
)

// Steward's own message ids. The format is documented in docs/mail.md:
// a notification about a record carries the thread id
// <steward.{REF}@host> in References and its own Message-ID
// <steward.{REF}.{n}.{rand}@host>, where REF is the record number
// (INC-000123). Replies name one or the other in In-Reply-To or
// References; this parser reads only the record number out of them.
var stewardRef = regexp.MustCompile(`^steward\.([A-Z]+-\d+)(?:\.|@)`)

// subjectRef is a record number in brackets in a subject: "[INC-000123]".
var subjectRef = regexp.MustCompile(`\[([A-Za-z]{2,10}-\d{1,12})\]`)

// ThreadRef is the record number a message answers: from its In-Reply-To,
// then its References (last first, the nearest), then a number in
// brackets in its subject; "" when it answers none.
func ThreadRef(m *Message) string {
	for _, id := range m.InReplyTo {
		if ref := refOfID(id); ref != "" {
			return ref
		}
	}
	for i := len(m.References) - 1; i >= 0; i-- {
		if ref := refOfID(m.References[i]); ref != "" {
			return ref
		}
	}
	if sm := subjectRef.FindStringSubmatch(m.Subject); sm != nil {
		return strings.ToUpper(sm[1])
	}
	return ""
}

// refOfID is the record number in one of Steward's message ids, or "".
func refOfID(id string) string {
	if sm := stewardRef.FindStringSubmatch(strings.Trim(strings.TrimSpace(id), "<>")); sm != nil {
		return sm[1]
	}
	return ""
}

// isOwnMessageID reports whether id is one Steward wrote for a message it
// sent (not a thread id, which replies carry in References).
func isOwnMessageID(id string) bool {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	sm := stewardRef.FindStringSubmatch(id)
	return sm != nil && strings.HasSuffix(sm[0], ".")
}

// replyPrefix is one Re:/Fwd: in the languages mail clients write them.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|fw|fwd|aw|wg|sv|vs|antw|rif|tr|odp|enc|res)(\[\d+\]|\(\d+\))?\s*:\s*`)

// CleanSubject is a subject as a title: Re:/Fwd: prefixes and a leading
// record number in brackets removed, one line.
func CleanSubject(s string) string {
	s = oneLine(s)
	for {
		t := replyPrefix.ReplaceAllString(s, "")
		t = strings.TrimSpace(t)
		if loc := subjectRef.FindStringIndex(t); loc != nil && loc[0] == 0 {
			t = strings.TrimSpace(t[loc[1]:])
		}
		if t == s {
			return s
		}
		s = t
	}
}
