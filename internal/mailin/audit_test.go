package mailin

import (
	"context"
	"strconv"
	"testing"

	"steward/internal/audit"
	"steward/internal/store/storetest"
)

// The audit trail says what mail made was made by e-mail, as its
// sender; a held message accepted by an agent is the agent's acceptance
// (in the browser), the ticket still the sender's by e-mail.
func TestAuditSaysByEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		entries := func(entity string, id int64) []audit.Entry {
			t.Helper()
			out, err := audit.List(ctx, d.db, audit.Filter{Entity: entity, EntityID: strconv.FormatInt(id, 10), Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		opened := d.take(plainMail("alice@example.com", "Printer jams", "Every page."))
		inc := d.incident(opened)
		if got := entries("incident", inc.ID); len(got) == 0 || got[len(got)-1].ActorType != "email" || got[len(got)-1].ActorName != "alice@example.com" {
			t.Errorf("the opening by e-mail is audited as %+v", got)
		}
		reply := d.take(plainMail("alice@example.com", "Re: ["+inc.Number+"] Printer jams", "Still jams."))
		if reply.Entry.Outcome != Commented || reply.Entry.CommentID == nil {
			t.Fatalf("reply: %+v", reply.Entry)
		}
		if got := entries("incident_comment", *reply.Entry.CommentID); len(got) != 1 || got[0].ActorType != "email" {
			t.Errorf("the reply by e-mail is audited as %+v", got)
		}

		st := DefaultSettings()
		st.UnknownSender = UnknownHold
		if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
			t.Fatal(err)
		}
		held := d.take(plainMail("dan@newco.test", "Need access", "to the share"))
		acc, err := d.s.Accept(ctx, d.p["agent"], held.Entry.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		created := entries("incident", *acc.RecordID)
		if len(created) == 0 || created[len(created)-1].ActorType != "email" || created[len(created)-1].ActorName != "dan@newco.test" {
			t.Errorf("the accepted message's ticket is audited as %+v", created)
		}
		accepted := entries("mail_in_message", held.Entry.ID)
		if len(accepted) != 1 || accepted[0].Action != "accept" || accepted[0].ActorType != "user" || accepted[0].ActorName != "agent@example.com" {
			t.Errorf("the acceptance is audited as %+v", accepted)
		}
	})
}
