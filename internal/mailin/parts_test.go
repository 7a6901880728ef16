package mailin

import (
	"context"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

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

// A message may carry hundreds of files, yet the record lists at most
// 500: the first 100 files of a message are put on the record one by
// one, the rest stay in its original message (always attached), and the
// log says so, so that a later reply's files are seen too.
func TestFilesPerMessageAreCapped(t *testing.T) {
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
	if got, _ := d.s.Get(ctx, d.p["agent"], reply.Entry.ID); !strings.Contains(got.Detail, "the first 100 were attached, the other 200 are only in email-") {
		t.Errorf("the log does not say which files stayed in the original message: %q", got.Detail)
	}
}

// Apple Mail sends a message with a picture in the middle of the text as
// text, the picture, and the rest of the text in separate parts: the
// ticket's description holds all of the sender's text, not only what
// came before the picture.
func TestTextAfterInlinePictureKept(t *testing.T) {
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
