package mailin

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/request"
	"steward/internal/store/storetest"
)

// TestNewMessageOpensIncident: a requester's message opens an incident as
// them, titled from the subject, with the text, its attachment and the
// original message on it; the same message again changes nothing.
func TestNewMessageOpensIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 the log"))
		raw := "From: Alice <Alice@Example.com>\nTo: " + deskAddress + "\nSubject: Re: Fwd: Printer on floor 2 prints stripes\n" +
			"Message-ID: <new-1@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" +
			"--b\nContent-Type: text/plain; charset=utf-8\n\nEvery page has grey stripes.\n-- \nAlice\n" +
			"--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"printer-log.pdf\"\nContent-Transfer-Encoding: base64\n\n" + pdf + "\n--b--\n"
		res := d.take(raw)
		if res.Entry.Outcome != Opened {
			t.Fatalf("outcome %q (%s)", res.Entry.Outcome, res.Entry.Words())
		}
		inc := d.incident(res)
		if inc.Title != "Printer on floor 2 prints stripes" || !strings.Contains(inc.Description, "Every page has grey stripes.") {
			t.Errorf("incident %q: %q", inc.Title, inc.Description)
		}
		if inc.RequesterID == nil || *inc.RequesterID != d.p["alice"].UserID || inc.CustomerID == nil || *inc.CustomerID != d.custA {
			t.Errorf("requester %v customer %v, want Alice of Alpha", inc.RequesterID, inc.CustomerID)
		}
		if inc.Source != SourceEmail {
			t.Errorf("source %q, want email", inc.Source)
		}
		files := d.attachments("incident", inc.ID)
		if _, ok := files["printer-log.pdf"]; !ok || len(files) != 2 {
			t.Errorf("files %v: want the PDF and the original message", files)
		}
		if res.Entry.FilesPending || d.count("SELECT COUNT(*) FROM mail_in_raw") != 0 {
			t.Error("files done: the raw message should be let go (the record keeps the .eml)")
		}
		again := d.take(raw)
		if !again.Duplicate || d.count("SELECT COUNT(*) FROM incidents") != 1 || d.count("SELECT COUNT(*) FROM mail_in_log") != 1 {
			t.Errorf("second delivery: duplicate %v, %d incidents", again.Duplicate, d.count("SELECT COUNT(*) FROM incidents"))
		}
		// Putting the files on again (a job after a crash) adds none twice.
		if _, err := d.db.Exec(context.Background(), "UPDATE mail_in_log SET files_pending = TRUE"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.db.Exec(context.Background(), "INSERT INTO mail_in_raw (log_id, data) VALUES (?, ?)", res.Entry.ID, []byte(crlf(raw))); err != nil {
			t.Fatal(err)
		}
		if err := d.s.AttachFiles(context.Background(), res.Entry.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(d.attachments("incident", inc.ID)); n != 2 {
			t.Errorf("%d files after a second attempt, want 2", n)
		}
	})
}

