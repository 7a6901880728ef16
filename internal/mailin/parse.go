package mailin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // every charset a mail client may write
	"github.com/emersion/go-message/mail"
)

// Message is an incoming e-mail as processing reads it: who sent it, to
// whom, what it answers, its text and its files.
type Message struct {
	Header     mail.Header
	MessageID  string
	From       string // the address, lower case
	FromName   string // the display name, one line
	To, Cc     []string
	Delivered  []string // Delivered-To and X-Original-To
	Subject    string   // decoded, one line
	InReplyTo  []string
	References []string
	// Text is the plain-text body, or the HTML body as text when the
	// message has no plain part.
	Text  string
	Files []File
	// Report is true for a multipart/report: a delivery status
	// notification (bounce) or a read receipt.
	Report bool
}

// File is an attachment or an inline image.
type File struct {
	Name        string
	ContentType string
	Data        []byte
	Inline      bool
}

// errMalformed is a message that cannot be read as MIME.
type errMalformed struct{ why string }

func (e errMalformed) Error() string { return "the message cannot be read: " + e.why }

func malformed(format string, args ...any) error { return errMalformed{fmt.Sprintf(format, args...)} }

// maxTextPart bounds how much of one text part is read; the rest of a
// huge text stays in the original message kept on the record.
const maxTextPart = 2 << 20

// maxParts bounds the parts walked in one message.
const maxParts = 500

// Parse reads a raw message. A message whose header, structure or
// transfer encoding is broken gives an error that IsMalformed; an unknown
// charset is read as it is, never refused.
func Parse(raw []byte) (*Message, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		return nil, malformed("the header is broken (%v)", err)
	}
	if message.IsUnknownEncoding(err) {
		return nil, malformed("its body has an unknown transfer encoding")
	}
	m := &Message{Header: mail.Header{Header: e.Header}}
	if err := m.readHeader(); err != nil {
		return nil, err
	}
	w := textWalk{parents: map[string]string{}, taken: map[string]bool{}}
	parts := 0
	err = e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) {
			if message.IsUnknownEncoding(err) {
				return malformed("a part has an unknown transfer encoding")
			}
			return err
		}
		if parts++; parts > maxParts {
			return malformed("it has more than %d parts", maxParts)
		}
		return m.readPart(path, part, &w)
	})
	if err != nil {
		var mf errMalformed
		if errors.As(err, &mf) {
			return nil, err
		}
		return nil, malformed("its MIME structure is broken (%v)", err)
	}
	if strings.TrimSpace(m.Text) == "" && w.html != "" {
		m.Text = HTMLText(w.html)
	}
	m.Text = strings.TrimSpace(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	return m, nil
}

// IsMalformed reports whether err says a message could not be read.
func IsMalformed(err error) bool { return errors.As(err, new(errMalformed)) }

func (m *Message) readHeader() error {
	h := m.Header
	from, err := h.AddressList("From")
	if err != nil || len(from) == 0 {
		// A From that the strict parser refuses may still be a plain address.
		a, perr := netmail.ParseAddress(decodeWords(h.Get("From")))
		if perr != nil {
			if strings.TrimSpace(h.Get("From")) == "" {
				return malformed("it has no From address")
			}
			return malformed("its From address cannot be read")
		}
		from = []*mail.Address{{Name: a.Name, Address: a.Address}}
	}
	m.From = cleanText(strings.ToLower(strings.TrimSpace(from[0].Address)))
	m.FromName = oneLine(from[0].Name)
	m.To = addresses(h, "To")
	m.Cc = addresses(h, "Cc")
	m.Delivered = append(addresses(h, "Delivered-To"), addresses(h, "X-Original-To")...)
	subject, _ := h.Subject() // an unknown charset leaves the words as they came
	m.Subject = oneLine(subject)
	m.MessageID = msgID(h.Get("Message-Id"))
	m.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	m.References = msgIDs(h.Get("References"))
	return nil
}

// cleanText makes header-derived text storable in any database: bytes
// that are not UTF-8 become U+FFFD and NUL characters go (PostgreSQL
// refuses both, which would leave the message undeliverable for ever).
func cleanText(s string) string {
	return stripNUL(strings.ToValidUTF8(s, "\uFFFD"))
}

// textWalk is what Parse remembers while it walks the parts: the content
// type of each multipart by its path, which multipart/alternative already
// gave its plain text, and the HTML text.
type textWalk struct {
	parents map[string]string
	taken   map[string]bool
	html    string
}

func pathKey(path []int) string {
	var b strings.Builder
	for _, i := range path {
		fmt.Fprintf(&b, "%d.", i)
	}
	return b.String()
}

