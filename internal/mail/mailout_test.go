package mail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/jobs"
	"steward/internal/mail"
	"steward/internal/mailin"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// A ticket opened by e-mail is acknowledged: its sender gets the number
// in a message threaded on the ticket, which says to reply to add to it;
// a sender who switched such confirmations off gets none.
func TestTicketByMailIsAcknowledged(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		s.app.Mail.Cfg.InboundSMTPAddr = "127.0.0.1:2525"
		ctx := context.Background()
		ann := s.user("ann", auth.Requester, "Ann Requester")
		bob := s.user("bob", auth.Requester, "Bob Quiet")
		if _, err := mail.SaveSettings(ctx, e.DB, bob.Actor(), bob.UserID, mail.Settings{Off: []string{"received"}}); err != nil {
			t.Fatal(err)
		}
		agent := s.user("agent", auth.Agent, "Alex Agent")
		s.incident(agent, ann, "Opened at the desk") // not by mail: no confirmation

		for _, from := range []string{"ann@mail.test", "bob@mail.test"} {
			raw := "From: " + from + "\r\nTo: desk@steward.test\r\nSubject: Printer on fire\r\nMessage-ID: <" + from +
				".1@client.test>\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nSmoke everywhere.\r\n"
			res, err := s.app.Inbound.Take(ctx, mailin.Delivery{Raw: []byte(raw), Via: "smtp", EnvelopeFrom: from,
				Recipients: []string{"desk@steward.test"}})
			if err != nil || res.Entry.Outcome != mailin.Opened {
				t.Fatalf("incoming mail from %s: %+v %v", from, res.Entry, err)
			}
		}
		var id int64
		if err := e.DB.QueryRow(ctx, "SELECT id FROM incidents WHERE requester_id = ? AND source = 'email'", ann.UserID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		number := fmt.Sprintf("INC-%06d", id)
		s.mailOut()
		mp.waitFor(t, 1)
		time.Sleep(200 * time.Millisecond)
		got := mp.messages(t)
		if len(got) != 1 {
			t.Fatalf("%d messages, want the confirmation to Ann alone", len(got))
		}
		m := mp.message(t, got[0].ID)
		if m.To[0].Address != "ann@mail.test" || m.Subject != "["+number+"] We received your message: Printer on fire" {
			t.Fatalf("confirmation %q to %v", m.Subject, m.To)
		}
		if !strings.Contains(m.Text, "Reply to this e-mail to add to it; keep ["+number+"] in the subject.") ||
			!strings.Contains(m.HTML, "We received your message: "+number) {
			t.Errorf("the confirmation does not say how to add to it:\n%s", m.Text)
		}
		raw := mp.raw(t, got[0].ID)
		if !strings.Contains(raw, "In-Reply-To: <"+mail.ThreadID(number, s.app.Mail.Host())+">") {
			t.Errorf("the confirmation is not threaded on %s:\n%s", number, raw)
		}
	})
}

// With incoming mail set up every message about a record says to reply;
// someone without a password to sign in with gets the link only as an
// aside, someone with one keeps the button.
func TestNotificationsSayReply(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		agent := s.user("agent", auth.Agent, "Alex Agent")
		ann := s.user("ann", auth.Requester, "Ann Password")
		nia := s.user("nia", auth.Requester, "Nia No-Password")
		if _, err := e.DB.Exec(ctx, "UPDATE users SET password_hash = '' WHERE id = ?", nia.UserID); err != nil {
			t.Fatal(err)
		}
		// Without incoming mail nobody is told to reply.
		s.comment(agent, s.incident(agent, ann, "Before"), "First answer.")
		s.mailOut()
		if m := mp.message(t, mp.waitFor(t, 1)[0].ID); strings.Contains(m.Text, "Reply to this e-mail") {
			t.Errorf("told to reply with no incoming mail:\n%s", m.Text)
		}
		clearMailpit(t, mp)

		s.app.Mail.Cfg.IMAPURL = "imaps://desk:secret@imap.mail.test/INBOX"
		forAnn, forNia := s.incident(agent, ann, "Screen dark"), s.incident(agent, nia, "Badge broken")
		s.comment(agent, forAnn, "Is it plugged in?")
		s.comment(agent, forNia, "Which door?")
		s.mailOut()
		got := mp.waitFor(t, 2)
		for _, g := range got {
			m := mp.message(t, g.ID)
			number := forAnn.Number
			if m.To[0].Address == "nia@mail.test" {
				number = forNia.Number
			}
			hint := "Reply to this e-mail to answer; keep [" + number + "] in the subject."
			if !strings.Contains(m.Text, hint) || !strings.Contains(m.HTML, hint) {
				t.Errorf("the message to %s does not say to reply:\n%s", m.To[0].Address, m.Text)
			}
			button := strings.Contains(m.HTML, "display:inline-block;background:#1f6feb")
			if m.To[0].Address == "nia@mail.test" {
				if button || !strings.Contains(m.Text, "Also in Steward: Answer on "+number) {
					t.Errorf("Nia, who cannot sign in, is offered the sign-in as the way to answer:\n%s", m.Text)
				}
			} else if !button || strings.Contains(m.Text, "Also in Steward") {
				t.Errorf("Ann, who can sign in, lost the button:\n%s", m.Text)
			}
		}
	})
}