// TestReplyBecomesComment: a reply naming Steward's thread id is a public
// comment by its sender, quoted history and signature cut, its files on
// the comment; a reply by someone who may not see the record opens
// nothing and adds nothing.
func TestReplyBecomesComment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		inc := d.incident(d.take(plainMail("alice@example.com", "VPN drops", "The VPN drops every hour.")))
		reply := "From: alice@example.com\nTo: " + deskAddress + "\nSubject: Re: [" + inc.Number + "] VPN drops\n" +
			"Message-ID: <reply-1@example.com>\nIn-Reply-To: <steward." + inc.Number + ".2.x7@steward.test>\n" +
			"References: <steward." + inc.Number + "@steward.test> <steward." + inc.Number + ".2.x7@steward.test>\n" +
			"Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nIt happened again at 10:00.\n\n" +
			"On Tue, 3 Mar 2026 at 09:00, Service desk <desk@steward.test> wrote:\n> Please tell us when it happens.\n" +
			"--z\nContent-Type: text/plain\nContent-Disposition: attachment; filename=vpn.log\n\nline 1\n--z--\n"
		res := d.take(reply)
		if res.Entry.Outcome != Commented || res.Entry.Record != inc.Number {
			t.Fatalf("outcome %q on %q (%s)", res.Entry.Outcome, res.Entry.Record, res.Entry.Words())
		}
		var comment incident.Entry
		for _, je := range d.journal(inc.ID) {
			if je.Kind == "comment" {
				comment = je
			}
		}
		if comment.Body != "It happened again at 10:00." || comment.AuthorID == nil || *comment.AuthorID != d.p["alice"].UserID {
			t.Errorf("comment %q by %v, want the new text by Alice", comment.Body, comment.AuthorID)
		}
		files := d.attachments("incident", inc.ID)
		if files["vpn.log"] != comment.ID {
			t.Errorf("vpn.log on entry %d, want the comment %d (files %v)", files["vpn.log"], comment.ID, files)
		}
		emls := 0
		for name, entry := range files {
			if strings.HasSuffix(name, ".eml") && entry == comment.ID {
				emls++
			}
		}
		if emls != 1 {
			t.Errorf("the reply's original message is not kept on its comment: %v", files)
		}

		// Bob (another customer) answers the same thread: nothing leaks.
		for _, raw := range []string{
			strings.ReplaceAll(strings.ReplaceAll(reply, "alice@example.com", "bob@example.com"), "reply-1@", "reply-2@"),
			plainMail("bob@example.com", "RE: ["+inc.Number+"] VPN drops", "I want to see this"),
		} {
			res := d.take(raw)
			if res.Entry.Outcome != Refused || res.Entry.Reason != reasonNotVisible {
				t.Errorf("Bob's reply: %q %q, want refused as not visible", res.Entry.Outcome, res.Entry.Reason)
			}
		}
		// A stranger's reply is refused too.
		if res := d.take(plainMail("mallory@evil.test", "Re: ["+inc.Number+"]", "hi")); res.Entry.Reason != reasonUnknownReply {
			t.Errorf("stranger's reply: %q", res.Entry.Reason)
		}
		if n := d.count("SELECT COUNT(*) FROM incidents"); n != 1 {
			t.Errorf("%d incidents, want 1: refused replies open nothing", n)
		}
		if n := d.count("SELECT COUNT(*) FROM incident_journal WHERE kind = 'comment'"); n != 1 {
			t.Errorf("%d comments, want 1", n)
		}
	})
}

