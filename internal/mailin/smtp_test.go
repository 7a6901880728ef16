package mailin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// listen starts the SMTP listener of d on a free loopback port.
func (d *desk) listen() string {
	d.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.s.ServeSMTP(ctx, ln) }()
	d.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			d.t.Errorf("listener: %v", err)
		}
	})
	return ln.Addr().String()
}

// send delivers raw over SMTP as a relay would.
func send(addr, from string, to []string, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("relay.example.com"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(crlf(raw))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// TestSMTPEndToEnd delivers over real SMTP: a new message becomes an
// incident of the right requester with its attachment and the original
// message; a reply naming the thread becomes a trimmed comment.
func TestSMTPEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDesk(t, e)
		addr := d.listen()
		raw := "From: Amir <amir@example.com>\nTo: " + deskAddress + "\nSubject: Monitor flickers\nMessage-ID: <smtp-1@example.com>\n" +
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=s\n\n--s\nContent-Type: text/plain; charset=utf-8\n\nThe left monitor flickers.\n" +
			"--s\nContent-Type: image/png\nContent-Disposition: attachment; filename=photo.png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\n--s--\n"
		if err := send(addr, "amir@example.com", []string{deskAddress}, raw); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := d.db.QueryRow(context.Background(), "SELECT record_id FROM mail_in_log WHERE message_id = 'smtp-1@example.com'").Scan(&id); err != nil {
			t.Fatalf("no log entry after 250: %v", err)
		}
		inc, err := d.s.Incidents.Get(context.Background(), d.p["admin"], id)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Title != "Monitor flickers" || inc.RequesterID == nil || *inc.RequesterID != d.p["amir"].UserID {
			t.Errorf("incident %q requester %v, want Amir's", inc.Title, inc.RequesterID)
		}
		files := d.attachments("incident", id)
		if _, ok := files["photo.png"]; !ok || len(files) != 2 {
			t.Errorf("files %v, want photo.png and the .eml", files)
		}

		reply := "From: amir@example.com\nTo: " + deskAddress + "\nSubject: RE: Monitor flickers\nMessage-ID: <smtp-2@example.com>\n" +
			"References: <steward." + inc.Number + "@steward.test>\n\nNow both monitors flicker.\n\n" +
			"-----Original Message-----\nFrom: Service desk\nSent: Tuesday\nSubject: " + inc.Number + "\n\nWhich monitor?\n"
		if err := send(addr, "amir@example.com", []string{deskAddress}, reply); err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, je := range d.journal(id) {
			if je.Kind == "comment" {
				bodies = append(bodies, je.Body)
			}
		}
		if len(bodies) != 1 || bodies[0] != "Now both monitors flicker." {
			t.Errorf("comments %q, want the reply without the quoted history", bodies)
		}
		emls := 0
		for name := range d.attachments("incident", id) {
			if strings.HasSuffix(name, ".eml") {
				emls++
			}
		}
		if emls != 2 {
			t.Errorf("%d .eml files, want one per message", emls)
		}
	})
}

