package web

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"steward/internal/i18n"
)

// Field errors come from the services as English sentences formatted from
// a pattern ("must be between %d and %d"). The catalogue holds each
// pattern as "err.<pattern>", its values as {{.A1}}, {{.A2}} in order, so a
// translation may place them where its language wants them. fieldError
// finds the pattern an error was written from and words it in the
// reader's language; an error no pattern matches reads as written.
func errText(tx i18n.Text, msg string) string {
	if n, ok := atMost(msg); ok {
		return tx.T("err.at_most", "N", n)
	}
	if s := tx.Or("err."+msg, ""); s != "" {
		return s
	}
	if tx.Lang == i18n.Default {
		return sentence(msg) // what the English patterns say, by construction
	}
	for _, p := range fieldErrorPatterns() {
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		pairs := make([]any, 0, 2*(len(m)-1))
		for i, v := range m[1:] {
			pairs = append(pairs, "A"+strconv.Itoa(i+1), v)
		}
		s := []rune(tx.T(p.id, pairs...))
		s[0] = unicode.ToUpper(s[0])
		return string(s)
	}
	return sentence(msg)
}

type fieldErrorPattern struct {
	id string
	re *regexp.Regexp
}

// verbRE finds the formatting verbs of a pattern (%s, %d, %q, %.1f, %v).
var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z]`)

// fieldErrorPatterns are the English catalogue's "err." patterns, the
// longest first so the most specific one matches.
var fieldErrorPatterns = sync.OnceValue(func() []fieldErrorPattern {
	en, err := i18n.IDs(i18n.Default)
	if err != nil {
		panic(err)
	}
	var out []fieldErrorPattern
	for id := range en {
		format, ok := strings.CutPrefix(id, "err.")
		if !ok || !verbRE.MatchString(format) {
			continue
		}
		out = append(out, fieldErrorPattern{id: id, re: patternRE(format)})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].id) != len(out[j].id) {
			return len(out[i].id) > len(out[j].id)
		}
		return out[i].id < out[j].id
	})
	return out
})

// patternRE matches what format writes, each verb's value captured.
func patternRE(format string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range verbRE.FindAllStringIndex(format, -1) {
		b.WriteString(regexp.QuoteMeta(format[last:loc[0]]))
		b.WriteString("(.+?)")
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(format[last:]))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// fieldErrorEnglish is the catalogue's English for a pattern: the sentence
// the page showed before, values as {{.A1}}, {{.A2}}.
func fieldErrorEnglish(format string) string {
	n := 0
	s := verbRE.ReplaceAllStringFunc(format, func(string) string {
		n++
		return "{{.A" + strconv.Itoa(n) + "}}"
	})
	return sentence(s)
}