// TestReplyToRequestAndClosedRecord: replies reach service requests too;
// a reply to a closed incident is refused with the reason.
func TestReplyToRequestAndClosedRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		item, err := d.s.Requests.CreateItem(ctx, d.p["admin"], request.NewItem{ServiceID: d.service, Name: "New laptop"})
		if err != nil {
			t.Fatal(err)
		}
		req, err := d.s.Requests.Submit(ctx, d.p["alice"], request.NewRequest{ItemID: item.ID, Title: "Laptop"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := d.take(plainMail("alice@example.com", "Re: ["+req.Number+"] Laptop", "A 14 inch one, please.\n> quoted"))
		if res.Entry.Outcome != Commented || res.Entry.RecordKind != "request" {
			t.Fatalf("reply to a request: %q %q (%s)", res.Entry.Outcome, res.Entry.RecordKind, res.Entry.Words())
		}
		if n := d.count("SELECT COUNT(*) FROM request_journal WHERE kind = 'comment' AND body = ?", "A 14 inch one, please."); n != 1 {
			t.Errorf("%d request comments with the trimmed text", n)
		}

		inc, err := d.s.Incidents.Create(ctx, d.p["alice"], incident.NewIncident{Title: "Old"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.db.Exec(ctx, "UPDATE incidents SET state = 'closed' WHERE id = ?", inc.ID); err != nil {
			t.Fatal(err)
		}
		res = d.take(plainMail("alice@example.com", "Re: ["+inc.Number+"] Old", "again"))
		if res.Entry.Outcome != Refused || res.Entry.Reason != reasonClosed || !strings.Contains(res.Entry.Words(), inc.Number) {
			t.Errorf("reply to a closed incident: %q %q %q", res.Entry.Outcome, res.Entry.Reason, res.Entry.Words())
		}
	})
}

// TestNoiseOpensNothing: automatic replies, bounces, lists and Steward's
// own mail are logged and open nothing.
func TestNoiseOpensNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		inc := d.incident(d.take(plainMail("alice@example.com", "Printer", "broken")))
		for _, raw := range []string{
			plainMail("alice@example.com", "Out of office: ["+inc.Number+"]", "I am away", "Auto-Submitted: auto-replied"),
			plainMail("alice@example.com", "Automatic reply", "away", "X-Autoreply: yes"),
			plainMail("alice@example.com", "Newsletter", "news", "Precedence: list"),
			plainMail("alice@example.com", "[ops] thread", "list mail", "List-Id: <ops.example.com>"),
			plainMail("MAILER-DAEMON@mx.example.com", "Undelivered Mail Returned to Sender", "failed"),
			"From: postmaster@example.com\nSubject: Delivery Status Notification (Failure)\nMessage-ID: <dsn-1@example.com>\n" +
				"Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\nfailed\n" +
				"--r\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@example.com\nStatus: 5.1.1\n--r--\n",
			plainMail("Service desk <desk@steward.test>", "["+inc.Number+"] Update", "Your incident was updated"),
			"From: alice@example.com\nSubject: Re: x\nMessage-ID: <steward." + inc.Number + ".9.ab12@steward.test>\n\nlooped\n",
			plainMail("relay@example.com", "["+inc.Number+"] Update", "looped", "X-Steward-Ref: "+inc.Number, "Auto-Submitted: auto-generated"),
		} {
			res := d.take(raw)
			if res.Entry.Outcome != Ignored {
				t.Errorf("%q: outcome %q (%s), want ignored", firstLine(raw, "Subject:"), res.Entry.Outcome, res.Entry.Words())
			}
		}
		if n := d.count("SELECT COUNT(*) FROM incidents"); n != 1 {
			t.Errorf("%d incidents, want 1", n)
		}
		if n := d.count("SELECT COUNT(*) FROM incident_journal WHERE kind = 'comment'"); n != 0 {
			t.Errorf("%d comments, want none", n)
		}
	})
}

func firstLine(raw, prefix string) string {
	for _, l := range strings.Split(raw, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestBadInput: unreadable MIME, a mass mailing and header injection are
// refused or defused; nothing is created from them.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		res := d.take("From: alice@example.com\nSubject: Broken\nContent-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n")
		if res.Entry.Outcome != Refused || res.Entry.Reason != reasonMalformed || !res.Reject {
			t.Errorf("malformed: %+v", res)
		}
		cc := make([]string, 1000)
		for i := range cc {
			cc[i] = "person" + itoaTest(i) + "@example.com"
		}
		res = d.take(plainMail("alice@example.com", "To everyone", "spam", "Cc: "+strings.Join(cc, ", ")))
		if res.Entry.Reason != reasonRecipients || !res.Reject || !strings.Contains(res.Entry.Words(), "1001 addresses") {
			t.Errorf("1,000 recipients: %q %q", res.Entry.Reason, res.Entry.Words())
		}
		if n := d.count("SELECT COUNT(*) FROM incidents"); n != 0 {
			t.Errorf("%d incidents from bad input", n)
		}

		// A subject that decodes to line breaks and a header, and a long one.
		inj := "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte("Help\r\nBcc: victim@example.com\r\n\r\n<script>x</script>")) + "?="
		inc := d.incident(d.take(plainMail("alice@example.com", inj, "body")))
		if strings.ContainsAny(inc.Title, "\r\n") || inc.Title != "Help Bcc: victim@example.com <script>x</script>" {
			t.Errorf("title %q: must be one line", inc.Title)
		}
		long := d.incident(d.take(plainMail("alice@example.com", strings.Repeat("Ä", 500), "body")))
		if n := len([]rune(long.Title)); n != 200 {
			t.Errorf("long subject gave a title of %d characters, want 200", n)
		}
		empty := d.incident(d.take(plainMail("alice@example.com", "", "")))
		if empty.Title != "E-mail from Alice" && empty.Title != "E-mail from alice@example.com" {
			t.Errorf("title of a message without subject: %q", empty.Title)
		}
	})
}

