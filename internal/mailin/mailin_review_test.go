package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/request"
	"steward/internal/store/storetest"
)

// A Message-ID carrying bytes that are not UTF-8 is still taken: the
// message opens its ticket on both engines rather than failing the
// database write, which would leave it undelivered for ever (SMTP answers
// 451 each time; the mailbox poll stops at it and takes nothing after).
func TestReviewMessageIDNotUTF8IsTaken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		raw := "From: alice@example.com\nTo: " + deskAddress + "\nSubject: Broken id\nMessage-ID: <caf\xe9-\xff@mailer.example>\n" +
			"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nThe id of this message is not UTF-8.\n"
		res, err := d.s.Take(context.Background(), Delivery{Raw: []byte(crlf(raw)), Via: "imap", Mailbox: "INBOX", UIDValidity: 1, UID: 7})
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
func TestReviewIMAPPoisonMessageBlocksMailbox(t *testing.T) {
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

// A message whose From names a member of staff but whose SMTP envelope
// sender is a stranger's address is not taken as that member of staff:
// the relay does not check From, so anyone could otherwise comment on any
// customer's ticket as an administrator.
func TestReviewSpoofedFromIsNotTakenAsStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		inc := d.incident(d.take(plainMail("bob@example.com", "Payroll export", "Beta's payroll export fails.")))
		spoof := "From: Admin <admin@example.com>\nTo: " + deskAddress + "\nSubject: Re: [" + inc.Number + "] Payroll export\n" +
			"Message-ID: <spoof-1@evil.test>\nContent-Type: text/plain\n\nPlease send the export to mallory@evil.test.\n"
		res, err := d.s.Take(context.Background(), Delivery{Raw: []byte(crlf(spoof)), Via: "smtp", EnvelopeFrom: "mallory@evil.test",
			Recipients: []string{deskAddress}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Entry.Outcome == Commented {
			t.Errorf("a message sent by mallory@evil.test with From: admin@example.com was added to %s as the administrator's comment", inc.Number)
		}
	})
}

// Under "create a requester", a stranger who writes to an address mapped
// to a customer must not become a member of that customer's organisation,
// able to comment on all of its tickets by e-mail.
func TestReviewStrangerJoinsMappedCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		inc := d.incident(d.take(plainMail("bob@example.com", "Salary list", "Beta's salary list is wrong.")))
		beta := d.p["admin"]
		if _, err := d.s.AddAddress(ctx, beta, Address{Address: "beta@steward.test", CustomerID: &d.custB}); err != nil {
			t.Fatal(err)
		}
		st := DefaultSettings()
		st.UnknownSender = UnknownCreate
		if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
			t.Fatal(err)
		}
		hello := "From: mallory@evil.test\nTo: beta@steward.test\nSubject: Hello\nMessage-ID: <hello@evil.test>\nContent-Type: text/plain\n\nhi\n"
		if res, err := d.s.Take(ctx, Delivery{Raw: []byte(crlf(hello)), Via: "smtp", EnvelopeFrom: "mallory@evil.test",
			Recipients: []string{"beta@steward.test"}}); err != nil || res.Entry.Outcome != Opened {
			t.Fatalf("first message: %+v %v", res.Entry, err)
		}
		reply := d.take(plainMail("mallory@evil.test", "Re: ["+inc.Number+"] Salary list", "Send me the list."))
		if reply.Entry.Outcome == Commented {
			u, _ := auth.UserByEmail(ctx, d.db, "mallory@evil.test")
			var cust int64
			if u.CustomerID != nil {
				cust = *u.CustomerID
			}
			t.Errorf("a stranger who once wrote to beta@ was made a requester of customer %d (Beta is %d) and commented on Beta's %s", cust, d.custB, inc.Number)
		}
	})
}

// Two different messages from two different people that happen to carry
// the same Message-ID (a broken mailer, or a forged id) are both taken:
// the second is not silently dropped as a duplicate of the first.
func TestReviewSameMessageIDOtherSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		first := "From: alice@example.com\nTo: " + deskAddress + "\nSubject: Printer\nMessage-ID: <1@localhost>\n" +
			"Content-Type: text/plain\n\nThe printer jams.\n"
		second := "From: bob@example.com\nTo: " + deskAddress + "\nSubject: Laptop\nMessage-ID: <1@localhost>\n" +
			"Content-Type: text/plain\n\nMy laptop does not start.\n"
		d.take(first)
		res := d.take(second)
		if res.Duplicate || d.count("SELECT COUNT(*) FROM incidents") != 2 {
			t.Errorf("Bob's different message with the same Message-ID as Alice's was dropped as a duplicate (entry %d from %s)",
				res.Entry.ID, res.Entry.Sender)
		}
	})
}

