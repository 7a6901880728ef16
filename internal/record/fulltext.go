package record

import (
	"strings"
	"unicode"

	"steward/internal/store"
)

// term is one search word; prefix when the person ended it with "*".
type term struct {
	word   string
	prefix bool
}

// searchTerms splits a query into words of letters and digits, at most
// ten. Everything else separates words and is never passed to the engine.
func searchTerms(q string) []term {
	var out []term
	var cur []rune
	end := func(prefix bool) {
		if len(cur) > 0 && len(out) < 10 {
			out = append(out, term{word: string(cur), prefix: prefix})
		}
		cur = cur[:0]
	}
	for _, r := range q {
		switch {
		case wordRune(r):
			cur = append(cur, r)
		case r == '*':
			end(true)
		default:
			end(false)
		}
	}
	end(false)
	return out
}

// wordRune reports whether r belongs to a search word: letters and digits.
func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// Words splits text into search words as a query is split (letters and
// digits; everything else separates), without a query's limit: for
// rankers in the binary that must match what the engines' search matches.
func Words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !wordRune(r) })
}

// FullText turns what a person typed into the engine's full-text query:
// every word must match (as a word, with English stemming), and a word
// ended with "*" matches as a prefix. On SQLite it is an FTS5 MATCH
// expression, on PostgreSQL a to_tsquery('english', ...) argument. ok is
// false when the words hold nothing searchable.
func FullText(d store.Dialect, q string) (arg string, ok bool) {
	terms := searchTerms(q)
	if len(terms) == 0 {
		return "", false
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		if d == store.Postgres {
			parts[i] = strings.ToLower(t.word)
			if t.prefix {
				parts[i] += ":*"
			}
			continue
		}
		parts[i] = `"` + t.word + `"`
		if t.prefix {
			parts[i] += "*"
		}
	}
	if d == store.Postgres {
		return strings.Join(parts, " & "), true
	}
	return strings.Join(parts, " "), true
}