func itoaTest(n int) string { return strconv.Itoa(n) }

// TestUnknownSenders follows each setting: refuse, hold (accept or
// discard), create a requester.
func TestUnknownSenders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		set := func(policy string) {
			st := DefaultSettings()
			st.UnknownSender = policy
			if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
				t.Fatal(err)
			}
		}
		res := d.take(plainMail("carol@newco.test", "Hello", "Can you help?"))
		if res.Entry.Outcome != Refused || res.Entry.Reason != reasonUnknownSender {
			t.Errorf("refuse: %q %q", res.Entry.Outcome, res.Entry.Reason)
		}

		set(UnknownHold)
		held := d.take(plainMail("\"Dan Dee\" <dan@newco.test>", "Need access", "to the share"))
		dropped := d.take(plainMail("eve@spam.test", "Cheap pills", "buy"))
		if held.Entry.Outcome != Held || dropped.Entry.Outcome != Held || d.count("SELECT COUNT(*) FROM incidents") != 0 {
			t.Fatalf("hold: %q %q", held.Entry.Outcome, dropped.Entry.Outcome)
		}
		if _, err := d.s.Accept(ctx, d.p["auditor"], held.Entry.ID, ""); err == nil {
			t.Error("an auditor accepted a held message")
		}
		acc, err := d.s.Accept(ctx, d.p["agent"], held.Entry.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		inc, err := d.s.Incidents.Get(ctx, d.p["admin"], *acc.RecordID)
		if err != nil {
			t.Fatal(err)
		}
		u, err := auth.UserByEmail(ctx, d.db, "dan@newco.test")
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != auth.Requester || u.Name != "Dan Dee" || !u.Active || inc.RequesterID == nil || *inc.RequesterID != u.ID || inc.Title != "Need access" {
			t.Errorf("accepted: user %+v incident %q requester %v", u, inc.Title, inc.RequesterID)
		}
		if acc.Outcome != Opened || acc.DecidedBy == nil || *acc.DecidedBy != d.p["agent"].UserID {
			t.Errorf("accepted entry %+v", acc)
		}
		if _, err := d.s.Accept(ctx, d.p["agent"], held.Entry.ID, ""); err == nil {
			t.Error("a message was accepted twice")
		}
		if err := d.s.Discard(ctx, d.p["agent"], dropped.Entry.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.s.Get(ctx, d.p["agent"], dropped.Entry.ID); got.Outcome != Discarded || d.count("SELECT COUNT(*) FROM mail_in_raw") != 0 {
			t.Errorf("discarded entry %q; raw kept %d", got.Outcome, d.count("SELECT COUNT(*) FROM mail_in_raw"))
		}
		// Accepting for an existing account.
		held2 := d.take(plainMail("alice.private@home.test", "From home", "my home address"))
		acc2, err := d.s.Accept(ctx, d.p["agent"], held2.Entry.ID, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if acc2.UserID == nil || *acc2.UserID != d.p["alice"].UserID {
			t.Errorf("accepted for Alice: user %v", acc2.UserID)
		}
		if _, err := d.s.Accept(ctx, d.p["agent"], d.take(plainMail("x@home.test", "x", "x")).Entry.ID, "nobody@nowhere.test"); err == nil {
			t.Error("accepted for an account that does not exist")
		}

		set(UnknownCreate)
		res = d.take(plainMail("\"Fay\r\n Smith\" <fay@newco.test>", "Printer", "jammed"))
		if res.Entry.Outcome != Opened {
			t.Fatalf("create: %q %s", res.Entry.Outcome, res.Entry.Words())
		}
		fay, err := auth.UserByEmail(ctx, d.db, "fay@newco.test")
		if err != nil {
			t.Fatal(err)
		}
		var hash string
		if err := d.db.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", fay.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if fay.Role != auth.Requester || fay.Name != "Fay Smith" || hash != "" {
			t.Errorf("made account %+v with password hash %q", fay, hash)
		}
	})
}

