package knowledge

import (
	"strings"

	"github.com/kljensen/snowball/english"

	"steward/internal/record"
)

// maxWord is longer than any word a person types; longer runs (hashes,
// encoded data pasted into a description) are left out.
const maxWord = 40

// Terms are the words of text as the ranker and the classifier count
// them: the product search's words (record.Words), in lower case, without
// English stop words, each reduced to its stem by the Snowball English
// stemmer, the algorithm of PostgreSQL's english search configuration and
// the successor of the Porter stemmer SQLite's search tables use. "Tokens"
// and "token" are one term, as they are to the search box.
func Terms(text string) []string {
	words := record.Words(text)
	out := make([]string, 0, len(words))
	for _, w := range words {
		if t, ok := term(w); ok {
			out = append(out, t)
		}
	}
	return out
}

// term is the stem of one word, or false for a stop word or an overlong one.
func term(w string) (string, bool) {
	if len(w) > maxWord {
		return "", false
	}
	w = strings.ToLower(w)
	if english.IsStopWord(w) {
		return "", false
	}
	return english.Stem(w, false), true
}
