package mailin

import (
	"context"
	"testing"

	"steward/internal/store/storetest"
)

// A message whose From names a member of staff but whose SMTP envelope
// sender is a stranger's address is not taken as that member of staff:
// the relay does not check From, so anyone could otherwise comment on any
// customer's ticket as an administrator.
func TestSpoofedFromIsNotTakenAsStaff(t *testing.T) {
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
		if res.Entry.Outcome != Held || res.Entry.Reason != reasonUnverified {
			t.Errorf("the spoofed message was %q (%s), want held for an agent", res.Entry.Outcome, res.Entry.Words())
		}
	})
}

// via is a delivery of raw by SMTP with the given envelope sender.
func (d *desk) via(envelope, raw string) Result {
	d.t.Helper()
	res, err := d.s.Take(context.Background(), Delivery{Raw: []byte(crlf(raw)), Via: "smtp", EnvelopeFrom: envelope, Recipients: []string{deskAddress}})
	if err != nil {
		d.t.Fatal(err)
	}
	return res
}

// Which messages are taken as the person their From names, and which
// wait for an agent: the envelope sender at the From domain (or a
// subdomain), or a DMARC pass for it recorded by the receiving server in
// the topmost Authentication-Results header.
func TestSenderVerification(t *testing.T) {
	d := newDesk(t, storetest.SQLite(t))
	const passed = "Authentication-Results: mx.steward.test; spf=pass smtp.mailfrom=esp.test; dmarc=pass (p=reject dis=none) header.from=example.com"
	for _, c := range []struct {
		name, envelope string
		headers        []string
		want           string
	}{
		{"same domain", "alice@example.com", nil, Opened},
		{"bounce address of a subdomain", "bounces+123@mail.example.com", nil, Opened},
		{"another domain", "bounces@esp.test", nil, Held},
		{"a domain ending like it", "mallory@badexample.com", nil, Held},
		{"DMARC pass recorded by the receiving server", "bounces@esp.test", []string{passed}, Opened},
		{"DMARC pass for another domain", "bounces@esp.test", []string{"Authentication-Results: mx.steward.test; dmarc=pass header.from=esp.test"}, Held},
		{"DMARC fail on top, a pass the sender wrote below", "mallory@evil.test", []string{
			"Authentication-Results: mx.steward.test; dmarc=fail (p=none) header.from=example.com", passed}, Held},
		{"a pass hidden in a comment", "mallory@evil.test", []string{"Authentication-Results: mx.steward.test; dmarc=fail (dmarc=pass) header.from=example.com"}, Held},
	} {
		raw := plainMail("alice@example.com", "Check: "+c.name, "text")
		for i := len(c.headers) - 1; i >= 0; i-- {
			raw = c.headers[i] + "\n" + raw
		}
		if res := d.via(c.envelope, raw); res.Entry.Outcome != c.want {
			t.Errorf("%s: %q (%s), want %q", c.name, res.Entry.Outcome, res.Entry.Words(), c.want)
		}
	}
}

// A message read from the mailbox is checked against the Return-Path its
// server wrote on delivery: one from another domain waits for an agent.
func TestMailboxReturnPathChecked(t *testing.T) {
	d := newDesk(t, storetest.SQLite(t))
	read := func(raw string) Result {
		res, err := d.s.Take(context.Background(), Delivery{Raw: []byte(crlf(raw)), Via: "imap"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := read("Return-Path: <mallory@evil.test>\n" + plainMail("alice@example.com", "Spoofed", "x")); res.Entry.Outcome != Held {
		t.Errorf("Return-Path at evil.test, From at example.com: %q, want held", res.Entry.Outcome)
	}
	if res := read(plainMail("alice@example.com", "No Return-Path", "x")); res.Entry.Outcome != Held {
		t.Errorf("no Return-Path: %q, want held", res.Entry.Outcome)
	}
	if res := read("Return-Path: <alice@example.com>\n" + plainMail("alice@example.com", "Genuine", "x")); res.Entry.Outcome != Opened {
		t.Errorf("Return-Path at the From domain: %q (%s), want an incident", res.Entry.Outcome, res.Entry.Words())
	}
}

// A held reply an agent accepts becomes the comment of the sender's
// account, as if it had been verified; a stranger whose From cannot be
// verified gets no account where unknown senders are given one.
func TestHeldUnverifiedMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		inc := d.incident(d.take(plainMail("bob@example.com", "VPN", "The VPN drops.")))
		held := d.via("bounces@esp.test", plainMail("bob@example.com", "Re: ["+inc.Number+"] VPN", "It works again."))
		if held.Entry.Outcome != Held {
			t.Fatalf("reply with another envelope domain: %q", held.Entry.Outcome)
		}
		acc, err := d.s.Accept(ctx, d.p["agent"], held.Entry.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if acc.Outcome != Commented || acc.CommentID == nil || acc.UserID == nil || *acc.UserID != d.p["bob"].UserID {
			t.Fatalf("accepted reply: %+v", acc)
		}
		found := false
		for _, je := range d.journal(inc.ID) {
			found = found || (je.ID == *acc.CommentID && je.Body == "It works again." && je.AuthorID != nil && *je.AuthorID == d.p["bob"].UserID)
		}
		if !found {
			t.Errorf("the accepted reply is not Bob's comment on %s", inc.Number)
		}
		stranger := d.via("x@esp.test", "Return-Path: <x@esp.test>\n"+plainMail("zed@stranger.test", "Re: ["+inc.Number+"] VPN", "me too"))
		if stranger.Entry.Outcome != Refused || stranger.Entry.Reason != reasonUnknownReply {
			t.Errorf("a stranger's unverified reply: %q (%s), want refused as any stranger's reply", stranger.Entry.Outcome, stranger.Entry.Words())
		}
		// An agent accepting a held reply for an account that may not see
		// the record is told so; nothing is added.
		other := d.via("bounces@esp.test", plainMail("bob@example.com", "Re: ["+inc.Number+"] VPN", "again"))
		if _, err := d.s.Accept(ctx, d.p["agent"], other.Entry.ID, "alice@example.com"); err == nil {
			t.Error("a held reply to Beta's incident was accepted as Alpha's Alice")
		}

		st := DefaultSettings()
		st.UnknownSender = UnknownCreate
		if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
			t.Fatal(err)
		}
		res := d.via("bounces@esp.test", plainMail("yan@newco.test", "Hello", "Please help."))
		if res.Entry.Outcome != Held || d.count("SELECT COUNT(*) FROM users WHERE email = 'yan@newco.test'") != 0 {
			t.Errorf("an unverified stranger under \"create a requester\": %q, accounts %d", res.Entry.Outcome,
				d.count("SELECT COUNT(*) FROM users WHERE email = 'yan@newco.test'"))
		}
	})
}