// TestAddressMap: a mapped address routes to a group, gives a new
// requester its customer, or raises a service request for an item.
func TestAddressMap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		item, err := d.s.Requests.CreateItem(ctx, d.p["admin"], request.NewItem{ServiceID: d.service, Name: "Guest Wi-Fi"})
		if err != nil {
			t.Fatal(err)
		}
		formItem, err := d.s.Requests.CreateItem(ctx, d.p["admin"], request.NewItem{ServiceID: d.service, Name: "Badge",
			Form: &request.Form{Fields: []request.Field{{Key: "room", Label: "Room", Type: request.TextField, Required: true}}}})
		if err != nil {
			t.Fatal(err)
		}
		add := func(a Address) {
			if _, err := d.s.AddAddress(ctx, d.p["admin"], a); err != nil {
				t.Fatal(err)
			}
		}
		add(Address{Address: "network@steward.test", GroupID: &d.network})
		add(Address{Address: "beta@steward.test", CustomerID: &d.custB, Domains: []string{"@Beta.test", "beta-group.test"}})
		add(Address{Address: "wifi@steward.test", ItemID: &item.ID})
		add(Address{Address: "badge@steward.test", ItemID: &formItem.ID})
		if _, err := d.s.AddAddress(ctx, d.p["agent"], Address{Address: "x@steward.test", GroupID: &d.network}); err == nil {
			t.Error("an agent changed the address map")
		}
		if _, err := d.s.AddAddress(ctx, d.p["admin"], Address{Address: "Network@steward.test", GroupID: &d.network}); err == nil {
			t.Error("one address mapped twice")
		}
		if _, err := d.s.AddAddress(ctx, d.p["admin"], Address{Address: "not an address"}); err == nil {
			t.Error("a bad address was mapped")
		}
		for _, bad := range []Address{
			{Address: "x@steward.test", CustomerID: &d.custB, Domains: []string{"beta test"}},
			{Address: "x@steward.test", CustomerID: &d.custB, Domains: []string{"localhost"}},
			{Address: "x@steward.test", GroupID: &d.network, Domains: []string{"beta.test"}},
		} {
			var inv *domainerr.Invalid
			if _, err := d.s.AddAddress(ctx, d.p["admin"], bad); !errors.As(err, &inv) || inv.Fields["domains"] == "" {
				t.Errorf("sender domains %q (customer %v) were taken: %v", bad.Domains, bad.CustomerID, err)
			}
		}
		send := func(from, to, subject string) Result {
			raw := strings.Replace(plainMail(from, subject, "text"), "To: "+deskAddress, "To: "+to, 1)
			res, err := d.s.Take(ctx, Delivery{Raw: []byte(crlf(delivered(raw))), Via: "imap"})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		inc := d.incident(send("alice@example.com", "Network <network@steward.test>", "Switch down"))
		if inc.GroupID == nil || *inc.GroupID != d.network {
			t.Errorf("group %v, want Network", inc.GroupID)
		}
		agentInc := d.incident(send("agent@example.com", "network@steward.test", "Core switch"))
		if agentInc.GroupID == nil || *agentInc.GroupID != d.network || agentInc.RequesterID == nil || *agentInc.RequesterID != d.p["agent"].UserID {
			t.Errorf("agent's mail: group %v requester %v", agentInc.GroupID, agentInc.RequesterID)
		}

		st := DefaultSettings()
		st.UnknownSender = UnknownCreate
		if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
			t.Fatal(err)
		}
		betaInc := d.incident(send("gil@beta.test", "beta@steward.test", "Hello from Beta"))
		if betaInc.CustomerID == nil || *betaInc.CustomerID != d.custB {
			t.Errorf("new requester's incident customer %v, want Beta", betaInc.CustomerID)
		}
		// A sender from a domain Beta does not list gets an account of no
		// organisation.
		strangerInc := d.incident(send("hal@elsewhere.test", "beta@steward.test", "Hello from elsewhere"))
		if strangerInc.CustomerID != nil {
			t.Errorf("a sender from elsewhere.test writing to Beta's address joined customer %d", *strangerInc.CustomerID)
		}

		res := send("alice@example.com", "wifi@steward.test", "Guest access for Tuesday")
		if res.Entry.RecordKind != "request" {
			t.Fatalf("item address: %q %s", res.Entry.RecordKind, res.Entry.Words())
		}
		req, err := d.s.Requests.Get(ctx, d.p["admin"], *res.Entry.RecordID)
		if err != nil {
			t.Fatal(err)
		}
		if req.ItemID != item.ID || req.Title != "Guest access for Tuesday" || req.RequesterID != d.p["alice"].UserID {
			t.Errorf("request %+v", req)
		}
		res = send("alice@example.com", "badge@steward.test", "Badge please")
		if res.Entry.RecordKind != "incident" || res.Entry.Reason != reasonFormNeeded {
			t.Errorf("item with a form: %q %q", res.Entry.RecordKind, res.Entry.Reason)
		}
		notes := 0
		for _, je := range d.journal(*res.Entry.RecordID) {
			if je.Kind == "work_note" && strings.Contains(je.Body, "badge@steward.test") {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("the incident does not say why it is not a request")
		}
	})
}

