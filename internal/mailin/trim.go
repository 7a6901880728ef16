package mailin

import (
	"regexp"
	"strings"
)

// The lines where quoted history starts, as mail clients write them.
var (
	// "On Tue, 3 Mar 2026 at 10:00, Ann <ann@example.com> wrote:", also
	// German and French, and the same split over two lines.
	wroteLine = regexp.MustCompile(`(?i)^(on|am|le)\s.{0,300}(wrote|schrieb|a écrit)(\s.{0,200})?:\s*$`)
	// Outlook: "-----Original Message-----", "-----Ursprüngliche Nachricht-----".
	originalLine = regexp.MustCompile(`(?i)^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|forwarded message)\s*-{2,}\s*$`)
	// Outlook without the dashes: a "From:" line followed by Sent/To/Subject lines.
	fromLine   = regexp.MustCompile(`(?i)^\*?(from|von|de)\s*:\*?\s`)
	headerLine = regexp.MustCompile(`(?i)^\*?(sent|gesendet|envoyé|date|datum|to|an|à|cc|subject|betreff|objet)\s*:\*?\s`)
	// Mobile clients' signatures.
	sentFrom = regexp.MustCompile(`(?i)^(sent from my|von meinem .* gesendet|get outlook for)`)
	// A line of underscores Outlook puts above quoted history.
	underscores = regexp.MustCompile(`^_{20,}\s*$`)
)

// TrimReply is the new text of a reply: the quoted history ("On ...
// wrote:" and the ">" lines after it, Outlook's "-----Original
// Message-----" or "From:" header block and all below) and the signature
// (below a "-- " line) cut off. When nothing would be left, the whole
// text is kept: a reply that only quotes is better shown than lost.
func TrimReply(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	end := len(lines)
cut:
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case l == "-- " || l == "--" || sentFrom.MatchString(t):
			end = i
			break cut
		case originalLine.MatchString(t), underscores.MatchString(t):
			end = i
			break cut
		case wroteLine.MatchString(t):
			end = i
			break cut
		case i+1 < len(lines) && wroteLine.MatchString(t+" "+strings.TrimSpace(lines[i+1])) && strings.HasPrefix(strings.ToLower(t), "on "):
			end = i
			break cut
		case fromLine.MatchString(t) && headerBlock(lines[i+1:]):
			end = i
			break cut
		}
	}
	kept := lines[:end]
	// Quoted lines left among the new text (inline answers keep the
	// person's own lines; a trailing block of quotes goes).
	for len(kept) > 0 {
		t := strings.TrimSpace(kept[len(kept)-1])
		if t == "" || strings.HasPrefix(t, ">") {
			kept = kept[:len(kept)-1]
			continue
		}
		break
	}
	var out []string
	for _, l := range kept {
		if strings.HasPrefix(strings.TrimSpace(l), ">") {
			continue
		}
		out = append(out, strings.TrimRight(l, " \t"))
	}
	s := strings.TrimSpace(strings.Join(out, "\n"))
	if s == "" {
		return strings.TrimSpace(text)
	}
	return s
}

// headerBlock reports whether the lines start with at least two of
// Outlook's quoted header lines (Sent:, To:, Subject:).
func headerBlock(lines []string) bool {
	n := 0
	for _, l := range lines[:min(len(lines), 6)] {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if !headerLine.MatchString(t) {
			break
		}
		n++
	}
	return n >= 2
}
