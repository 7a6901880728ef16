package i18n

import (
	"regexp"
	"sort"
	"testing"
)

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

func names(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// Every translated message answers an English one and takes the same
// values, so a translation can neither invent a message nor drop a
// number the reader needs.
func TestTranslationsFollowEnglish(t *testing.T) {
	en, err := IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Languages {
		if l.Code == "en" {
			continue
		}
		msgs, err := IDs(l.Code)
		if err != nil {
			t.Fatalf("%s: %v", l.Code, err)
		}
		if len(msgs) == 0 {
			t.Fatalf("%s has no messages", l.Code)
		}
		for id, text := range msgs {
			src, ok := en[id]
			if !ok {
				t.Errorf("%s: %q has no English message", l.Code, id)
				continue
			}
			if a, b := names(src), names(text); len(a) != len(b) || (len(a) > 0 && a[0] != b[0]) {
				t.Errorf("%s: %q takes %v, English takes %v", l.Code, id, b, a)
			}
		}
	}
}

func TestWordsInALanguage(t *testing.T) {
	de, en := For("de"), For("en")
	if got := de.T("catalog.heading"); got != "Anfragekatalog" {
		t.Errorf("German heading: %q", got)
	}
	if got := en.T("catalog.questions", "Count", 1); got != "1 question" {
		t.Errorf("one question: %q", got)
	}
	if got := en.T("catalog.questions", "Count", 3); got != "3 questions" {
		t.Errorf("three questions: %q", got)
	}
	if got := de.T("catalog.questions", "Count", 3); got != "3 Fragen" {
		t.Errorf("drei Fragen: %q", got)
	}
	// A language not offered reads English; a code without a label reads
	// as words.
	if got := For("xx").T("catalog.heading"); got != "Request catalogue" {
		t.Errorf("unknown language: %q", got)
	}
	if got := de.Label("awaiting_approval"); got != "Wartet auf Genehmigung" {
		t.Errorf("German state: %q", got)
	}
	if got := de.Label("waiting_for_parts"); got != "Waiting for parts" {
		t.Errorf("a code with no label: %q", got)
	}
	if got := en.T("no.such.message"); got != "no.such.message" {
		t.Errorf("a missing message reads %q, not its id", got)
	}
	for accept, want := range map[string]string{
		"de-DE,de;q=0.9,en;q=0.8": "de", "en-US": "en", "fr-FR": "en", "": "en", "fr;q=0.9, de-AT;q=0.8": "de", "%%%": "en",
	} {
		if got := Match(accept); got != want {
			t.Errorf("Accept-Language %q gives %q, want %q", accept, got, want)
		}
	}
}
