package mailin

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// BenchmarkSMTPIntake sends b.N new messages over real SMTP on loopback,
// from 8 relay connections at once (each sending its share in one
// session, as a relay does), from 40 known requesters, and reports the
// incidents opened per second: parse, log, incident, journal, audit and
// the original message kept as an attachment, all before each 250.
//
//	go test ./internal/mailin/ -run '^$' -bench SMTPIntake -benchtime 2000x
//
// With STEWARD_BENCH_ENGINE=postgres (and STEWARD_TEST_POSTGRES_URL) it
// runs on PostgreSQL.
func BenchmarkSMTPIntake(b *testing.B) {
	e := storetest.SQLite(b)
	if os.Getenv("STEWARD_BENCH_ENGINE") == "postgres" {
		pg, ok := storetest.Postgres(b)
		if !ok {
			b.Skip("STEWARD_TEST_POSTGRES_URL is unset")
		}
		e = pg
	}
	d := newDesk(b, e)
	ctx := context.Background()
	st := DefaultSettings()
	st.RateLimit = 10000
	if _, err := d.s.SaveSettings(ctx, d.p["admin"], st); err != nil {
		b.Fatal(err)
	}
	senders := []string{"alice@example.com", "amir@example.com", "bob@example.com", "agent@example.com"}
	for i := range 36 {
		p, err := d.s.createRequester(ctx, fmt.Sprintf("user%02d@example.com", i), fmt.Sprintf("User %d", i), &d.custA)
		if err != nil {
			b.Fatal(err)
		}
		senders = append(senders, p.Email)
	}
	addr := listenBench(b, d)
	const conns = 8
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			cl, err := smtp.Dial(addr)
			if err != nil {
				failed.Add(1)
				return
			}
			defer cl.Close()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					cl.Quit()
					return
				}
				from := senders[int(i)%len(senders)]
				raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Bench %d from relay %d\r\nMessage-ID: <bench-%d-%d@example.com>\r\n"+
					"Content-Type: text/plain; charset=utf-8\r\n\r\nThe printer on floor %d prints stripes.\r\n", from, deskAddress, i, c, i, start.UnixNano(), i%9)
				if err := deliver(cl, from, raw); err != nil {
					failed.Add(1)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d senders failed", f)
	}
	var n int
	if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM incidents WHERE source = 'email'").Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n != b.N {
		b.Fatalf("%d incidents for %d messages", n, b.N)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "tickets/s")
}

func deliver(cl *smtp.Client, from, raw string) error {
	if err := cl.Mail(from); err != nil {
		return err
	}
	if err := cl.Rcpt(deskAddress); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		return err
	}
	return w.Close()
}

func listenBench(b *testing.B, d *desk) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.s.ServeSMTP(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}