// A password reset is followed by a message saying when and from where
// the password changed, without the password or a link that resets.
func TestPasswordChangedIsMailed(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		s.user("ann", auth.Requester, "Ann Requester")
		if err := s.app.Mail.RequestReset(ctx, "ann@mail.test", "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		link := resetLink.FindString(mp.message(t, mp.waitFor(t, 1)[0].ID).Text)
		token := link[strings.LastIndex(link, "/")+1:]
		if err := s.app.Mail.ResetPassword(ctx, token, "new-secret-words", "new-secret-words", "198.51.100.9"); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		got := mp.waitFor(t, 2)
		m := mp.message(t, got[0].ID)
		if m.Subject != "Your Steward password was changed" || m.To[0].Address != "ann@mail.test" {
			t.Fatalf("after the reset: %q to %v", m.Subject, m.To)
		}
		for _, want := range []string{"ann@mail.test was changed on", "from the address 198.51.100.9", "If it was not you"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the message lacks %q:\n%s", want, m.Text)
			}
		}
		if strings.Contains(m.Text+m.HTML, "new-secret-words") || strings.Contains(m.Text+m.HTML, "/password/") {
			t.Errorf("the message holds the password or a reset link:\n%s", m.Text)
		}
	})
}

// Sending a failed message again keeps its history: the attempts go on
// counting and the error it failed with stays readable once it is sent.
func TestRetryKeepsTheFailure(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		s.app.Mail.MaxAttempts = 2
		agent := s.user("agent", auth.Agent, "Alex Agent")
		ann := s.user("ann", auth.Requester, "Ann Requester")
		admin := s.user("admin", auth.Admin, "Ada Admin")
		mp.stop()
		s.comment(agent, s.incident(agent, ann, "Wi-Fi slow"), "Which floor?")
		s.mailOut()
		s.mailOut()
		list, _, err := s.app.Mail.List(ctx, mail.Filter{State: mail.Failed})
		if err != nil || len(list) != 1 {
			t.Fatalf("failed: %v %v", list, err)
		}
		mp.start()
		if _, err := s.app.Mail.Retry(ctx, admin.Actor(), list[0].ID); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		mp.waitFor(t, 1)
		m, err := s.app.Mail.Get(ctx, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.State != mail.Sent || m.TotalAttempts() != 3 || !strings.Contains(m.FailedBefore(), "connecting to "+mp.smtpAddr()) {
			t.Errorf("after sending again: %s, %d attempts, failed before %q", m.State, m.TotalAttempts(), m.FailedBefore())
		}
		if len(m.Earlier) != 1 || m.Earlier[0].By != "admin@mail.test" || m.Earlier[0].Attempts != 2 {
			t.Errorf("earlier failures: %+v", m.Earlier)
		}
	})
}

// A service-level mail names the target it is about, so that warnings
// and breaches of different targets on one ticket read apart.
func TestSLAMailsNameTheTarget(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		agent := s.user("agent", auth.Agent, "Alex Agent")
		ann := s.user("ann", auth.Requester, "Ann Requester")
		inc := s.incident(agent, ann, "Server down")
		if _, err := e.DB.Exec(ctx, "UPDATE notifications SET mail_state = NULL"); err != nil {
			t.Fatal(err)
		}
		// As the service-level engine raises them: the feed's entry and
		// the notification, in one transaction each.
		for _, ev := range []struct {
			kind, metric string
			percent      int
		}{{"sla.warning", "response", 50}, {"sla.breach", "resolution", 100}, {"sla.breach", "response", 100}} {
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				data, _ := json.Marshal(map[string]any{"metric": ev.metric, "percent": ev.percent, "reached_at": time.Now()})
				if err := activity.Record(ctx, tx, activity.Entry{At: time.Now(), Kind: ev.kind, Entity: "incident", EntityID: inc.ID,
					Ref: inc.Number, Summary: "SLA", Data: data}); err != nil {
					return err
				}
				return notify.Add(ctx, tx, []int64{agent.UserID}, ev.kind, inc.Number+" is overdue", "Server down", "/incidents/"+inc.Number)
			})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.mailOut()
		var subjects []string
		for _, g := range mp.waitFor(t, 3) {
			subjects = append(subjects, g.Subject)
		}
		want := []string{"[" + inc.Number + "] Response target breached", "[" + inc.Number + "] Resolution target breached",
			"[" + inc.Number + "] Response target: half used"}
		if strings.Join(subjects, "|") != strings.Join(want, "|") {
			t.Errorf("subjects %q, want %q", subjects, want)
		}
		if m := mp.message(t, mp.messages(t)[1].ID); !strings.Contains(m.Text, "Resolution target breached") {
			t.Errorf("the body does not name the target:\n%s", m.Text)
		}
	})
}