// TestRateLimit: past the limit a sender is deferred by SMTP (once noted)
// and refused from the mailbox.
func TestRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		st := DefaultSettings()
		st.RateLimit = 3
		if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if res := d.take(plainMail("alice@example.com", "Issue "+itoaTest(i), "x")); res.Entry.Outcome != Opened {
				t.Fatalf("message %d: %q", i, res.Entry.Outcome)
			}
		}
		for range 2 {
			if res := d.take(plainMail("alice@example.com", "One more", "x")); !res.Temporary || res.Entry.Outcome != Deferred {
				t.Errorf("over the limit by SMTP: %+v", res)
			}
		}
		res, err := d.s.Take(ctx, Delivery{Raw: []byte(crlf(delivered(plainMail("alice@example.com", "From the mailbox", "x")))), Via: "imap"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Temporary || res.Entry.Outcome != Refused || res.Entry.Reason != reasonRateLimited {
			t.Errorf("over the limit from the mailbox: %+v", res)
		}
		if res := d.take(plainMail("amir@example.com", "Other sender", "x")); res.Entry.Outcome != Opened {
			t.Errorf("another sender is limited too: %q", res.Entry.Outcome)
		}
		if n := d.count("SELECT COUNT(*) FROM mail_in_log WHERE outcome = 'deferred'"); n != 1 {
			t.Errorf("%d deferral notes, want one per sender and window", n)
		}
	})
}

// TestAttachmentOverLimit: a file over the record kernel's limit is left
// out and said so; the ticket is still opened.
func TestAttachmentOverLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e) // the kernel takes 2 MB
		big := base64.StdEncoding.EncodeToString(make([]byte, 3<<20))
		var b strings.Builder
		for len(big) > 76 {
			b.WriteString(big[:76] + "\n")
			big = big[76:]
		}
		b.WriteString(big)
		raw := "From: alice@example.com\nSubject: Dump\nMessage-ID: <big@example.com>\nContent-Type: multipart/mixed; boundary=b\n\n" +
			"--b\nContent-Type: text/plain\n\nthe dump\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=core.dump\n" +
			"Content-Transfer-Encoding: base64\n\n" + b.String() + "\n--b--\n"
		res := d.take(raw)
		if res.Entry.Outcome != Opened {
			t.Fatalf("outcome %q", res.Entry.Outcome)
		}
		if !strings.Contains(res.Entry.Detail, "core.dump") || !strings.Contains(res.Entry.Detail, "limit") {
			t.Errorf("detail %q does not name the file left out", res.Entry.Detail)
		}
		if _, ok := d.attachments("incident", *res.Entry.RecordID)["core.dump"]; ok {
			t.Error("a file over the limit was stored")
		}
	})
}
