package mailin

import (
	"strings"
	"testing"
)

// TestParseFixtures reads the shapes mail clients send: charsets,
// transfer encodings, alternatives, attachments and inline images; and
// refuses what cannot be read.
func TestParseFixtures(t *testing.T) {
	cases := []struct {
		name      string
		raw       string
		subject   string
		text      string   // a fragment of the text
		notText   string   // must not be in the text
		files     []string // file names
		inline    int      // how many of them are inline
		malformed bool
	}{
		{name: "plain utf-8", subject: "Drucker kaputt",
			raw:  "From: Jörg <joerg@example.com>\nSubject: Drucker kaputt\nContent-Type: text/plain; charset=utf-8\n\nDer Drucker im 2. Stock druckt nur Streifen.\n",
			text: "druckt nur Streifen"},
		{name: "quoted-printable latin-1", subject: "Café",
			raw: "From: a@example.com\nSubject: =?iso-8859-1?q?Caf=E9?=\nContent-Type: text/plain; charset=iso-8859-1\n" +
				"Content-Transfer-Encoding: quoted-printable\n\nLe caf=E9 est froid, et cette ligne est tr=E8s longue et continue=\n ici.\n",
			text: "Le café est froid, et cette ligne est très longue et continue ici."},
		{name: "base64 text", subject: "Base",
			raw:  "From: a@example.com\nSubject: Base\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nVlBOIGRyb3BzIGV2ZXJ5IGhvdXIu\n",
			text: "VPN drops every hour."},
		{name: "windows-1252 and encoded subject", subject: "Größe – “quoted”",
			raw: "From: a@example.com\nSubject: =?utf-8?b?R3LDtsOfZSDigJMg4oCccXVvdGVk4oCd?=\nContent-Type: text/plain; charset=windows-1252\n" +
				"Content-Transfer-Encoding: quoted-printable\n\n=93Smart quotes=94 =96 dash\n",
			text: "“Smart quotes” – dash"},
		{name: "alternative prefers text", subject: "Alt",
			raw: "From: a@example.com\nSubject: Alt\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b1\n\n" +
				"--b1\nContent-Type: text/plain; charset=utf-8\n\nThe plain words.\n--b1\nContent-Type: text/html; charset=utf-8\n\n<p>The <b>HTML</b> words.</p>\n--b1--\n",
			text: "The plain words.", notText: "HTML"},
		{name: "html only becomes text", subject: "Html",
			raw: "From: a@example.com\nSubject: Html\nContent-Type: text/html; charset=utf-8\n\n" +
				"<html><head><style>p{color:red}</style><title>x</title></head><body><p>First&nbsp;line</p><p>See <a href=\"https://status.example.com\">status</a></p><ul><li>one</li><li>two</li></ul><script>alert(1)</script></body></html>\n",
			text: "First line\n\nSee status (https://status.example.com)\n\n- one\n- two", notText: "alert"},
		{name: "mixed with attachment", subject: "Log",
			raw: "From: a@example.com\nSubject: Log\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"xx\"\n\n" +
				"--xx\nContent-Type: text/plain\n\nLog attached.\n--xx\nContent-Type: application/pdf; name=\"report.pdf\"\n" +
				"Content-Disposition: attachment; filename=\"report.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IK\n--xx--\n",
			text: "Log attached.", files: []string{"report.pdf"}},
		{name: "related with inline image", subject: "Screenshot",
			raw: "From: a@example.com\nSubject: Screenshot\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n" +
				"--o\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nSee the picture.\n" +
				"--a\nContent-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n<p>See <img src=\"cid:shot@x\" alt=\"error dialog\"></p>\n" +
				"--r\nContent-Type: image/png\nContent-ID: <shot@x>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgoAAAANSUhEUg==\n--r--\n--a--\n" +
				"--o\nContent-Type: text/csv; name*=utf-8''M%C3%A4rz.csv\nContent-Disposition: attachment; filename*=utf-8''M%C3%A4rz.csv\n\na,b\n--o--\n",
			text: "See the picture.", files: []string{"shot.png", "März.csv"}, inline: 1},
		{name: "encoded attachment name", subject: "Names",
			raw: "From: a@example.com\nSubject: Names\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\nhi\n" +
				"--q\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"=?utf-8?q?R=C3=A9sum=C3=A9.docx?=\"\n\nDATA\n--q--\n",
			text: "hi", files: []string{"Résumé.docx"}},
		{name: "forwarded message as a file", subject: "Fwd",
			raw: "From: a@example.com\nSubject: Fwd\nContent-Type: multipart/mixed; boundary=f\n\n--f\nContent-Type: text/plain\n\nSee below.\n" +
				"--f\nContent-Type: message/rfc822\n\nFrom: b@example.com\nSubject: inner\n\ninner text\n--f--\n",
			text: "See below.", files: []string{"attachment.eml"}},
		{name: "unknown charset is read as it is", subject: "Odd",
			raw:  "From: a@example.com\nSubject: Odd\nContent-Type: text/plain; charset=x-made-up\n\nplain ascii words\n",
			text: "plain ascii words"},
		{name: "multipart without boundary", malformed: true,
			raw: "From: a@example.com\nSubject: Broken\nContent-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n"},
		{name: "multipart never closed", malformed: true,
			raw: "From: a@example.com\nSubject: Broken\nContent-Type: multipart/mixed; boundary=x\n\npreamble only, no part ever starts\n"},
		{name: "broken base64 attachment", malformed: true,
			raw: "From: a@example.com\nSubject: Broken\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n" +
				"--x\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: base64\n\n!!!! not base64 ####\n--x--\n"},
		{name: "unknown transfer encoding", malformed: true,
			raw: "From: a@example.com\nSubject: Broken\nContent-Type: text/plain\nContent-Transfer-Encoding: x-rot13\n\nuryyb\n"},
		{name: "header line without a colon", malformed: true,
			raw: "From: a@example.com\nThis is not a header\nSubject: x\n\nbody\n"},
		{name: "no sender", malformed: true,
			raw: "To: desk@steward.test\nSubject: who\n\nbody\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(crlf(c.raw)))
			if c.malformed {
				if !IsMalformed(err) {
					t.Fatalf("want a malformed message, got err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.subject != "" && m.Subject != c.subject {
				t.Errorf("subject %q, want %q", m.Subject, c.subject)
			}
			if !strings.Contains(m.Text, c.text) {
				t.Errorf("text %q lacks %q", m.Text, c.text)
			}
			if c.notText != "" && strings.Contains(m.Text, c.notText) {
				t.Errorf("text %q has %q", m.Text, c.notText)
			}
			var names []string
			inline := 0
			for _, f := range m.Files {
				names = append(names, f.Name)
				if f.Inline {
					inline++
				}
				if len(f.Data) == 0 {
					t.Errorf("file %s is empty", f.Name)
				}
			}
			if strings.Join(names, "|") != strings.Join(c.files, "|") {
				t.Errorf("files %q, want %q", names, c.files)
			}
			if inline != c.inline {
				t.Errorf("%d inline files, want %d", inline, c.inline)
			}
		})
	}
}

func TestAddressesAndIDs(t *testing.T) {
	m, err := Parse([]byte(crlf("From: \"Doe, Jane\" <Jane.Doe@Example.COM>\nTo: desk@steward.test, \"Net\" <net@steward.test>\n" +
		"Cc: x@example.com\nDelivered-To: net@steward.test\nMessage-ID: <abc@mail.example.com>\n" +
		"In-Reply-To: <steward.INC-000042.3.k9x@steward.test>\nReferences: <first@example.com>\n <steward.INC-000042@steward.test>\nSubject: Re: x\n\nhi\n")))
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "jane.doe@example.com" || m.FromName != "Doe, Jane" {
		t.Errorf("from %q %q", m.From, m.FromName)
	}
	if strings.Join(m.To, ",") != "desk@steward.test,net@steward.test" || strings.Join(m.Cc, ",") != "x@example.com" || strings.Join(m.Delivered, ",") != "net@steward.test" {
		t.Errorf("to %v cc %v delivered %v", m.To, m.Cc, m.Delivered)
	}
	if m.MessageID != "abc@mail.example.com" || len(m.References) != 2 || m.InReplyTo[0] != "steward.INC-000042.3.k9x@steward.test" {
		t.Errorf("ids %q %q %q", m.MessageID, m.InReplyTo, m.References)
	}
}
