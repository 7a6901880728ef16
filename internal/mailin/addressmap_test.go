package mailin

import (
	"context"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/org"
	"steward/internal/request"
	"steward/internal/store/storetest"
)

// Under "create a requester", a stranger who writes to an address mapped
// to a customer must not become a member of that customer's organisation,
// able to comment on all of its tickets by e-mail.
func TestStrangerDoesNotJoinMappedCustomer(t *testing.T) {
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

// Deleting a support group or catalogue item that a mapped mail address
// leads to works: the address stays in the map, marked as leading
// nowhere, and a message sent to it reaches the service desk rather than
// being refused or lost.
func TestDeletedTargetLeavesAddressLeadingToDesk(t *testing.T) {
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
		if err := d.s.Requests.DeleteItem(ctx, d.p["admin"], item.ID); err != nil {
			t.Fatalf("deleting a catalogue item a mail address leads to: %v", err)
		}
		if err := org.Groups.Delete(ctx, d.db, d.p["admin"].Actor(), d.network); err != nil {
			t.Fatalf("deleting a support group a mail address leads to: %v", err)
		}
		list, err := d.s.Addresses(ctx, d.p["admin"])
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || !list[0].TargetDeleted || !list[1].TargetDeleted {
			t.Fatalf("the map after the deletions: %+v; want both addresses, marked as leading nowhere", list)
		}
		raw := strings.Replace(plainMail("alice@example.com", "Switch down", "The switch is down."), "To: "+deskAddress, "To: network@steward.test", 1)
		res, err := d.s.Take(ctx, Delivery{Raw: []byte(crlf(raw)), Via: "smtp", EnvelopeFrom: "alice@example.com", Recipients: []string{"network@steward.test"}})
		if err != nil {
			t.Fatal(err)
		}
		if inc := d.incident(res); inc.GroupID != nil {
			t.Errorf("mail to an address whose group was deleted went to group %d, want the service desk", *inc.GroupID)
		}
	})
}