// Notifications of events more than a day old when the dispatcher first
// sees them stay in Steward and are not mailed: a service-level event
// counts from when it was reached.
func TestStaleNoticesAreNotMailed(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		agent := s.user("agent", auth.Agent, "Alex Agent")
		ann := s.user("ann", auth.Requester, "Ann Requester")
		old := s.incident(agent, ann, "Old news")
		fresh := s.incident(agent, ann, "Fresh news")
		if _, err := e.DB.Exec(ctx, "UPDATE notifications SET mail_state = NULL"); err != nil {
			t.Fatal(err)
		}
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := notify.Add(ctx, tx, []int64{ann.UserID}, "incident_resolved", "Resolved: "+old.Number+" Old news", "",
				"/incidents/"+old.Number); err != nil {
				return err
			}
			// An escalation noticed now of a breach reached three days ago.
			data, _ := json.Marshal(map[string]any{"metric": "resolution", "percent": 100, "reached_at": time.Now().Add(-72 * time.Hour)})
			if err := activity.Record(ctx, tx, activity.Entry{At: time.Now(), Kind: "sla.breach", Entity: "incident", EntityID: fresh.ID,
				Ref: fresh.Number, Summary: "SLA", Data: data}); err != nil {
				return err
			}
			return notify.Add(ctx, tx, []int64{agent.UserID}, "sla.breach", fresh.Number+" is overdue", "", "/incidents/"+fresh.Number)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, "UPDATE notifications SET created_at = ? WHERE kind = 'incident_resolved'",
			store.TS(time.Now().Add(-25*time.Hour))); err != nil {
			t.Fatal(err)
		}
		s.comment(agent, fresh, "Still on it.")
		s.mailOut()
		mp.waitFor(t, 1)
		time.Sleep(200 * time.Millisecond)
		if got := mp.messages(t); len(got) != 1 || !strings.Contains(got[0].Subject, "New comment") {
			t.Fatalf("sent %v, want only the fresh comment", got)
		}
		var skipped int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM notifications WHERE mail_state = 'skipped'").Scan(&skipped); err != nil || skipped != 2 {
			t.Errorf("%d notifications marked skipped, want 2 (%v)", skipped, err)
		}
	})
}

var digestRating = regexp.MustCompile(`/surveys/r/[A-Za-z0-9_-]{43}\?rating=5`)

// Someone on the digest gets a survey's one-click ratings in the digest,
// as its own message would have them; the outbox hides them.
func TestDigestCarriesRatingLinks(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		agent := s.user("agent", auth.Agent, "Alex Agent")
		dana := s.user("dana", auth.Requester, "Dana Digest")
		if _, err := mail.SaveSettings(ctx, e.DB, audit.System, dana.UserID, mail.Settings{Digest: true}); err != nil {
			t.Fatal(err)
		}
		inc := s.incident(agent, dana, "Toner empty")
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := s.app.Incidents.ResolveInTx(ctx, tx, inc.ID, "fixed", "New toner.")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := s.app.Worker().RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.app.Mail.SendDigests(ctx, jobs.Job{}); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		m := mp.message(t, mp.waitFor(t, 1)[0].ID)
		if !digestRating.MatchString(m.Text) || !digestRating.MatchString(m.HTML) {
			t.Fatalf("the digest has no one-click rating:\n%s", m.Text)
		}
		list, _, _ := s.app.Mail.List(ctx, mail.Filter{})
		if len(list) != 1 || digestRating.MatchString(list[0].Text) {
			t.Errorf("the outbox shows the rating links: %v", list)
		}
	})
}
