package mail_test

import (
	"context"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/jobs"
	"steward/internal/mail"
	"steward/internal/store/storetest"
)

// Against a server that speaks TLS from the first byte (smtps://, as on
// port 465) and wants credentials: delivered once its certificate is
// trusted, kept queued with the reason while it is not.
func TestImplicitTLSWithAuthentication(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	mp := startMailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-tls", "--smtp-auth-accept-any")
	e := storetest.SQLite(t)
	ctx := context.Background()
	s := newSite(t, e, "smtps://desk:s3cret@"+mp.smtpAddr())
	agent := s.user("agent", auth.Agent, "Alex Agent")
	ann := s.user("ann", auth.Requester, "Ann Requester")
	inc := s.incident(agent, ann, "Projector flickers")

	s.comment(agent, inc, "Replacing the cable.")
	s.mailOut()
	list, _, _ := s.app.Mail.List(ctx, mail.Filter{})
	if len(list) != 1 || list[0].State != mail.Queued || !strings.Contains(list[0].LastError, "certificate") {
		t.Fatalf("with an untrusted certificate: %+v", list)
	}
	if n := len(mp.messages(t)); n != 0 {
		t.Fatalf("%d messages went to a server whose certificate is not trusted", n)
	}

	s.app.Mail.RootCAs = pool
	if err := s.app.Mail.Deliver(ctx, jobs.Job{}); err != nil {
		t.Fatal(err)
	}
	got := mp.waitFor(t, 1)
	m := mp.message(t, got[0].ID)
	if !strings.Contains(m.Subject, "["+inc.Number+"]") || len(m.To) != 1 || m.To[0].Address != "ann@mail.test" {
		t.Errorf("over implicit TLS: subject %q to %+v", m.Subject, m.To)
	}
	if !strings.Contains(m.Text, "Replacing the cable.") {
		t.Errorf("the comment is not in the message:\n%s", m.Text)
	}
	if out, _ := s.app.Mail.Get(ctx, list[0].ID); out.State != mail.Sent {
		t.Errorf("state %s after delivery over implicit TLS", out.State)
	}

}
