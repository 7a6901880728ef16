package mail

import (
	"crypto/rand"
	"encoding/base32"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Steward's own Message-IDs, which the inbound side reads back from the
// In-Reply-To and References of a reply:
//
//	<steward.INC-000123.42.k3j5m2q8@desk.example.com>  a message about a record (outbox id 42)
//	<steward.42.k3j5m2q8@desk.example.com>             a message about no record
//	<steward.INC-000123@desk.example.com>              the record's thread id
//
// Every message about a record names the record's thread id in
// In-Reply-To and References, so mail clients thread them and a reply to
// any of them names the record.

// refPattern is a record number: a prefix of capitals and a number.
var refPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,9}-[0-9]{1,12}$`)

// idSafe reports whether s may stand in a Message-ID's domain.
func idSafe(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, r := range s {
		if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

var idRandom = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// messageID is a new Message-ID, without angle brackets, for outbox
// message id about record ref ("" for none).
func messageID(ref string, id int64, host string) string {
	b := make([]byte, 10)
	rand.Read(b)
	local := "steward."
	if ref != "" {
		local += ref + "."
	}
	return local + strconv.FormatInt(id, 10) + "." + idRandom.EncodeToString(b) + "@" + host
}

// ThreadID is the stable id of record ref's conversation, without angle
// brackets: steward.INC-000123@host.
func ThreadID(ref, host string) string { return "steward." + ref + "@" + host }

// parseOwn reads one of Steward's ids: whether it is one, and the record
// it is about ("" for a message about no record).
func parseOwn(id string) (ref string, ok bool) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	local, host, found := strings.Cut(id, "@")
	if !found || !idSafe(host) || strings.Contains(host, "@") {
		return "", false
	}
	parts := strings.Split(local, ".")
	if len(parts) < 2 || len(parts) > 4 || !strings.EqualFold(parts[0], "steward") {
		return "", false
	}
	digits := func(s string) bool {
		_, err := strconv.ParseInt(s, 10, 64)
		return err == nil && s != "" && s[0] != '-' && s[0] != '+'
	}
	switch len(parts) {
	case 2: // thread id
		if ref := strings.ToUpper(parts[1]); refPattern.MatchString(ref) {
			return ref, true
		}
	case 3: // a message about no record
		if digits(parts[1]) && parts[2] != "" {
			return "", true
		}
	case 4: // a message about a record
		if ref := strings.ToUpper(parts[1]); refPattern.MatchString(ref) && digits(parts[2]) && parts[3] != "" {
			return ref, true
		}
	}
	return "", false
}

// IsOwnMessageID reports whether id (with or without angle brackets) is
// one Steward made: a message it sent or a record's thread id. It looks
// at the form alone, not at the domain, so ids made before --mail-from
// changed still count; anyone can write such an id, so it says where a
// reply belongs, not who sent it.
func IsOwnMessageID(id string) bool {
	_, ok := parseOwn(id)
	return ok
}

// RefFromMessageID is the record number a Steward Message-ID or thread id
// is about ("INC-000123"); ok is false for an id that is not Steward's or
// is about no record.
func RefFromMessageID(id string) (ref string, ok bool) {
	ref, own := parseOwn(id)
	return ref, own && ref != ""
}

// RefFromReferences is the record named by the first of Steward's ids
// about a record in a header listing message ids (In-Reply-To,
// References).
func RefFromReferences(header string) (ref string, ok bool) {
	for len(header) > 0 {
		start := strings.IndexByte(header, '<')
		if start < 0 {
			return "", false
		}
		end := strings.IndexByte(header[start:], '>')
		if end < 0 {
			return "", false
		}
		if ref, ok := RefFromMessageID(header[start : start+end+1]); ok {
			return ref, true
		}
		header = header[start+end+1:]
	}
	return "", false
}

// headerText makes s safe as the text of a header: control characters,
// CR and LF first of all, become spaces, runs of spaces one, and the
// result is cut to max characters. Nothing a person typed can start a
// header of its own.
func headerText(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > max {
		out = strings.TrimSpace(string([]rune(out)[:max-1])) + "…"
	}
	return out
}
