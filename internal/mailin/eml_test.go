package mailin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// The original message kept with a ticket is for staff: its file and
// its journal line are hidden from the requester, who still sees the
// files they sent.
func TestOriginalMessageIsForStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		ctx := context.Background()
		raw := "From: alice@example.com\nTo: " + deskAddress + "\nSubject: Screen flickers\nMessage-ID: <" + randID() + "@example.com>\n" +
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nSee the photo.\n" +
			"--b\nContent-Type: text/plain; name=notes.txt\nContent-Disposition: attachment; filename=notes.txt\n\nflicker at 60 Hz\n--b--\n"
		inc := d.incident(d.take(raw))
		k, _ := d.s.Records.Kinds.Get("incident")
		mentions := func(who string, name string) (file, line bool) {
			p := d.p[who]
			files, err := d.s.Records.Attachments.List(ctx, p, k, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				file = file || strings.HasSuffix(f.Filename, name)
			}
			j, err := d.s.Incidents.Journal(ctx, p, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range j {
				b, _ := json.Marshal(en)
				line = line || strings.Contains(string(b), name)
			}
			return file, line
		}
		if file, line := mentions("alice", ".eml"); file || line {
			t.Errorf("the requester sees the original message: file %v, journal line %v", file, line)
		}
		if file, line := mentions("alice", "notes.txt"); !file || !line {
			t.Errorf("the requester does not see the file they sent: file %v, journal line %v", file, line)
		}
		if file, line := mentions("agent", ".eml"); !file || !line {
			t.Errorf("the agent does not see the original message: file %v, journal line %v", file, line)
		}
		reply := d.take(plainMail("alice@example.com", "Re: ["+inc.Number+"] Screen flickers", "Now it is black."))
		if reply.Entry.Outcome != Commented {
			t.Fatalf("reply: %+v", reply.Entry)
		}
		if file, line := mentions("alice", ".eml"); file || line {
			t.Errorf("after a reply the requester sees an original message: file %v, journal line %v", file, line)
		}
	})
}
