package mail_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/mail"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// BenchmarkThousandNotificationsToMailpit measures one bulk change that
// notifies: 1,000 notifications to 100 people written in one transaction
// through notify.AddWith, until the last of the 1,000 messages is in
// Mailpit, with the node's own job worker doing the dispatching and the
// sending as in production. One op is the whole 1,000.
//
//	STEWARD_TEST_MAILPIT=$(go env GOPATH)/bin/mailpit go test ./internal/mail -run '^$' -bench ThousandNotifications -benchtime 3x
func BenchmarkThousandNotificationsToMailpit(b *testing.B) {
	mp := startMailpit(b)
	for _, e := range storetest.Engines(b) {
		s, people := benchSite(b, e, mp)
		b.Run(e.Name, func(b *testing.B) { benchThousand(b, s, people, mp) })
	}
}

// benchSite is a node with 100 people to notify.
func benchSite(b *testing.B, e storetest.Engine, mp *mailpit) (*site, []int64) {
	ctx := context.Background()
	s := newSite(b, e, mp.smtpURL())
	s.app.Mail.Backoff = nil
	var people []int64
	for i := range 100 {
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: fmt.Sprintf("person%03d@bench.test", i),
			Name: fmt.Sprintf("Person %d", i), Role: auth.Requester, Password: "a-long-password"})
		if err != nil {
			b.Fatal(err)
		}
		people = append(people, u.ID)
	}
	return s, people
}

func benchThousand(b *testing.B, s *site, people []int64, mp *mailpit) {
	ctx := context.Background()
	e := s.e
	before, _ := s.app.Mail.Counts(ctx)
	run, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.app.Worker().Run(run); close(done) }()
	defer func() { stop(); <-done }()

	var total time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		clearMailpit(nil, mp)
		b.StartTimer()
		start := time.Now()
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			for n := range 1000 {
				num := fmt.Sprintf("INC-%06d", i*1000+n+1)
				title := fmt.Sprintf("Bulk change %d", n)
				if err := notify.AddWith(ctx, tx, []int64{people[n%len(people)]}, "incident_resolved", "Resolved: "+num+" "+title,
					"Confirm the resolution.", "/incidents/"+num, map[string]string{"number": num, "title": title}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for mp.total(b) < 1000 {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of 1,000 messages arrived in two minutes", mp.total(b))
			}
			time.Sleep(20 * time.Millisecond)
		}
		total += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(total.Seconds()/float64(b.N), "s/1000-mails")
	// Mailpit has them all; the sender records the last batch a moment later.
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := s.app.Mail.Counts(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if c[mail.Sent]-before[mail.Sent] == 1000*b.N && c[mail.Queued]+c[mail.Sending]+c[mail.Failed] == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("outbox %v, want %d more sent and nothing else", c, 1000*b.N)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// total is how many messages Mailpit holds.
func (m *mailpit) total(t testing.TB) int {
	var out struct{ Total int }
	m.getJSON(t, "/api/v1/messages?limit=1", &out)
	return out.Total
}
