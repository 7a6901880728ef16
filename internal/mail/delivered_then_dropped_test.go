package mail_test

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"

	"steward/internal/auth"
	"steward/internal/mail"
	"steward/internal/store/storetest"
)

// dropAfterData stands between Steward and Mailpit and cuts the
// connection right after the server accepted a message (its reply to the
// end of DATA), as a server or a network that fails between the message
// and the next command does: the message is delivered, and the client's
// next command (RSET) fails.
func dropAfterData(t testing.TB, server string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go relay(c, server)
		}
	}()
	return ln.Addr().String()
}

func relay(client net.Conn, server string) {
	defer client.Close()
	srv, err := net.Dial("tcp", server)
	if err != nil {
		return
	}
	defer srv.Close()
	var mu sync.Mutex
	sentData := false // the client has sent a message's final dot
	go func() {
		var tail []byte
		buf := make([]byte, 4096)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				tail = append(tail, buf[:n]...)
				if bytes.Contains(tail, []byte("\r\n.\r\n")) {
					mu.Lock()
					sentData = true
					mu.Unlock()
				}
				if len(tail) > 8 {
					tail = tail[len(tail)-8:]
				}
				if _, werr := srv.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 4096)
	for {
		n, err := srv.Read(buf)
		if n > 0 {
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
			mu.Lock()
			accepted := sentData && bytes.HasPrefix(buf[:n], []byte("250"))
			mu.Unlock()
			if accepted {
				return // the deferred closes cut both sides
			}
		}
		if err != nil {
			return
		}
	}
}

// A message the server accepted is sent, even when the connection fails
// on the command after it: it is not queued again and so not delivered
// twice.
func TestDeliveredMessageIsNotSentAgainAfterAFailedReset(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, "smtp://"+dropAfterData(t, mp.smtpAddr()))
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		s.user("ann", auth.Requester, "Ann Requester")
		if err := s.app.Mail.RequestReset(ctx, "ann@mail.test", "127.0.0.60"); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		mp.waitFor(t, 1)
		if c := s.states(); c[mail.Sent] != 1 || len(c) != 1 {
			t.Errorf("outbox %v after the server accepted the message and the connection failed, want it sent", c)
		}
		s.mailOut() // retries are due at once in these tests
		if got := mp.waitFor(t, 1); len(got) != 1 {
			t.Errorf("the reset mail arrived %d times", len(got))
		}
	})
}