// readPart takes one leaf of the message: its text (the plain parts one
// after the other, as mail clients split the text around an inline
// picture; one of the choices of a multipart/alternative), and every
// file.
func (m *Message) readPart(path []int, part *message.Entity, w *textWalk) error {
	ct, params, _ := part.Header.ContentType()
	if ct == "multipart/report" {
		m.Report = true
	}
	if strings.HasPrefix(ct, "multipart/") {
		w.parents[pathKey(path)] = ct
		return nil
	}
	parent := ""
	if len(path) > 0 {
		parent = pathKey(path[:len(path)-1])
	}
	alternative := w.parents[parent] == "multipart/alternative"
	disp, dparams, _ := part.Header.ContentDisposition()
	ah := mail.AttachmentHeader{Header: part.Header}
	name, _ := ah.Filename()
	if name == "" {
		name = decodeWords(params["name"])
	}
	if name == "" {
		name = dparams["filename"]
	}
	isText := (ct == "text/plain" || ct == "text/html" || ct == "") && disp != "attachment" && name == ""
	if isText {
		body, err := io.ReadAll(io.LimitReader(part.Body, maxTextPart))
		if err != nil {
			return malformed("a text part cannot be decoded (%v)", err)
		}
		text := strings.ToValidUTF8(string(body), "\uFFFD")
		switch {
		case strings.TrimSpace(text) == "":
		case ct == "text/html":
			if w.html == "" || !alternative {
				w.html = joinText(w.html, text)
			}
		case alternative && w.taken[parent]:
		default:
			m.Text = joinText(m.Text, text)
			w.taken[parent] = alternative
		}
		return nil
	}
	data, err := io.ReadAll(part.Body)
	if err != nil {
		return malformed("an attachment cannot be decoded (%v)", err)
	}
	if len(data) == 0 {
		return nil
	}
	inline := disp == "inline" || (disp == "" && part.Header.Get("Content-Id") != "")
	if name = cleanText(name); name == "" {
		name = defaultName(ct, part.Header.Get("Content-Id"))
	}
	m.Files = append(m.Files, File{Name: name, ContentType: ct, Data: data, Inline: inline})
	return nil
}

// joinText puts the text of one more part after what came before.
func joinText(before, text string) string {
	if strings.TrimSpace(before) == "" {
		return text
	}
	return strings.TrimRight(before, "\r\n") + "\n\n" + strings.TrimLeft(text, "\r\n")
}

// defaultName names a file that came without a name.
func defaultName(ct, cid string) string {
	base := "attachment"
	if cid = strings.Trim(cid, "<> "); cid != "" {
		base, _, _ = strings.Cut(cid, "@")
	}
	switch {
	case ct == "message/rfc822":
		return base + ".eml"
	case strings.HasPrefix(ct, "image/"):
		return base + "." + strings.TrimPrefix(ct, "image/")
	case ct == "message/delivery-status":
		return "delivery-status.txt"
	}
	if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
		return base + exts[0]
	}
	return base + ".bin"
}

func addresses(h mail.Header, key string) []string {
	var out []string
	list, err := h.AddressList(key)
	if err != nil {
		// Lenient: every word with an @ in it.
		for _, f := range strings.FieldsFunc(h.Get(key), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '<' || r == '>' }) {
			if strings.Contains(f, "@") {
				out = append(out, cleanText(strings.ToLower(strings.Trim(f, `"' `))))
			}
		}
		return out
	}
	for _, a := range list {
		out = append(out, cleanText(strings.ToLower(strings.TrimSpace(a.Address))))
	}
	return out
}

// msgID is one message id without its angle brackets.
func msgID(v string) string {
	ids := msgIDs(v)
	if len(ids) == 0 {
		return clipBytes(cleanText(strings.Trim(strings.TrimSpace(v), "<>")), 500)
	}
	return ids[0]
}

// msgIDs reads a list of message ids leniently: whatever stands between
// angle brackets, or the words when there are none.
func msgIDs(v string) []string {
	var out []string
	for len(out) < 200 {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			out = append(out, clipBytes(cleanText(id), 500))
		}
		v = v[i+j+1:]
	}
	if len(out) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") && len(out) < 200 {
				out = append(out, clipBytes(cleanText(f), 500))
			}
		}
	}
	return out
}

var wordDecoder = &mime.WordDecoder{CharsetReader: message.CharsetReader}

func decodeWords(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// oneLine makes s a single line of printable text: line breaks, tabs and
// other control characters become spaces, runs of spaces one.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == ' ' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// clipBytes cuts s to at most n bytes without splitting a character.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
