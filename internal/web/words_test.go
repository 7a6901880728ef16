package web_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"steward/internal/i18n"
)

// Every word a page shows comes from the message catalogue: no template
// holds words of its own between its tags, in the attributes people read
// (placeholders, titles, labels for screen readers, confirmations) or in
// the labels it hands to a partial. Names such as the product's own are
// the only words allowed.
func TestPagesHaveNoWordsOutsideTheCatalogue(t *testing.T) {
	allowed := map[string]bool{"Steward": true, "· Steward": true}
	root := os.DirFS("templates")
	err := fs.WalkDir(root, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		buf, err := fs.ReadFile(root, path)
		if err != nil {
			return err
		}
		for _, w := range literalWords(string(buf)) {
			if !allowed[w] {
				t.Errorf("%s shows %q, which is not in the catalogue", path, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	readAttr   = regexp.MustCompile(`\s(placeholder|title|aria-label|alt|data-confirm|data-picker-empty)="([^"]*)"`)
	partialArg = regexp.MustCompile(`"(Label|Empty|Hint|Legend|Help|Placeholder|Lead|Caption|Summary|Note|Heading|Confirm|Submit|Button|Text)" "([^"\\]*)"`)
	htmlEntity = regexp.MustCompile(`&[a-zA-Z]+;|&#[0-9]+;|&#x[0-9a-fA-F]+;`)
	anAction   = regexp.MustCompile(`\{\{.*?\}\}`)
	spaces     = regexp.MustCompile(`\s+`)
)

// literalWords lists the runs of text in a template that people would
// read and that hold words: the text between tags (outside scripts,
// styles and comments), read attributes and labels given to partials.
func literalWords(src string) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(spaces.ReplaceAllString(anAction.ReplaceAllString(s, " "), " "))
		if hasWords(s) {
			out = append(out, s)
		}
	}
	var text strings.Builder
	flush := func() {
		add(text.String())
		text.Reset()
	}
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "{{"):
			end := endOfAction(src, i)
			act := src[i:end]
			for _, m := range partialArg.FindAllStringSubmatch(act, -1) {
				add(m[2])
			}
			// an action that decides or includes ends a run of text; one
			// that prints a value sits inside it
			if inner := strings.TrimLeft(act[2:], "- "); strings.HasPrefix(inner, "if") || strings.HasPrefix(inner, "else") ||
				strings.HasPrefix(inner, "end") || strings.HasPrefix(inner, "range") || strings.HasPrefix(inner, "with") ||
				strings.HasPrefix(inner, "template") || strings.HasPrefix(inner, "define") || strings.HasPrefix(inner, "block") {
				flush()
			}
			i = end
		case strings.HasPrefix(src[i:], "<!--"):
			flush()
			i += strings.Index(src[i:], "-->") + 3
		case src[i] == '<' && i+1 < len(src) && (unicode.IsLetter(rune(src[i+1])) || src[i+1] == '/' || src[i+1] == '!'):
			flush()
			j := i + 1
			for j < len(src) && src[j] != '>' {
				switch {
				case strings.HasPrefix(src[j:], "{{"):
					j = endOfAction(src, j)
				case src[j] == '"':
					k := j + 1
					for k < len(src) && src[k] != '"' {
						if strings.HasPrefix(src[k:], "{{") {
							k = endOfAction(src, k)
							continue
						}
						k++
					}
					j = k + 1
				default:
					j++
				}
			}
			tag := src[i:min(j+1, len(src))]
			for _, m := range readAttr.FindAllStringSubmatch(blankActions(tag), -1) {
				add(m[2])
			}
			for _, m := range partialArg.FindAllStringSubmatch(tag, -1) {
				add(m[2])
			}
			i = j + 1
			for _, raw := range []string{"script", "style"} {
				if strings.HasPrefix(strings.ToLower(tag), "<"+raw) {
					if e := strings.Index(strings.ToLower(src[i:]), "</"+raw); e >= 0 {
						i += e
					} else {
						i = len(src)
					}
				}
			}
		default:
			text.WriteByte(src[i])
			i++
		}
	}
	flush()
	return out
}

// blankActions is s with each action a space.
func blankActions(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "{{") {
			i = endOfAction(s, i)
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// endOfAction is where the action starting at src[i] ends, past its "}}";
// strings inside it may hold braces.
func endOfAction(src string, i int) int {
	if c := strings.Index(src[i:], "/*"); c == 2 || c == 3 {
		return i + strings.Index(src[i:], "*/") + strings.Index(src[i+strings.Index(src[i:], "*/"):], "}}") + 2
	}
	for j := i + 2; j < len(src); j++ {
		switch {
		case src[j] == '"':
			for j++; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
		case src[j] == '`':
			for j++; j < len(src) && src[j] != '`'; j++ {
			}
		case strings.HasPrefix(src[j:], "}}"):
			return j + 2
		}
	}
	return len(src)
}

// hasWords reports whether s holds a word: two letters or more, entities
// and a lone web address aside.
func hasWords(s string) bool {
	if strings.Contains(s, "://") && !strings.Contains(s, " ") {
		return false
	}
	n := 0
	for _, r := range htmlEntity.ReplaceAllString(s, " ") {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n >= 2
}

var scriptWord = regexp.MustCompile(`stewardWord\("([a-z_]+)"\)`)

// The words scripts show come from the catalogue too: every word a
// script asks for is there, and a page hands them over in its reader's
// language.
func TestScriptsAskOnlyForWordsInTheCatalogue(t *testing.T) {
	en, err := i18n.IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(os.DirFS("static"), "*.js")
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	for _, n := range names {
		buf, err := os.ReadFile("static/" + n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range scriptWord.FindAllStringSubmatch(string(buf), -1) {
			asked++
			if _, ok := en["js."+m[1]]; !ok {
				t.Errorf("static/%s asks for %q, which the catalogue lacks", n, "js."+m[1])
			}
		}
	}
	if asked == 0 {
		t.Fatal("no script asks for a word: the pattern no longer matches how scripts do")
	}

	s := newSite(t)
	de := s.signedIn("admin")
	if p := de.post("/profile", url.Values{"time_zone": {"Europe/Berlin"}, "locale": {"de-DE"}, "language": {"de"}}); p.status != http.StatusSeeOther {
		t.Fatalf("choosing German: %d", p.status)
	}
	if p := de.get("/"); !strings.Contains(p.body, `<script type="application/json" id="steward-words">`) || !strings.Contains(p.body, `"no_match":"Kein Treffer"`) {
		t.Errorf("the page does not hand its scripts their words in German")
	}
}
