package mailin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store/storetest"
)

// withComplaints gives the desk the complaints register and the
// complaint kind in its record kernel, as the application does.
func (d *desk) withComplaints() {
	d.s.Complaints = complaint.NewService(d.db, d.s.Log)
	d.s.Records = record.NewKernel(d.db, 2<<20, d.s.Incidents.Kind(), d.s.Requests.Kind(), d.s.Complaints.Kind())
}

// A message sent over SMTP to an address the map says opens complaints
// raises a complaint, not an incident: from a known requester, for their
// customer, with source e-mail, its subject as title and its text as
// description. Their reply naming the complaint's number is added to its
// history as their words; another customer's reply to it is refused and
// adds nothing.
func TestComplaintsByEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		d.withComplaints()
		ctx := context.Background()
		const complaints = "complaints@steward.test"
		var inv *domainerr.Invalid
		if _, err := d.s.AddAddress(ctx, d.p["admin"], Address{Address: complaints, Opens: OpensComplaints, GroupID: &d.network}); !errors.As(err, &inv) || inv.Fields["group_id"] == "" {
			t.Fatalf("a complaints address given to a support group: %v", err)
		}
		if _, err := d.s.AddAddress(ctx, d.p["admin"], Address{Address: complaints, Opens: "praise"}); !errors.As(err, &inv) || inv.Fields["opens"] == "" {
			t.Fatalf("an address opening praise: %v", err)
		}
		if n := d.count("SELECT COUNT(*) FROM mail_in_addresses"); n != 0 {
			t.Fatalf("refused addresses were mapped: %d", n)
		}
		a, err := d.s.AddAddress(ctx, d.p["admin"], Address{Address: complaints, Opens: OpensComplaints})
		if err != nil || !a.Complaints() || a.TargetDeleted {
			t.Fatalf("mapping the complaints address: %+v %v", a, err)
		}
		addr := d.listen()
		raw := "From: Alice <alice@example.com>\nTo: " + complaints + "\nSubject: Third outage this month\nMessage-ID: <cmp-1@example.com>\n" +
			"Content-Type: text/plain; charset=utf-8\n\nThe payroll system was down again on Friday. This is not acceptable.\n"
		if err := send(addr, "alice@example.com", []string{complaints}, raw); err != nil {
			t.Fatal(err)
		}
		var kind string
		var id int64
		if err := d.db.QueryRow(ctx, "SELECT record_kind, record_id FROM mail_in_log WHERE message_id = 'cmp-1@example.com'").Scan(&kind, &id); err != nil {
			t.Fatalf("no log entry after 250: %v", err)
		}
		if kind != "complaint" || d.count("SELECT COUNT(*) FROM incidents") != 0 {
			t.Fatalf("the message opened a %s (incidents: %d), want a complaint", kind, d.count("SELECT COUNT(*) FROM incidents"))
		}
		c, err := d.s.Complaints.Get(ctx, d.p["admin"], id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Source != "email" || c.Title != "Third outage this month" || !strings.Contains(c.Description, "down again on Friday") ||
			c.RequesterID == nil || *c.RequesterID != d.p["alice"].UserID || c.CustomerID == nil || *c.CustomerID != d.custA {
			t.Errorf("the complaint: %+v; want Alice's, for Alpha, from e-mail", c)
		}

		reply := "From: alice@example.com\nTo: " + complaints + "\nSubject: Re: [" + c.Number + "] Third outage this month\n" +
			"Message-ID: <cmp-2@example.com>\nReferences: <steward." + c.Number + "@steward.test>\n\nIt happened again this morning.\n\n" +
			"> Thank you for your message.\n"
		if err := send(addr, "alice@example.com", []string{complaints}, reply); err != nil {
			t.Fatal(err)
		}
		journal, err := d.s.Complaints.Journal(ctx, d.p["alice"], id)
		if err != nil {
			t.Fatal(err)
		}
		var words []string
		for _, en := range journal {
			if en.Kind == "comment" && en.ByEmail() {
				words = append(words, en.Body)
			}
		}
		if len(words) != 1 || words[0] != "It happened again this morning." {
			t.Errorf("the complaint's history holds %q from e-mail; want the reply without the quote", words)
		}

		bobs := strings.ReplaceAll(strings.ReplaceAll(reply, "alice@", "bob@"), "cmp-2@", "cmp-3@")
		if err := send(addr, "bob@example.com", []string{complaints}, bobs); err != nil {
			t.Fatal(err)
		}
		var outcome string
		if err := d.db.QueryRow(ctx, "SELECT outcome FROM mail_in_log WHERE message_id = 'cmp-3@example.com'").Scan(&outcome); err != nil || outcome != Refused {
			t.Errorf("Beta's reply to Alpha's complaint: %q %v, want refused", outcome, err)
		}
		if n := d.count("SELECT COUNT(*) FROM complaint_journal WHERE complaint_id = ? AND kind = 'comment'", id); n != 1 {
			t.Errorf("%d comments on the complaint after Beta's reply", n)
		}

		// The service desk's address still opens incidents.
		if res := d.take(plainMail("amir@example.com", "Mouse broken", "The mouse is broken.")); res.Entry.RecordKind != "incident" {
			t.Errorf("a message to the desk: %+v", res.Entry)
		}
	})
}