// TestSMTPLimits: a 30 MB message gets 552, a 51st recipient 452, a
// message naming 1,000 addresses 550, a sender over the rate limit 451;
// each is logged and none opens anything.
func TestSMTPLimits(t *testing.T) {
	d := newDesk(t, storetest.SQLite(t))
	addr := d.listen()
	ctx := context.Background()

	blob := make([]byte, 30<<20)
	rand.Read(blob)
	enc := base64.StdEncoding.EncodeToString(blob)
	var b strings.Builder
	b.WriteString("From: alice@example.com\nTo: " + deskAddress + "\nSubject: Big\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nbig\n" +
		"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=big.bin\nContent-Transfer-Encoding: base64\n\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n--b--\n")
	err := send(addr, "alice@example.com", []string{deskAddress}, b.String())
	if smtpCode(err) != 552 {
		t.Errorf("30 MB message: %v, want 552", err)
	}
	if n := d.count("SELECT COUNT(*) FROM mail_in_log WHERE reason = 'too_large' AND sender = 'alice@example.com'"); n != 1 {
		t.Errorf("%d refusals for size logged, want 1", n)
	}

	rcpts := make([]string, 1000)
	for i := range rcpts {
		rcpts[i] = "r" + itoaTest(i) + "@steward.test"
	}
	err = send(addr, "alice@example.com", rcpts, plainMail("alice@example.com", "Hello all", "x"))
	if smtpCode(err) != 452 || !strings.Contains(err.Error(), "50") {
		t.Errorf("1,000 envelope recipients: %v, want 452 naming the limit of 50", err)
	}
	cc := strings.Join(rcpts, ",\n ")
	err = send(addr, "alice@example.com", []string{deskAddress}, plainMail("alice@example.com", "Hello all", "x", "Cc: "+cc))
	if smtpCode(err) != 550 || !strings.Contains(err.Error(), "too many addresses") {
		t.Errorf("1,000 recipients in the header: %v, want 550 saying why", err)
	}

	err = send(addr, "alice@example.com", []string{deskAddress}, "From: alice@example.com\nSubject: x\nContent-Type: multipart/mixed\n\n--q\n\nx\n")
	if smtpCode(err) != 554 {
		t.Errorf("malformed MIME: %v, want 554", err)
	}

	st := DefaultSettings()
	st.RateLimit = 2
	if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
		t.Fatal(err)
	}
	err = send(addr, "bob@example.com", []string{deskAddress}, plainMail("bob@example.com", "One", "x"))
	if err == nil {
		err = send(addr, "bob@example.com", []string{deskAddress}, plainMail("bob@example.com", "Two", "x"))
	}
	if err != nil {
		t.Fatal(err)
	}
	err = send(addr, "bob@example.com", []string{deskAddress}, plainMail("bob@example.com", "Three", "x"))
	if code := smtpCode(err); code != 451 {
		t.Errorf("third message within the window: %v, want 451", err)
	}
	if n := d.count("SELECT COUNT(*) FROM incidents"); n != 2 {
		t.Errorf("%d incidents, want Bob's two", n)
	}
}

// While as many messages as the listener receives at once are arriving,
// one more is told to come back later (451) rather than read into
// memory; once they are in, the next is taken.
func TestSMTPBoundsMessagesBeingReceived(t *testing.T) {
	d := newDesk(t, storetest.SQLite(t))
	d.s.MaxReceiving, d.s.ReceivingWait = 1, 100*time.Millisecond
	addr := d.listen()

	slow, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.Hello("relay.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := slow.Mail("alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := slow.Rcpt(deskAddress); err != nil {
		t.Fatal(err)
	}
	w, err := slow.Data()
	if err != nil {
		t.Fatal(err)
	}
	raw := crlf(plainMail("alice@example.com", "Slow one", "It arrives slowly."))
	half := len(raw) / 2
	if _, err := w.Write([]byte(raw[:half])); err != nil {
		t.Fatal(err)
	}
	// The slow message holds the only slot until it ends; wait until the
	// listener has started to receive it.
	for range 100 {
		if len(d.s.receivingSlots()) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	err = send(addr, "amir@example.com", []string{deskAddress}, plainMail("amir@example.com", "Second", "x"))
	if smtpCode(err) != 451 {
		t.Errorf("a message arriving while the only slot is taken: %v, want 451", err)
	}
	if _, err := w.Write([]byte(raw[half:])); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("the slow message: %v", err)
	}
	if err := send(addr, "amir@example.com", []string{deskAddress}, plainMail("amir@example.com", "Third", "x")); err != nil {
		t.Errorf("a message after the slow one: %v", err)
	}
	if n := d.count("SELECT COUNT(*) FROM incidents WHERE title IN ('Slow one', 'Third')"); n != 2 {
		t.Errorf("%d of the slow and the later message opened incidents, want 2", n)
	}
}
