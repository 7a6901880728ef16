package mailin

import (
	"context"
	"crypto/tls"
	"testing"

	"steward/internal/store/storetest"
)

// A Message-ID carrying bytes that are not UTF-8 is still taken: the
// message opens its ticket on both engines rather than failing the
// database write, which would leave it undelivered for ever (SMTP answers
// 451 each time; the mailbox poll stops at it and takes nothing after).
func TestMessageIDNotUTF8IsTaken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		raw := "From: alice@example.com\nTo: " + deskAddress + "\nSubject: Broken id\nMessage-ID: <caf\xe9-\xff@mailer.example>\n" +
			"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nThe id of this message is not UTF-8.\n"
		res, err := d.s.Take(context.Background(), Delivery{Raw: []byte(crlf(delivered(raw))), Via: "imap", Mailbox: "INBOX", UIDValidity: 1, UID: 7})
		if err != nil {
			t.Fatalf("a Message-ID that is not UTF-8 makes Take fail (the message is retried for ever): %v", err)
		}
		if res.Entry.Outcome != Opened {
			t.Fatalf("outcome %q (%s), want an incident", res.Entry.Outcome, res.Entry.Words())
		}
	})
}

// The same message read from the mailbox on PostgreSQL: one message whose
// Message-ID is not UTF-8 must not stop the poll from taking the
// messages after it.
func TestUnstorableMessageDoesNotStopMailbox(t *testing.T) {
	e, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("needs PostgreSQL")
	}
	dv := startDovecot(t)
	d := newDesk(t, e)
	c := dv.mailbox(t)
	appendMail(t, c, "INBOX", "From: alice@example.com\nTo: "+deskAddress+"\nSubject: Broken id\nMessage-ID: <caf\xe9@mailer.example>\n"+
		"Content-Type: text/plain\n\nbroken\n")
	appendMail(t, c, "INBOX", plainMail("amir@example.com", "Mouse", "It squeaks."))
	d.s.Cfg.IMAPURL = "imap://" + imapUser + ":" + imapPass + "@" + dv.addr + "/INBOX"
	d.s.IMAPTLS = &tls.Config{RootCAs: dv.roots}
	for range 2 {
		d.s.PollIMAP(context.Background())
	}
	if n := d.count("SELECT COUNT(*) FROM incidents WHERE title = 'Mouse'"); n != 1 {
		t.Errorf("after two polls the good message behind the broken one opened %d incidents, want 1: the mailbox is stuck", n)
	}
}
