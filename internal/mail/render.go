package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"steward/internal/auth"
	"steward/internal/i18n"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// views are the templates in one language: the plain-text and the HTML
// part of every message.
type views struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var (
	viewsOnce sync.Once
	byLang    map[string]views
)

type button struct{ URL, Label string }

// action is what a notification asks of its reader: a link to open, and,
// when incoming mail is set up, a reply; Aside makes the link a small
// line instead of a button, for readers who cannot sign in.
type action struct {
	button
	Reply, Aside bool
	Ref          string
}

func loadViews() {
	byLang = map[string]views{}
	for _, l := range i18n.Languages {
		tx := i18n.For(l.Code)
		fm := map[string]any{
			"t":      tx.T,
			"quote":  quote,
			"button": func(url, label string) button { return button{URL: url, Label: label} },
			"act": func(reply, aside bool, ref, url, label string) action {
				return action{button: button{URL: url, Label: label}, Reply: reply, Aside: aside, Ref: ref}
			},
			"stars": func(n int) string { return strings.Repeat("★", n) + strings.Repeat("☆", 5-n) },
		}
		byLang[l.Code] = views{
			text: texttemplate.Must(texttemplate.New("").Funcs(fm).ParseFS(templateFS, "templates/*.txt.tmpl")),
			html: htmltemplate.Must(htmltemplate.New("").Funcs(fm).ParseFS(templateFS, "templates/*.html.tmpl")),
		}
	}
}

func viewsFor(lang string) views {
	viewsOnce.Do(loadViews)
	if v, ok := byLang[lang]; ok {
		return v
	}
	return byLang[i18n.Default]
}

// rendered is a message ready for the outbox.
type rendered struct {
	Subject, Text, HTML string
}

// frame is what the layouts receive around a message's own part.
type frame struct {
	Lang, Name, Subject string
	SettingsURL         string
	Body                any
}

// render executes block of the language's views for both parts and puts
// each in its layout.
func render(lang, block, subject, name, settingsURL string, data any) (rendered, error) {
	v := viewsFor(lang)
	var text, html, body bytes.Buffer
	if err := v.text.ExecuteTemplate(&body, block, data); err != nil {
		return rendered{}, err
	}
	f := frame{Lang: lang, Name: name, Subject: subject, SettingsURL: settingsURL, Body: strings.TrimSpace(body.String())}
	if err := v.text.ExecuteTemplate(&text, "layout", f); err != nil {
		return rendered{}, err
	}
	body.Reset()
	if err := v.html.ExecuteTemplate(&body, block, data); err != nil {
		return rendered{}, err
	}
	// The block's output is html/template's own, escaped as it was written.
	f.Body = htmltemplate.HTML(body.String())
	if err := v.html.ExecuteTemplate(&html, "layout", f); err != nil {
		return rendered{}, err
	}
	return rendered{Subject: subject, Text: tidy(text.String()), HTML: html.String()}, nil
}

// tidy drops the blank lines templates leave in a row and trailing spaces.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank || len(out) == 0 {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// quote writes text a person typed as a quotation in plain text.
func quote(s string) string {
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("> "+l, " ")
	}
	return strings.Join(lines, "\n")
}

// userHTML is the policy every piece of HTML made from text a person typed
// passes through last.
var userHTML = bluemonday.UGCPolicy()

// textHTML writes text a person typed as HTML: escaped, its paragraphs and
// line breaks kept, and then sanitised, so that no markup of theirs, nor a
// mistake here, reaches the message.
func textHTML(s string) htmltemplate.HTML {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	var b strings.Builder
	for _, para := range strings.Split(s, "\n\n") {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		b.WriteString("<p style=\"margin:0 0 8px\">")
		b.WriteString(strings.ReplaceAll(htmltemplate.HTMLEscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return htmltemplate.HTML(userHTML.Sanitize(b.String()))
}

// layouts write instants the way the settings on the profile page chose.
var layouts = map[string]string{
	"en-GB": "Mon 2 Jan 2006, 15:04 MST",
	"en-US": "Mon, Jan 2, 2006, 3:04 PM MST",
	"de-DE": "02.01.2006, 15:04 MST",
	"iso":   "2006-01-02 15:04 MST",
}

// when is t in the reader's time zone and date format.
func when(t time.Time, p auth.Preferences) string {
	layout, ok := layouts[p.Locale]
	if !ok {
		layout = layouts[auth.DefaultLocale]
	}
	return t.In(p.Location()).Format(layout)
}

// languageOf is the language a person reads mail in: the one they chose,
// else the default (mail has no browser to ask).
func languageOf(p auth.Preferences) string {
	if i18n.Valid(p.Language) {
		return p.Language
	}
	return i18n.Default
}
