package mailin

import (
	"testing"

	"steward/internal/store/storetest"
)

// Two different messages from two different people that happen to carry
// the same Message-ID (a broken mailer, or a forged id) are both taken:
// the second is not silently dropped as a duplicate of the first.
func TestSameMessageIDOtherSenderIsTaken(t *testing.T) {
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