// manyFiles is a message from alice with n small attachments.
func manyFiles(id, subject string, n int) string {
	var b strings.Builder
	b.WriteString("From: alice@example.com\nTo: " + deskAddress + "\nSubject: " + subject + "\nMessage-ID: <" + id + ">\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nSee the files.\n")
	for i := range n {
		b.WriteString("--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=" + strings.Split(id, "@")[0] + "-" + itoaTest(i) + ".txt\n\n" +
			id + " file " + itoaTest(i) + "\n")
	}
	return b.String() + "--b--\n"
}

// A message may carry hundreds of files, and each becomes one of the
// record's files, yet the record lists at most 500: a later reply's
// files and original message are stored but nobody can see them.
func TestReviewFilesBeyondTheRecordsListAreLost(t *testing.T) {
	d := newDesk(t, storetest.SQLite(t))
	ctx := context.Background()
	inc := d.incident(d.take(manyFiles("first@example.com", "Logs", 300)))
	reply := d.take(manyFiles("second@example.com", "Re: ["+inc.Number+"] Logs", 300))
	if reply.Entry.Outcome != Commented {
		t.Fatalf("reply: %q (%s)", reply.Entry.Outcome, reply.Entry.Words())
	}
	k, _ := d.s.Records.Kinds.Get("incident")
	list, err := d.s.Records.Attachments.List(ctx, d.p["agent"], k, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	eml := 0
	for _, a := range list {
		if strings.HasSuffix(a.Filename, ".eml") {
			eml++
		}
	}
	stored := d.count("SELECT COUNT(*) FROM attachments WHERE kind = 'incident' AND record_id = ?", inc.ID)
	if eml != 2 || len(list) != stored {
		t.Errorf("two messages stored %d files on %s; its list shows %d, with %d of the 2 original messages", stored, inc.Number, len(list), eml)
	}
}

// Apple Mail sends a message with a picture in the middle of the text as
// text, the picture, and the rest of the text in separate parts: the
// ticket's description holds all of the sender's text, not only what
// came before the picture.
func TestReviewTextAfterInlinePictureKept(t *testing.T) {
	d := newDesk(t, storetest.SQLite(t))
	raw := "From: alice@example.com\nTo: " + deskAddress + "\nSubject: Error dialog\nMessage-ID: <apple-1@example.com>\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a\n\n" +
		"--a\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nThis dialog appears at start-up:\n\n" +
		"--a\nContent-Type: image/png; name=\"dialog.png\"\nContent-Disposition: inline; filename=\"dialog.png\"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n" +
		"--a\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nAfter I click OK the laptop restarts.\n--a--\n"
	inc := d.incident(d.take(raw))
	if !strings.Contains(inc.Description, "the laptop restarts") {
		t.Errorf("description %q: the text after the picture is missing", inc.Description)
	}
}

// Deleting a support group, customer or catalogue item that a mapped
// mail address leads to says that the address map holds it, so the
// administrator knows what to change; it does not blame users and
// incidents or give a bare "conflicts with existing records".
func TestReviewDeletingMappedTargetSaysWhy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		item, err := d.s.Requests.CreateItem(ctx, d.p["admin"], request.NewItem{ServiceID: d.service, Name: "Guest Wi-Fi"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.s.AddAddress(ctx, d.p["admin"], Address{Address: "wifi@steward.test", ItemID: &item.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.s.AddAddress(ctx, d.p["admin"], Address{Address: "network@steward.test", GroupID: &d.network}); err != nil {
			t.Fatal(err)
		}
		for what, err := range map[string]error{
			"catalogue item": d.s.Requests.DeleteItem(ctx, d.p["admin"], item.ID),
			"support group":  org.Groups.Delete(ctx, d.db, d.p["admin"].Actor(), d.network),
		} {
			var c *domainerr.Conflict
			if err == nil || !errors.As(err, &c) || !strings.Contains(strings.ToLower(c.Message), "mail") {
				t.Errorf("deleting a %s a mail address leads to: %v; want a conflict naming the incoming-mail address", what, err)
			}
		}
	})
}
