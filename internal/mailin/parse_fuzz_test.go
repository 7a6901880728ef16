package mailin

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to the reader of incoming mail. Whatever
// arrives, it either reads a message whose words can be stored and shown
// (valid UTF-8, no NUL, one-line subject and sender name, a lower-case
// sender) or refuses it as malformed, the refusal the sender is told of;
// it never panics and never fails in another way.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"From: a@example.com\nSubject: Hi\n\nBody\n",
		"From: =?utf-8?b?SsO2cmc=?= <J@Example.com>\nSubject: =?iso-8859-1?q?Caf=E9?=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9=\n ok\n",
		"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b\nContent-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--b--\n",
		"From: a@example.com\nContent-Type: multipart/alternative; boundary=\"x\"\n\n--x\nContent-Type: text/plain\n\nplain\n--x\nContent-Type: text/html\n\n<b>html</b>\n--x--\n",
		"From: a@example.com\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\n\nbounce\n--r--\n",
		"From: a@example.com\nSubject: a\r\n b\nContent-Transfer-Encoding: x-unknown\n\nbody",
		"From: \x00\xff@x\nSubject: \xff\n\n\x00",
		"Subject: no sender\n\nbody",
		"",
		"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nFrom: c@d\n\ninner\n--b--\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if !IsMalformed(err) {
				t.Fatalf("refused with an error that is not a malformed message: %v", err)
			}
			return
		}
		for name, s := range map[string]string{"from": m.From, "from name": m.FromName, "subject": m.Subject} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("%s %q cannot be stored", name, s)
			}
		}
		for name, s := range map[string]string{"from name": m.FromName, "subject": m.Subject} {
			if strings.ContainsAny(s, "\r\n") {
				t.Fatalf("%s %q runs over more than one line", name, s)
			}
		}
		if m.From != strings.ToLower(m.From) {
			t.Fatalf("sender %q is not lower case", m.From)
		}
		if m.From == "" {
			t.Fatal("a message was read without a sender")
		}
	})
}
