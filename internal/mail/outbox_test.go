package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/auth"
	"steward/internal/jobs"
	"steward/internal/mail"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Someone who chose a digest gets their notifications in one message when
// the digest runs, without what they already read in Steward.
func TestDigestGathers(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		agent := s.user("agent", auth.Agent, "Alex Agent")
		dana := s.user("dana", auth.Requester, "Dana Digest")
		if _, err := mail.SaveSettings(ctx, e.DB, dana.Actor(), dana.UserID, mail.Settings{Digest: true}); err != nil {
			t.Fatal(err)
		}
		first := s.incident(agent, dana, "Monitor flickers")
		second := s.incident(agent, dana, "Keyboard missing keys")
		third := s.incident(agent, dana, "Mouse lost")
		s.comment(agent, first, "Ordered a new cable.")
		s.comment(agent, second, "A new keyboard is on its way.")
		s.comment(agent, third, "Found it in the meeting room.")
		s.mailOut()
		if n := len(mp.messages(t)); n != 0 {
			t.Fatalf("%d messages sent at once to someone who chose a digest", n)
		}
		// Dana reads the third in Steward before the digest goes out.
		var read int64
		if err := e.DB.QueryRow(ctx, "SELECT id FROM notifications WHERE user_id = ? AND link LIKE ?", dana.UserID,
			"%"+third.Number+"%").Scan(&read); err != nil {
			t.Fatal(err)
		}
		if _, err := notify.MarkRead(ctx, e.DB, dana.UserID, read); err != nil {
			t.Fatal(err)
		}
		if err := s.app.Mail.SendDigests(ctx, jobs.Job{}); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		got := mp.waitFor(t, 1)
		m := mp.message(t, got[0].ID)
		if m.Subject != "[Steward] 2 notifications" || m.To[0].Address != "dana@mail.test" {
			t.Fatalf("digest %q to %v", m.Subject, m.To)
		}
		for _, inc := range []string{first.Number, second.Number} {
			if !strings.Contains(m.Text, inc) || !strings.Contains(m.HTML, s.url+"/incidents/"+inc) {
				t.Errorf("the digest lacks %s:\n%s", inc, m.Text)
			}
		}
		if strings.Contains(m.Text, third.Number) {
			t.Errorf("the digest lists %s, which Dana had read:\n%s", third.Number, m.Text)
		}
		if err := s.app.Mail.SendDigests(ctx, jobs.Job{}); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		if n := len(mp.messages(t)); n != 1 {
			t.Errorf("a second digest run sent again: %d messages", n)
		}
	})
}

// With the SMTP server down a message stays queued with the error shown,
// and goes out once the server is back, also after the service restarted;
// a message claimed by a node that died is sent by the next.
func TestNothingIsLostWhileTheServerIsDown(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		agent := s.user("agent", auth.Agent, "Alex Agent")
		ann := s.user("ann", auth.Requester, "Ann Requester")
		inc := s.incident(agent, ann, "Wi-Fi is slow")

		mp.stop()
		s.comment(agent, inc, "Which floor are you on?")
		s.mailOut()
		list, _, err := s.app.Mail.List(ctx, mail.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("outbox: %v %v", list, err)
		}
		if m := list[0]; m.State != mail.Queued || m.Attempts != 1 || !strings.Contains(m.LastError, "connecting to "+mp.smtpAddr()) {
			t.Fatalf("with the server down the message is %s after %d attempts, error %q", m.State, m.Attempts, m.LastError)
		}

		// The service restarts (a new node over the same database) and the
		// server comes back: the queued message goes out.
		mp.start()
		restarted := app.New(s.app.Cfg, reopen(t, e), discard)
		for range 3 {
			if _, err := restarted.Worker().RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := mp.waitFor(t, 1)
		if got[0].Subject != "["+inc.Number+"] New comment on Wi-Fi is slow" {
			t.Errorf("after the restart: %q", got[0].Subject)
		}
		if m, _ := s.app.Mail.Get(ctx, list[0].ID); m.State != mail.Sent || m.Attempts != 2 || m.SentAt == nil {
			t.Errorf("after delivery: %s, %d attempts, sent %v", m.State, m.Attempts, m.SentAt)
		}

		// A node claimed the next message and died before sending it; its
		// lease has run out.
		s.comment(agent, inc, "Second floor, got it.")
		if err := s.app.Mail.Dispatch(ctx, jobs.Job{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, `UPDATE mail_outbox SET state = 'sending', attempts = 1, locked_by = 'dead-node',
			locked_until = ?, next_attempt_at = ? WHERE state = 'queued'`, store.TS(time.Now().Add(-time.Second)), store.TS(time.Now().Add(-time.Second))); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		if got := mp.waitFor(t, 2); !strings.Contains(got[0].Subject, inc.Number) {
			t.Errorf("the abandoned message: %q", got[0].Subject)
		}
		if c := s.states(); c[mail.Sent] != 2 || len(c) != 1 {
			t.Errorf("outbox %v, want both sent", c)
		}
	})
}

// reopen opens the engine's database anew, as a restarted process would.
func reopen(t *testing.T, e storetest.Engine) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: e.Dir, DatabaseURL: e.URL, ReadConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Without --smtp-url nothing is sent and nothing is lost: messages wait in
// the outbox.
func TestUnconfiguredKeepsMessagesQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, "")
		agent := s.user("agent", auth.Agent, "Alex Agent")
		ann := s.user("ann", auth.Requester, "Ann Requester")
		s.comment(agent, s.incident(agent, ann, "Phone dead"), "On it.")
		for range 2 {
			if _, err := s.app.Worker().RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if c := s.states(); c[mail.Queued] != 1 || len(c) != 1 {
			t.Errorf("outbox %v, want the message queued", c)
		}
		if s.app.Mail.Configured() {
			t.Error("mail reads as configured without --smtp-url")
		}
	})
}

// The dispatcher takes each notification once, including one whose
// transaction committed after a later one was dispatched.
func TestDispatcherTakesLateCommitsOnce(t *testing.T) {
	e, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("needs PostgreSQL to hold a transaction open beside the dispatcher: STEWARD_TEST_POSTGRES_URL is unset")
	}
	s := newSite(t, e, "")
	ctx := context.Background()
	ann := s.user("ann", auth.Requester, "Ann Requester")
	add := func(tx *store.Tx, title string) error {
		return notify.Add(ctx, tx, []int64{ann.UserID}, "incident_resolved", title, "", "/incidents/INC-000001")
	}
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- e.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := add(tx, "Early id, late commit"); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	if err := e.DB.InTx(ctx, func(tx *store.Tx) error { return add(tx, "Later id, early commit") }); err != nil {
		t.Fatal(err)
	}
	dispatch := func() {
		t.Helper()
		errs := make(chan error, 2)
		for range 2 { // two nodes at once
			go func() { errs <- s.app.Mail.Dispatch(ctx, jobs.Job{}) }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	dispatch()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	dispatch()
	dispatch()
	subjects := map[string]int{}
	list, _, _ := s.app.Mail.List(ctx, mail.Filter{})
	for _, m := range list {
		subjects[m.Subject]++
	}
	if len(list) != 2 || subjects["[INC-000001] Early id, late commit"] != 1 || subjects["[INC-000001] Later id, early commit"] != 1 {
		t.Errorf("outbox holds %v, want each notification once", subjects)
	}
}
