package identity_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/demo"
	"steward/internal/store/storetest"
)

// An account already linked to one person at the provider is not handed
// to a second provider account that merely shows the same verified
// address (an address given to someone else after its owner left, or
// one a provider lets people type): the subject is what binds, even with
// linking administrators' accounts by e-mail on. An administrator who
// unlinks the account lets the next sign-in link it again.
func TestLinkedAccountIsNotTakenByAnotherSubject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		people := defaultPeople()
		people["mallory"] = &person{id: "mallory", username: "mallory", email: "admin@steward.demo", verified: true}
		s := newSite(t, e, people)
		s.linkPrivileged()
		if end := s.browser().atProvider("ada"); end.url.String() != s.url+"/" {
			t.Fatalf("the administrator's own sign-in ended at %d %s", end.status, end.url)
		}
		b := s.browser()
		end := b.atProvider("mallory")
		if who := b.signedInAs(); who != "" {
			t.Errorf("a second provider account with the administrator's address signed in as %s (%d at %s)", who, end.status, end.url)
		}
		if end.status != http.StatusForbidden || !strings.Contains(end.body, "is already linked to a different sign-in with Example ID") {
			t.Errorf("the second provider account was told: %d %.2000s", end.status, end.body)
		}
		if n := s.count("SELECT COUNT(*) FROM identity_links l JOIN users u ON u.id = l.user_id WHERE u.email = 'admin@steward.demo'"); n != 1 {
			t.Errorf("the administrator's account is linked to %d provider accounts, want 1", n)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso_refused' AND data LIKE '%linked to another provider account%'"); n != 1 {
			t.Errorf("%d refusals of the second provider account in the audit trail, want 1", n)
		}

		admin := s.browser()
		admin.login("admin@steward.demo", demo.Password)
		csrf := admin.csrf()
		if p := admin.post(s.url+"/admin/single-sign-on/unlink", url.Values{"csrf_token": {csrf}, "email": {"nobody@steward.demo"}}); p.status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.body, "No account has the e-mail address nobody@steward.demo") {
			t.Errorf("unlinking an unknown address: %d", p.status)
		}
		if p := admin.post(s.url+"/admin/single-sign-on/unlink", url.Values{"csrf_token": {csrf}, "email": {"admin@steward.demo"}}); p.status != http.StatusOK ||
			!strings.Contains(p.body, "no longer linked to the provider") {
			t.Fatalf("unlinking: %d %.500s", p.status, p.body)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso_unlinked'"); n != 1 {
			t.Errorf("%d unlinks in the audit trail, want 1", n)
		}
		if end := s.browser().atProvider("ada"); end.url.String() != s.url+"/" {
			t.Fatalf("after the unlink the administrator's sign-in ended at %d %s", end.status, end.url)
		}
		if n := s.count("SELECT COUNT(*) FROM identity_links l JOIN users u ON u.id = l.user_id WHERE u.email = 'admin@steward.demo' AND l.subject = 'ada'"); n != 1 {
			t.Errorf("after the unlink the account is linked to ada %d times, want 1", n)
		}
	})
}

// An account with a second factor is not linked by its e-mail alone:
// whoever controls the address at the provider would skip the second
// factor. With linking such accounts on, it is.
func TestSecondFactorAccountIsNotLinkedByEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		people := defaultPeople()
		people["agnes"] = &person{id: "agnes", username: "agnes", email: "agent@steward.demo", verified: true}
		s := newSite(t, e, people)
		ctx := context.Background()
		u, err := auth.UserByEmail(ctx, s.app.DB, "agent@steward.demo")
		if err != nil {
			t.Fatal(err)
		}
		enr, err := auth.StartEnrolment(ctx, s.app.DB, u.ID, u.Email)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(enr.Secret, time.Now())
		if _, err := auth.ConfirmEnrolment(ctx, s.app.DB, audit.System, u.ID, code); err != nil {
			t.Fatal(err)
		}

		b := s.browser()
		end := b.atProvider("agnes")
		if end.status != http.StatusForbidden || !strings.Contains(end.body, "is an administrator&#39;s or has a second factor") || b.signedInAs() != "" {
			t.Fatalf("an account with a second factor, linking such accounts off: %d at %s: %.2000s", end.status, end.url, end.body)
		}
		if n := s.count("SELECT COUNT(*) FROM identity_links WHERE user_id = ?", u.ID); n != 0 {
			t.Fatalf("the account was linked %d times", n)
		}
		s.linkPrivileged()
		b = s.browser()
		if end := b.atProvider("agnes"); end.url.String() != s.url+"/" || b.signedInAs() != "agent@steward.demo" {
			t.Fatalf("with linking such accounts on: %d at %s", end.status, end.url)
		}
	})
}
