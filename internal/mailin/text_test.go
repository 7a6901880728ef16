package mailin

import (
	"strings"
	"testing"
)

func TestTrimReply(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"gmail", "Thanks, that fixed it.\n\nOn Tue, 3 Mar 2026 at 10:00, Service desk <desk@steward.test> wrote:\n> Please restart.\n> Regards", "Thanks, that fixed it."},
		{"wrote split over two lines", "Works now.\n\nOn Tue, 3 Mar 2026 at 10:00, Service desk\n<desk@steward.test> wrote:\n> old", "Works now."},
		{"german", "Danke!\n\nAm 03.03.2026 um 10:00 schrieb Service desk <desk@steward.test>:\n> alt", "Danke!"},
		{"outlook original message", "Still broken.\r\n\r\n-----Original Message-----\r\nFrom: Service desk\r\nSent: Tuesday\r\nSubject: INC-000001\r\n\r\nold text", "Still broken."},
		{"outlook header block", "See attached.\n\nFrom: Service desk <desk@steward.test>\nSent: Tuesday, March 3, 2026 10:00\nTo: Ann\nSubject: RE: [INC-000001]\n\nold text", "See attached."},
		{"signature", "Yes, go ahead.\n-- \nAnn Example\nHead of Things", "Yes, go ahead."},
		{"mobile signature", "OK\n\nSent from my iPhone", "OK"},
		{"inline answers keep own lines", "> Is it urgent?\nYes.\n> Since when?\nSince Monday.", "Yes.\nSince Monday."},
		{"only quotes keeps everything", "> just a quote", "> just a quote"},
		{"a From: in the text is not history", "From: my point of view it is fine.\nThanks", "From: my point of view it is fine.\nThanks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := TrimReply(c.in); got != c.want {
				t.Errorf("TrimReply:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestThreadRef(t *testing.T) {
	cases := []struct {
		name             string
		inReplyTo, refs  []string
		subject, wantRef string
	}{
		{"message id in In-Reply-To", []string{"steward.INC-000123.2.a8f3@steward.test"}, nil, "Re: printer", "INC-000123"},
		{"thread id in References", []string{"other@example.com"}, []string{"x@y", "steward.REQ-000045@steward.test"}, "Re: x", "REQ-000045"},
		{"nearest reference wins", nil, []string{"steward.INC-000001@h", "steward.INC-000002.1.z@h"}, "", "INC-000002"},
		{"subject number", nil, nil, "RE: [INC-000777] VPN", "INC-000777"},
		{"lower case subject number", nil, nil, "AW: [inc-000777] VPN", "INC-000777"},
		{"look-alike ids are not ours", []string{"notsteward.INC-1@h", "steward.inc-1@h"}, nil, "Re: hello", ""},
		{"nothing", nil, nil, "New laptop", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &Message{InReplyTo: c.inReplyTo, References: c.refs, Subject: c.subject}
			if got := ThreadRef(m); got != c.wantRef {
				t.Errorf("ThreadRef = %q, want %q", got, c.wantRef)
			}
		})
	}
	if !isOwnMessageID("<steward.INC-000123.2.a8f3@steward.test>") || isOwnMessageID("steward.INC-000123@steward.test") {
		t.Error("own message ids: a message id is ours, a thread id is not a message we sent")
	}
}

func TestCleanSubject(t *testing.T) {
	for in, want := range map[string]string{
		"Re: RE: Fwd: Printer on fire":        "Printer on fire",
		"AW: WG: [INC-000123] Drucker":        "Drucker",
		"Re[2]: SV: VPN":                      "VPN",
		"Release notes: March":                "Release notes: March",
		"  spaced \t\r\n  out  ":              "spaced out",
		"Line one\r\nBcc: victim@example.com": "Line one Bcc: victim@example.com",
	} {
		if got := CleanSubject(in); got != want {
			t.Errorf("CleanSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNoise(t *testing.T) {
	const own = "desk@steward.test"
	cases := []struct {
		name, raw, envFrom, want string
	}{
		{"person", "From: ann@example.com\nSubject: hi\n\nhello", "ann@example.com", ""},
		{"auto-submitted no", "From: ann@example.com\nAuto-Submitted: no\nSubject: hi\n\nhello", "ann@example.com", ""},
		{"out of office", "From: ann@example.com\nAuto-Submitted: auto-replied\nSubject: Out of office\n\naway", "ann@example.com", reasonAutoReply},
		{"precedence bulk", "From: news@example.com\nPrecedence: bulk\nSubject: News\n\nnews", "news@example.com", reasonAutoReply},
		{"precedence junk", "From: x@example.com\nPrecedence: junk\nSubject: x\n\nx", "x@example.com", reasonAutoReply},
		{"x-autoreply", "From: x@example.com\nX-Autoreply: yes\nSubject: x\n\nx", "x@example.com", reasonAutoReply},
		{"x-autorespond", "From: x@example.com\nX-Autorespond: yes\nSubject: x\n\nx", "x@example.com", reasonAutoReply},
		{"mailing list", "From: x@example.com\nList-Id: <ops.lists.example.com>\nSubject: x\n\nx", "x@example.com", reasonList},
		{"mailer-daemon", "From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered\n\nx", "", reasonBounce},
		{"null envelope sender", "From: ann@example.com\nSubject: x\n\nx", "", reasonBounce},
		{"delivery report", "From: postmaster@example.net\nSubject: failure\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n" +
			"--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--b--\n", "", reasonBounce},
		{"own message id", "From: ann@example.com\nMessage-ID: <steward.INC-000001.1.ab@steward.test>\nSubject: x\n\nx", "ann@example.com", reasonOwn},
		{"own ref header", "From: relay@example.com\nX-Steward-Ref: INC-000001\nAuto-Submitted: auto-generated\nSubject: x\n\nx", "relay@example.com", reasonOwn},
		{"own from address", "From: Service desk <DESK@steward.test>\nSubject: x\n\nx", "desk@steward.test", reasonOwn},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(crlf(c.raw)))
			if err != nil {
				t.Fatal(err)
			}
			if got := noise(m, c.envFrom, own, true); got != c.want {
				t.Errorf("noise = %q, want %q", got, c.want)
			}
		})
	}
}

func TestHTMLTextDropsMarkupOnly(t *testing.T) {
	got := HTMLText(`<div>a &lt;b&gt; &amp; c<br>next</div><table><tr><td>x</td><td>y</td></tr></table>`)
	if !strings.Contains(got, "a <b> & c\nnext") || !strings.Contains(got, "x y") {
		t.Errorf("HTMLText = %q", got)
	}
}
