// Package i18n is the message catalogue: the words people read, by
// message id, in each language offered. English is the source and the
// fallback; a message missing from another language reads in English, and
// a message missing from English reads as its id, which the catalogue's
// tests catch.
//
// Messages live in messages/<language>.json. A message may take named
// values ({{.Name}}) and may have plural forms ("one", "other") chosen by
// the value named Count.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed messages/*.json
var files embed.FS

// Default is the language of people who chose none and whose browser asks
// for none we offer.
const Default = "en"

// Languages are the languages offered, by code, each named in itself.
var Languages = []struct{ Code, Name string }{
	{"en", "English"},
	{"de", "Deutsch"},
}

var (
	bundle  = load()
	matcher = language.NewMatcher([]language.Tag{language.English, language.German})
	texts   sync.Map // code -> Text
)

func load() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	names, err := fs.Glob(files, "messages/*.json")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		buf, err := files.ReadFile(n)
		if err != nil {
			panic(err)
		}
		if _, err := b.ParseMessageFileBytes(buf, n); err != nil {
			panic("i18n: " + n + ": " + err.Error())
		}
	}
	return b
}

// Valid reports whether code is one of Languages.
func Valid(code string) bool {
	for _, l := range Languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Match picks the offered language that best suits an Accept-Language
// header; Default when it names none of them.
func Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Languages[i].Code
}

// Text is the catalogue in one language.
type Text struct {
	Lang string
	loc  *i18n.Localizer
}

// For is the catalogue in language code; Default when code is not offered.
func For(code string) Text {
	if !Valid(code) {
		code = Default
	}
	if t, ok := texts.Load(code); ok {
		return t.(Text)
	}
	t := Text{Lang: code, loc: i18n.NewLocalizer(bundle, code)}
	texts.Store(code, t)
	return t
}

// T is message id with its named values, given as pairs: T("requests.count",
// "Count", 3). A message with plural forms picks one by Count.
func (t Text) T(id string, pairs ...any) string {
	if t.loc == nil {
		t = For(Default)
	}
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(pairs) > 0 {
		data := make(map[string]any, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			k := fmt.Sprint(pairs[i])
			data[k] = pairs[i+1]
			if k == "Count" {
				cfg.PluralCount = pairs[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := t.loc.Localize(cfg)
	if s == "" && err != nil {
		return id
	}
	return s
}

// Words is message id with the named values of data; written, when the
// catalogue has no such message in any language offered.
func (t Text) Words(id string, data map[string]string, written string) string {
	pairs := make([]any, 0, 2*len(data))
	for k, v := range data {
		pairs = append(pairs, k, v)
	}
	return t.Or(id, written, pairs...)
}

// Or is T, or fallback when the catalogue holds no message id in this
// language or in English.
func (t Text) Or(id, fallback string, pairs ...any) string {
	if s := t.T(id, pairs...); s != id {
		return s
	}
	return fallback
}

// Label is a code read as words: the catalogue's "label.<code>" when it has
// one, else the code with its underscores as spaces and a capital first
// letter ("awaiting_requester" reads "Awaiting requester").
func (t Text) Label(code string) string {
	if code == "" {
		return ""
	}
	s := strings.ReplaceAll(code, "_", " ")
	return t.Or("label."+code, strings.ToUpper(s[:1])+s[1:])
}

// IDs lists the message ids of language code as its files hold them (the
// main file, code.json, and the areas' own, area.code.json), for the
// catalogue's own checks.
func IDs(code string) (map[string]string, error) {
	names, err := fs.Glob(files, "messages/*."+code+".json")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range append([]string{"messages/" + code + ".json"}, names...) {
		buf, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		raw := map[string]any{}
		if err := json.Unmarshal(buf, &raw); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for id, v := range raw {
			if _, dup := out[id]; dup {
				return nil, fmt.Errorf("%s: %q is also in another file", n, id)
			}
			switch m := v.(type) {
			case string:
				out[id] = m
			case map[string]any:
				out[id] = fmt.Sprint(m["other"])
			}
		}
	}
	return out, nil
}
